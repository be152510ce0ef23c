"""Two ``dispatch clock`` processes share the work by lease: one leads, the other waits;
the leader killed with SIGKILL (no release) loses the lead when its lease runs out, and the
other takes it over by itself and does the work (the heartbeat moves on)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from dispatch.embedded_redis import free_port
from dispatch.keys import Keys
from dispatch.org.model import OrgData
from dispatch.settings import Settings
from tests import waiting

LEASE_S = 2.0
WAIT_S = 60.0
LEADING = re.compile(r"^\w*clock_leading(?:\{[^}]*\})? (\S+)$", re.MULTILINE)


#: What a process that is not up yet raises.
NOT_YET = (httpx.HTTPError, OSError)


def wait_for(check: Callable[[], Any], what: str, timeout: float = WAIT_S) -> Any:
    return waiting.wait_for(check, what, timeout, ignoring=NOT_YET)


def leading(port: int) -> bool | None:
    """What the clock on its metrics ``port`` says: leading, waiting, or None (no answer)."""
    try:
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
    except httpx.HTTPError:
        return None
    found = LEADING.search(text)
    return None if found is None else float(found.group(1)) == 1


@pytest.fixture
def clocks(settings: Settings, seeded: OrgData, tmp_path: Path
           ) -> Iterator[dict[int, subprocess.Popen[bytes]]]:
    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISPATCH_", "REDIS_"))}
    env.update(REDIS_URL=settings.redis_url or "", DISPATCH_DATA=str(settings.data_dir),
               DISPATCH_CLOCK_LEASE=str(LEASE_S), DISPATCH_LOG_LEVEL="info",
               DISPATCH_METRICS_EVERY="0.5", PYTHONPATH=str(root))
    procs: dict[int, subprocess.Popen[bytes]] = {}
    try:
        for n in range(2):
            port = free_port()
            with open(tmp_path / f"clock{n}.log", "wb") as log:
                procs[port] = subprocess.Popen(
                    [sys.executable, "-m", "dispatch", "clock"],
                    env={**env, "DISPATCH_CLOCK_METRICS_PORT": str(port)},
                    stdout=log, stderr=subprocess.STDOUT)
        yield procs
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in procs.values():
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()


def test_a_killed_leader_is_replaced_by_the_other_clock(
        clocks: dict[int, subprocess.Popen[bytes]], settings: Settings, rdb: redis.Redis) -> None:
    keys = Keys(settings.street)
    ports = list(clocks)

    def one_leads() -> list[bool | None] | None:
        found = [leading(p) for p in ports]
        return found if sorted(found, key=str) == [False, True] else None

    states = wait_for(one_leads, "one clock to lead, one to wait")
    leader, waiting = (ports[0], ports[1]) if states[0] else (ports[1], ports[0])
    holder = rdb.get(keys.clock_leader())
    assert holder

    clocks[leader].send_signal(signal.SIGKILL)  # no release: the lease has to run out
    clocks[leader].wait(10)
    killed_at = int(time.time() * 1000)
    wait_for(lambda: leading(waiting), "the other clock to take the lead")
    assert rdb.get(keys.clock_leader()) not in (None, holder)
    wait_for(lambda: int(rdb.get(keys.clock_heartbeat()) or 0) > killed_at,
             "the new leader's heartbeat")
    assert clocks[waiting].poll() is None
