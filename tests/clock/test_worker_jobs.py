"""Heavy work runs as RQ jobs with retries: a worker killed mid-job does not lose it."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import redis
from rq import Queue
from rq.registry import StartedJobRegistry

from dispatch.bootstrap import bootstrap
from dispatch.settings import Settings
from tests.clock.jobs_for_tests import held_mark
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
WAIT_S = 30
ABANDON_AFTER_S = 120


def start_worker(settings: Settings, burst: bool) -> subprocess.Popen[bytes]:
    env = dict(os.environ, REDIS_URL=settings.redis_url or "", PYTHONPATH=str(ROOT))
    args = [sys.executable, "-m", "dispatch", "worker"] + (["--burst"] if burst else [])
    return subprocess.Popen(args, env=env, cwd=ROOT, start_new_session=True)


def kill_tree(pid: int) -> None:
    try:
        parent = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return
    for proc in [*parent.children(recursive=True), parent]:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()
    psutil.wait_procs([parent], timeout=10)


def test_killed_worker_does_not_lose_the_job(settings: Settings, rdb: redis.Redis) -> None:
    queues = bootstrap(settings).queues
    conn = queues.connection
    job = queues.enqueue(held_mark, settings.redis_url, "marks", "released", timeout_s=3,
                         retry_intervals_s=[0, 0])
    first = start_worker(settings, burst=False)
    try:
        wait_until(lambda: rdb.llen("marks") == 1, "the job to start", WAIT_S)  # it started ...
        kill_tree(first.pid)  # ... and its worker died in the middle
    finally:
        kill_tree(first.pid)
    assert rdb.lrange("marks", 0, -1)[0].startswith("start")
    assert rdb.llen("marks") == 1
    # Time passes beyond the dead worker's heartbeat: the job is abandoned, with retries
    # left, so the registry's cleanup (which every worker runs) puts it back in the queue.
    registry = StartedJobRegistry(queue=Queue(job.origin, connection=conn))
    registry.cleanup(timestamp=time.time() + ABANDON_AFTER_S)
    rdb.set("released", 1)  # this time the job may finish
    second = start_worker(settings, burst=True)
    second.wait(WAIT_S)
    marks = rdb.lrange("marks", 0, -1)
    assert [m.split(":")[0] for m in marks] == ["start", "start", "done"]
    job.refresh()
    assert job.get_status() == "finished"
