"""What a REDIS_URL names, and where the queues may live (no server needed)."""

from __future__ import annotations

import pytest

from dispatch.connections import (
    RedisConfigError,
    is_cluster,
    make_sync,
    parse_cluster_url,
    queue_url,
    redact,
)

CLUSTER = "redis+cluster://ops:s3cret@10.0.0.1:7000,10.0.0.2:7001,10.0.0.3"


def test_a_cluster_url_names_its_nodes_and_credentials() -> None:
    address = parse_cluster_url(CLUSTER)
    assert address.nodes == (("10.0.0.1", 7000), ("10.0.0.2", 7001), ("10.0.0.3", 6379))
    assert (address.username, address.password, address.tls) == ("ops", "s3cret", False)
    assert parse_cluster_url("rediss+cluster://:pw@h:1").tls is True
    assert parse_cluster_url("rediss+cluster://:pw@h:1").password == "pw"
    assert is_cluster(CLUSTER) and not is_cluster("redis://h:6379/0")
    with pytest.raises(RedisConfigError):
        parse_cluster_url("redis+cluster://")


def test_queues_need_a_plain_redis_beside_a_cluster() -> None:
    assert queue_url("redis://a:1/0", None) == "redis://a:1/0"
    assert queue_url(CLUSTER, "redis://q:6379/1") == "redis://q:6379/1"
    with pytest.raises(RedisConfigError) as refused:
        queue_url(CLUSTER, None)
    message = str(refused.value)
    assert "REDIS_QUEUE_URL" in message and "rq/rq#1942" in message
    assert "s3cret" not in message  # the password is not repeated
    with pytest.raises(RedisConfigError):
        queue_url("redis://a:1/0", CLUSTER)
    with pytest.raises(RedisConfigError):
        make_sync(CLUSTER)
    assert redact(CLUSTER) == "redis+cluster://***@10.0.0.1:7000,10.0.0.2:7001,10.0.0.3"
