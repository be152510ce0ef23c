"""Beside a cluster: an RQ worker takes its jobs from the plain queue server and does their
work on the cluster; a case change is acknowledged only once a replica has it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import redis
from redis.cluster import RedisCluster
from rq import Queue
from rq.job import JobStatus

from dispatch.keys import Keys
from dispatch.org.model import OrgData
from dispatch.scratch_cluster import ScratchCluster
from dispatch.settings import Settings
from tests.cases.helpers import CGJ_ITEM, Cases
from tests.conftest import LiveServer
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
KEYS = Keys("jlc")
WORKER_S = 60
WAIT_TIMEOUT_MS = 300


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"wait_replicas": 1, "wait_timeout_ms": WAIT_TIMEOUT_MS}


def test_a_worker_runs_a_report_job_from_the_queue_server_on_the_cluster(
        settings: Settings, seeded: OrgData, rdb: RedisCluster) -> None:
    assert settings.redis_queue_url
    queues = redis.Redis.from_url(settings.redis_queue_url)
    job = Queue(KEYS.queue("reports"), connection=queues).enqueue(
        "dispatch.jobs.tasks.build_report", "daily", date.today().isoformat())
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISPATCH_", "REDIS_"))}
    env.update(REDIS_URL=settings.redis_url or "", REDIS_QUEUE_URL=settings.redis_queue_url,
               DISPATCH_DATA=str(settings.data_dir), DISPATCH_WORKER_METRICS_PORT="0",
               PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "dispatch", "worker", "--burst"], env=env,
                          cwd=ROOT, capture_output=True, text=True, timeout=WORKER_S)
    assert done.returncode == 0, done.stderr
    assert job.get_status(refresh=True) == JobStatus.FINISHED
    label = job.return_value()
    assert rdb.get(KEYS.report("daily", str(label)))  # kept in the cluster
    queues.close()


def test_a_case_change_no_replica_has_is_not_acknowledged(
        live: LiveServer, tokens: Callable[[str], str], cluster: ScratchCluster) -> None:
    cases = Cases(live, tokens)
    first = cases.report()
    assert first["state"] == "dispatched"  # a replica had it
    master = cluster.master_of(KEYS.cases_all())
    (replica,) = cluster.replicas_of(master)
    cluster.kill(replica)
    try:
        lat, lon = cases.places.point("002")
        body = {"item": CGJ_ITEM, "lat": lat, "lon": lon, "description": "路灯不亮",
                "client_id": "no-replica"}
        refused = cases.call("gw001", "POST", "/api/v1/cases", json=body)
        assert refused.status_code == 503, refused.text
        assert refused.json()["error"]["code"] == "not_replicated"
        accept = cases.call("dm001", "POST", f"/api/v1/cases/{first['id']}/accept")
        assert accept.status_code == 503
    finally:
        cluster.restart(replica)
        wait_until(lambda: replica.client().info("replication").get("master_link_status")
                   == "up", "the replica back")
    # not promised, yet made on the master (which lived): a report sent again is the same
    # case, not a second one, and the accept stands
    again = cases.call("gw001", "POST", "/api/v1/cases", json=body)
    assert again.status_code in (200, 201), again.text
    assert {c["id"] for c in cases.listing("disp1")["items"]} == {first["id"],
                                                                  again.json()["id"]}
    assert cases.get("disp1", first["id"])["state"] == "accepted"
