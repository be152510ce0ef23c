"""With a second replica per master, ``DISPATCH_WAIT_REPLICAS=1`` leaves no gap: a replica of
the street's master is killed, and case changes are still acknowledged (the other replica
has them), where with one replica they are refused until it is back
(test_cluster_jobs.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from dispatch.keys import Keys
from dispatch.scratch_cluster import ScratchCluster, scratch_cluster
from tests.cases.helpers import CGJ_ITEM, Cases
from tests.conftest import LiveServer

KEYS = Keys("jlc")
REPLICAS = 2
WAIT_TIMEOUT_MS = 300


@pytest.fixture
def own_cluster(tmp_path: Path) -> Iterator[ScratchCluster]:
    with scratch_cluster(tmp_path / "cluster", replicas=REPLICAS) as c:
        yield c


@pytest.fixture
def redis_url(own_cluster: ScratchCluster) -> str:
    return own_cluster.url


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"wait_replicas": 1, "wait_timeout_ms": WAIT_TIMEOUT_MS}


def test_a_master_with_one_replica_down_still_acknowledges_case_changes(
        live: LiveServer, tokens: Callable[[str], str], own_cluster: ScratchCluster) -> None:
    cases = Cases(live, tokens)
    master = own_cluster.master_of(KEYS.cases_all())
    replicas = own_cluster.replicas_of(master)
    assert len(replicas) == REPLICAS
    own_cluster.kill(replicas[0])
    case = cases.report()
    assert case["state"] == "dispatched"  # 201: the other replica had it
    assert cases.act("dm001", case["id"], "accept")["state"] == "accepted"
    own_cluster.kill(replicas[1])  # no replica left: refused, as with one replica
    lat, lon = cases.places.point("002")
    refused = cases.call("gw001", "POST", "/api/v1/cases", json={
        "item": CGJ_ITEM, "lat": lat, "lon": lon, "description": "路灯不亮",
        "client_id": "no-replica-left"})
    assert refused.status_code == 503, refused.text
    assert refused.json()["error"]["code"] == "not_replicated"
