"""The embedded Redis killed with SIGKILL while the web, worker and clock processes run:
``dispatch redis start`` brings it back on the port recorded in the data directory, and
every process carries on by itself (a ping stored, a case reported and accepted, a job run,
the clock's heartbeat moving), none of them restarted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from rq import Queue
from rq.job import JobStatus

from dispatch.embedded_redis import EmbeddedRedis, free_port
from dispatch.keys import Keys
from dispatch.org.preset import street_preset
from tests import waiting
from tests.cases.helpers import Places

PASSWORD = "restart-pass"
WAIT_S = 60.0
STREET = "jlc"


#: What a process that is not up yet raises.
NOT_YET = (httpx.HTTPError, redis.RedisError, OSError)


def wait_for(check: Callable[[], Any], what: str, timeout: float = WAIT_S) -> Any:
    return waiting.wait_for(check, what, timeout, ignoring=NOT_YET)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def env(data: Path) -> dict[str, str]:
    root = Path(__file__).resolve().parents[2]
    found = {k: v for k, v in os.environ.items() if not k.startswith(("DISPATCH_", "REDIS_"))}
    found.update(DISPATCH_DATA=str(data), DISPATCH_SCRYPT_N="16", DISPATCH_FSYNC="always",
                 DISPATCH_LOG_LEVEL="warning", PYTHONPATH=str(root),
                 DISPATCH_CLOCK_METRICS_PORT=str(free_port()),
                 DISPATCH_WORKER_METRICS_PORT=str(free_port()))
    return found


def cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "dispatch", *args], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr + done.stdout
    return done.stdout


@pytest.fixture
def processes(env: dict[str, str], data: Path, tmp_path: Path
              ) -> Iterator[tuple[str, dict[str, subprocess.Popen[bytes]]]]:
    cli(env, "redis", "start")
    cli(env, "seed", "--preset", "street", "--password", PASSWORD)
    port = free_port()
    logs = tmp_path / "logs"
    logs.mkdir()
    procs: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for name, args in (("web", ["serve", "--port", str(port)]), ("worker", ["worker"]),
                           ("clock", ["clock"])):
            with open(logs / f"{name}.log", "wb") as log:
                procs[name] = subprocess.Popen([sys.executable, "-m", "dispatch", *args],
                                               env=env, stdout=log, stderr=subprocess.STDOUT)
        yield f"http://127.0.0.1:{port}", procs
    finally:
        for proc in procs.values():
            proc.terminate()
        for proc in procs.values():
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
        EmbeddedRedis(data / "redis").stop()


def test_processes_carry_on_after_redis_is_killed_and_started_again(
        processes: tuple[str, dict[str, subprocess.Popen[bytes]]], env: dict[str, str],
        data: Path) -> None:
    base, procs = processes
    server = EmbeddedRedis(data / "redis")
    url = server.status()
    assert url is not None
    keys = Keys(STREET)
    client = redis.Redis.from_url(url, decode_responses=True)
    places = Places(street_preset().grids)
    http = httpx.Client(base_url=base, timeout=10)

    def ready() -> bool:
        return http.get("/readyz").status_code == 200

    def login(user: str) -> dict[str, str]:
        r = http.post("/api/v1/login", json={"username": user, "password": PASSWORD})
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['token']}"}

    def ping(headers: dict[str, str], n: int) -> int:
        lat, lon = places.point("001")
        item = {"seq": n, "lat": lat, "lon": lon, "ts": int(time.time() * 1000)}
        return http.post("/api/v1/locations", json={"items": [item]},
                         headers=headers).status_code

    def heartbeat() -> int:
        return int(client.get(keys.clock_heartbeat()) or 0)

    wait_for(ready, "the web process")
    gw, dm = login("gw001"), login("dm001")
    assert ping(gw, 1) == 200
    wait_for(heartbeat, "the clock's first heartbeat")

    pid = server.pid()
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: http.get("/readyz").status_code == 503, "the web process to see it")
    killed_at = int(time.time() * 1000)

    out = cli(env, "redis", "start")
    assert out.strip() == f"started: {url}"  # the same port as before the crash

    wait_for(ready, "the web process to reconnect")
    assert wait_for(lambda: ping(gw, 2) == 200, "a ping stored")
    lat, lon = places.point("001")
    r = http.post("/api/v1/cases", headers=gw, json={
        "client_id": "after-restart", "item": "SS01", "lat": lat, "lon": lon,
        "description": "路灯不亮"})
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    r = http.post(f"/api/v1/cases/{cid}/accept", headers=dm)
    assert r.status_code == 200 and r.json()["state"] == "accepted", r.text
    wait_for(lambda: heartbeat() > killed_at, "the clock to lead again")
    queue = Queue(keys.queue("reports"), connection=redis.Redis.from_url(url))
    job = queue.enqueue("dispatch.jobs.tasks.build_report", "daily", date.today().isoformat())
    wait_for(lambda: job.get_status(refresh=True) == JobStatus.FINISHED, "the worker's job")
    assert all(p.poll() is None for p in procs.values())  # nobody was restarted
