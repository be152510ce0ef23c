"""A process serving the whole district (26 streets and the centre: 27 containers) holds a
few Redis connections, as one serving a single street does, and keeps its streets apart."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
import redis
from websockets.sync.client import ClientConnection

from dispatch.bootstrap import bootstrap
from dispatch.district import bootstrap_deployment
from dispatch.jobs import tasks
from dispatch.keys import Keys
from dispatch.org.district_preset import CENTRE, STREETS
from dispatch.org.model import OrgData
from dispatch.org.seed import seed_org
from dispatch.settings import Settings
from tests.cases.helpers import Places
from tests.conftest import PASSWORD, run_async, running
from tests.location.fixtures import inside, now_ms, with_service
from tests.test_district import call, first_case, report, screen
from tests.waiting import wait_until

CODES = [code for code, _ in STREETS]
#: The two streets seeded (the reference street in each); the 24 others are served empty.
HOME, OTHER = CODES[0], CODES[1]
#: Connections one process may hold whatever the number of streets: the hub's pub/sub, the
#: ingest pipe, the queues' connection and the pool's commands in flight at once (a few
#: here: 6 in all were seen; 27 containers on clients of their own held 27 to 62).
MAX_CONNECTIONS = 10
RECV_S = 5.0
PROCESS_WAIT_S = 60.0
SETTLE_S = 0.2
SETTLE_TRIES = 25
PINGS = 5
PING_EVERY_MS = 5_000
#: Who pings in each street (both streets have both users: a screen that saw the other
#: street's positions would name the other one).
PINGER = {HOME: ("gw001", "001"), OTHER: ("gw002", "002")}


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"streets": ",".join(CODES), "district": CENTRE}


@pytest.fixture
def district(settings: Settings, street: OrgData) -> dict[str, OrgData]:
    seeded = {code: dataclasses.replace(street, street=dataclasses.replace(
        street.street, code=code)) for code in (HOME, OTHER)}

    async def go() -> None:
        for code, data in seeded.items():
            c = bootstrap(dataclasses.replace(settings, street=code))
            try:
                await seed_org(c.redis, c.keys, c.users, c.org, data, PASSWORD,
                               seeded_ms=now_ms())
            finally:
                await c.aclose()

    run_async(go())
    return seeded


def connections(rdb: redis.Redis) -> int:
    return len(rdb.client_list())


def settled(rdb: redis.Redis) -> int:
    """The connections once the server has seen the last closes (a process stopped by the
    test before: the server learns of its closed sockets a moment later)."""
    last = connections(rdb)
    for _ in range(SETTLE_TRIES):
        time.sleep(SETTLE_S)
        now = connections(rdb)
        if now == last:
            return now
        last = now
    return last


def positions_of(ws: ClientConnection) -> set[str]:
    """The workers of the next ``positions`` message (others skipped)."""
    deadline = time.monotonic() + RECV_S
    while time.monotonic() < deadline:
        message = orjson.loads(ws.recv(timeout=RECV_S))
        if message.get("type") == "positions":
            return {item["worker"] for item in message["items"]}
    raise AssertionError("no positions message")


def pings(street: OrgData, grid: str, t0: int) -> list[dict[str, Any]]:
    lon, lat = inside(street, grid)
    return [{"seq": n, "lat": lat + n * 1e-5, "lon": lon, "ts": t0 + n * PING_EVERY_MS}
            for n in range(PINGS)]


def test_a_district_web_process_holds_a_few_connections_and_keeps_its_streets_apart(
        settings: Settings, district: dict[str, OrgData], rdb: redis.Redis) -> None:
    before = settled(rdb)
    t0 = now_ms() - PINGS * PING_EVERY_MS
    with running(settings) as live:
        places = Places(call(live, live.login(f"admin@{HOME}"), "GET", "/api/v1/grids").json())
        with screen(live, live.login(f"screen1@{HOME}")) as home, \
                screen(live, live.login(f"screen1@{OTHER}")) as other:
            theirs = report(live, live.login(f"gw001@{OTHER}"), places, 1)
            ours = report(live, live.login(f"gw001@{HOME}"), places, 2)
            assert first_case(other)["id"] == theirs["id"]
            assert first_case(home)["id"] == ours["id"]  # the other street's never came
            for code, (username, grid) in PINGER.items():
                sent = pings(district[code], grid, t0)
                r = call(live, live.login(f"{username}@{code}"), "POST", "/api/v1/locations",
                         json={"items": sent})
                assert r.status_code == 200 and r.json()["stored"] == PINGS, r.text
            assert positions_of(home) == {PINGER[HOME][0]}
            assert positions_of(other) == {PINGER[OTHER][0]}
            held = connections(rdb) - before
        assert held <= MAX_CONNECTIONS, f"{held} connections for {len(CODES) + 1} containers"
    for code, (username, _) in PINGER.items():
        track = with_service(dataclasses.replace(settings, street=code),
                             lambda c, u=username: c.location.track_between(
                                 u, t0, t0 + PINGS * PING_EVERY_MS))
        assert track.ts.tolist() == [t0 + n * PING_EVERY_MS for n in range(PINGS)], code
    wait_until(lambda: connections(rdb) == before, "the web process's connections closed",
               RECV_S)


def _process_env(settings: Settings) -> dict[str, str]:
    root = Path(__file__).resolve().parents[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISPATCH_", "REDIS_"))}
    env.update(REDIS_URL=settings.redis_url or "", DISPATCH_DATA=str(settings.data_dir),
               DISPATCH_STREETS=",".join(CODES), DISPATCH_DISTRICT=CENTRE,
               DISPATCH_CLOCK_METRICS_PORT="0", DISPATCH_WORKER_METRICS_PORT="0",
               DISPATCH_SCRYPT_N=str(settings.scrypt_n), PYTHONPATH=str(root))
    return env


@pytest.fixture
def process(settings: Settings, tmp_path: Path) -> Iterator[Any]:
    """Starts ``dispatch <command>`` on the district; stopped at the end."""
    procs: list[subprocess.Popen[bytes]] = []

    def start(command: str) -> subprocess.Popen[bytes]:
        with open(tmp_path / f"{command}.log", "wb") as log:
            proc = subprocess.Popen([sys.executable, "-m", "dispatch", command],
                                    env=_process_env(settings), stdout=log,
                                    stderr=subprocess.STDOUT)
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(20)


def test_a_district_clock_leads_every_street_on_a_few_connections(
        district: dict[str, OrgData], rdb: redis.Redis, process: Any) -> None:
    before = settled(rdb)
    process("clock")
    beats = [Keys(code).clock_heartbeat() for code in [*CODES, CENTRE]]
    wait_until(lambda: all(rdb.exists(k) for k in beats), "every street's heartbeat",
               PROCESS_WAIT_S)
    assert all(rdb.get(Keys(code).clock_leader()) for code in [*CODES, CENTRE])
    held = connections(rdb) - before
    assert held <= MAX_CONNECTIONS, f"{held} connections for {len(CODES) + 1} streets"


def test_a_district_worker_runs_each_streets_jobs_on_a_few_connections(
        settings: Settings, district: dict[str, OrgData], rdb: redis.Redis,
        process: Any) -> None:
    before = settled(rdb)
    process("worker")
    wait_until(lambda: bool(rdb.keys("rq:worker:*")), "the worker registered", PROCESS_WAIT_S)
    day = (date.today() - timedelta(days=1)).isoformat()

    async def enqueue() -> None:
        c = bootstrap(dataclasses.replace(settings, street=OTHER))
        try:
            c.queues.enqueue(tasks.build_report, "daily", day, queue="reports")
        finally:
            await c.aclose()

    run_async(enqueue())
    wait_until(lambda: bool(rdb.keys(Keys(OTHER).report("daily", "*"))),
               "the other street's report built", PROCESS_WAIT_S)
    assert not rdb.keys(Keys(HOME).report("daily", "*"))
    held = connections(rdb) - before
    assert held <= MAX_CONNECTIONS, f"{held} connections for {len(CODES) + 1} streets"


def test_closing_a_street_leaves_the_shared_clients_to_the_others(
        settings: Settings, rdb: redis.Redis) -> None:
    before = settled(rdb)

    async def go() -> tuple[int, bool, int]:
        deployment = bootstrap_deployment(settings)
        assert len(deployment.streets) == len(CODES) + 1
        for c in deployment:
            await c.redis.exists(c.keys.user("nobody"))
        held = connections(rdb) - before
        home, other = deployment.of(HOME), deployment.of(OTHER)
        assert home is not None and other is not None
        await home.aclose()
        still = await other.ready() and connections(rdb) - before == held
        await deployment.aclose()
        return held, still

    held, still = run_async(go())
    assert 0 < held <= MAX_CONNECTIONS
    assert still  # one street closed: the others' connections stay open and answer
    wait_until(lambda: connections(rdb) == before, "the deployment closed them all", RECV_S)
