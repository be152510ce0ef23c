"""The cluster tests: every test of this folder runs against a real Redis Cluster of 3 masters
and 3 replicas (the embedded binary), the RQ queues on the plain test server.

``redis_url``, ``rdb`` and ``settings`` are overridden here, so the fixtures of the root
conftest (``seeded``, ``live``, ``tokens``) and the tests imported from other folders run
unchanged against the cluster.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from redis.cluster import ClusterNode, RedisCluster

from dispatch.connections import parse_cluster_url
from dispatch.scratch_cluster import ScratchCluster, scratch_cluster
from dispatch.settings import Settings
from tests.conftest import TEST_SCRYPT_N, emptied


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScratchCluster]:
    """One cluster for the run (the failover test starts its own)."""
    with scratch_cluster(tmp_path_factory.mktemp("cluster")) as c:
        yield c


@pytest.fixture
def queue_url(redis_server: str) -> str:
    """The plain Redis of the RQ queues, emptied."""
    return emptied(redis_server)


@pytest.fixture
def redis_url(cluster: ScratchCluster) -> str:
    """The cluster, emptied for each test."""
    cluster.flush()
    return cluster.url


def sync_cluster(url: str) -> RedisCluster:
    address = parse_cluster_url(url)
    return RedisCluster(startup_nodes=[ClusterNode(h, p) for h, p in address.nodes],
                        decode_responses=True)


@pytest.fixture
def rdb(redis_url: str) -> Iterator[RedisCluster]:
    client = sync_cluster(redis_url)
    yield client
    client.close()


def cluster_settings(redis_url: str, queue_url: str, data_dir: Path,
                     **overrides: Any) -> Settings:
    base: dict[str, Any] = {
        "redis_url": redis_url,
        "redis_queue_url": queue_url,
        "data_dir": data_dir,
        "scrypt_n": TEST_SCRYPT_N,
        "login_limit_user": 1000,
        "login_limit_addr": 1000,
    }
    base.update(overrides)
    return Settings.from_env({}, **base)


@pytest.fixture
def settings(redis_url: str, queue_url: str, tmp_path: Path,
             settings_overrides: dict[str, Any]) -> Settings:
    return cluster_settings(redis_url, queue_url, tmp_path / "data", **settings_overrides)
