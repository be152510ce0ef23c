"""Many streets in one deployment: each user acts on their own street's data only."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
import redis
from websockets.sync.client import ClientConnection, connect

from dispatch.bootstrap import bootstrap
from dispatch.cases.commands import ReportCommand
from dispatch.identity.principal import Principal
from dispatch.identity.roles import Role
from dispatch.identity.users import User
from dispatch.jobs import tasks
from dispatch.keys import Keys
from dispatch.org.model import OrgData, Street
from dispatch.org.seed import seed_org
from dispatch.settings import Settings
from tests.cases.helpers import CGJ_ITEM, HW_ITEM, Places
from tests.conftest import PASSWORD, LiveServer, run_async, running
from tests.districts import DISTRICT_TIER_RULE
from tests.waiting import wait_until

HOME, OTHER, CENTRE = "jlc", "hd", "qu"
RECV_S = 5.0
DISTRICT_USERS = (User("qdisp", Role.DISPATCHER, None, "区指挥中心值班员"),
                  User("qscreen", Role.SCREEN, None, "区大屏"))
CLOCK_LEASE_S = 2.0
PROCESS_WAIT_S = 60.0
LEAD_TAKEN = re.compile(r"clock took the lead of (\S+)")


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"streets": f"{HOME},{OTHER}", "district": CENTRE}


@pytest.fixture
def district(settings: Settings, street: OrgData) -> dict[str, OrgData]:
    """Two streets seeded (the reference street twice: the same user names in each)."""
    other = dataclasses.replace(street, street=Street(code=OTHER, name="华东街道",
                                                      name_en="Huadong Street",
                                                      district="东丽区"))
    streets = {HOME: street, OTHER: other}

    async def go() -> None:
        for code, data in streets.items():
            c = bootstrap(dataclasses.replace(settings, street=code))
            try:
                await seed_org(c.redis, c.keys, c.users, c.org, data, PASSWORD,
                               seeded_ms=int(time.time() * 1000))
            finally:
                await c.aclose()

        c = bootstrap(dataclasses.replace(settings, street=CENTRE))
        try:  # the district centre's own people
            for user in DISTRICT_USERS:
                await c.users.add(user, PASSWORD)
        finally:
            await c.aclose()

    run_async(go())
    return streets


@pytest.fixture
def login(live: LiveServer, district: dict[str, OrgData]) -> Callable[[str], str]:
    cache: dict[str, str] = {}

    def get(username: str) -> str:
        if username not in cache:
            cache[username] = live.login(username)
        return cache[username]

    return get


def call(live: LiveServer, token: str, method: str, path: str, **kw: Any) -> Any:
    with live.client(token) as c:
        return c.request(method, path, **kw)


def report(live: LiveServer, token: str, places: Places, n: int) -> dict[str, Any]:
    lat, lon = places.point("001")
    r = call(live, token, "POST", "/api/v1/cases",
             json={"item": CGJ_ITEM, "lat": lat, "lon": lon, "client_id": f"cid-{n}",
                   "description": "路灯不亮"})
    assert r.status_code == 201, r.text
    return dict(r.json())


@pytest.fixture
def places(live: LiveServer, login: Callable[[str], str]) -> Places:
    return Places(call(live, login("admin"), "GET", "/api/v1/grids").json())


@contextlib.contextmanager
def screen(live: LiveServer, token: str) -> Iterator[ClientConnection]:
    with connect(f"{live.ws_url}/ws/screen?token={token}", open_timeout=RECV_S) as ws:
        assert orjson.loads(ws.recv(timeout=RECV_S))["type"] == "snapshot"
        yield ws


def test_login_resolves_the_users_street(live: LiveServer,
                                         login: Callable[[str], str]) -> None:
    assert login("gw001").startswith(f"{HOME}.")
    assert login(f"gw001@{OTHER}").startswith(f"{OTHER}.")
    me = call(live, login(f"disp1@{OTHER}"), "GET", "/api/v1/me")
    assert me.status_code == 200 and me.json()["username"] == "disp1"


def test_a_street_sees_and_acts_on_its_own_cases_only(
        live: LiveServer, login: Callable[[str], str], places: Places) -> None:
    case = report(live, login(f"gw001@{OTHER}"), places, 1)
    other_desk = call(live, login(f"disp1@{OTHER}"), "GET", "/api/v1/cases").json()
    home_desk = call(live, login("disp1"), "GET", "/api/v1/cases").json()
    assert case["id"] in [c["id"] for c in other_desk["items"]]
    assert home_desk["items"] == []
    assert call(live, login("disp1"), "GET", f"/api/v1/cases/{case['id']}").status_code == 404
    refused = call(live, login("disp1"), "POST", f"/api/v1/cases/{case['id']}/cancel",
                   json={"reason": "不是本街道的"})
    assert refused.status_code == 404 and refused.json()["error"]["code"] == "unknown_case"
    theirs = call(live, login(f"disp1@{OTHER}"), "GET", f"/api/v1/cases/{case['id']}")
    assert theirs.status_code == 200 and theirs.json()["state"] == case["state"]


def test_a_token_is_good_for_its_own_street_only(live: LiveServer,
                                                 login: Callable[[str], str]) -> None:
    secret = login(f"disp1@{OTHER}").partition(".")[2]
    for forged in (f"{HOME}.{secret}", f"zz.{secret}", secret):
        r = call(live, forged, "GET", "/api/v1/me")
        assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_token"


def test_a_screen_streams_its_own_street_only(
        live: LiveServer, login: Callable[[str], str], places: Places) -> None:
    with screen(live, login("screen1")) as home, screen(live, login(f"screen1@{OTHER}")) as other:
        theirs = report(live, login(f"gw001@{OTHER}"), places, 1)
        ours = report(live, login("gw001"), places, 2)
        assert first_case(other)["id"] == theirs["id"]
        assert first_case(home)["id"] == ours["id"]  # the other street's case never came


def first_case(ws: ClientConnection) -> dict[str, Any]:
    while True:
        message = orjson.loads(ws.recv(timeout=RECV_S))
        if message.get("type") == "case":
            return dict(message["case"])


def test_one_street_deployment_issues_tokens_as_before(
        settings: Settings, seeded: OrgData) -> None:
    one = dataclasses.replace(settings, streets="", district="")
    with running(one) as server:
        token = server.login("disp1")
    assert "." not in token


def _process_env(settings: Settings) -> dict[str, str]:
    root = Path(__file__).resolve().parents[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISPATCH_", "REDIS_"))}
    env.update(REDIS_URL=settings.redis_url or "", DISPATCH_DATA=str(settings.data_dir),
               DISPATCH_STREETS=f"{HOME},{OTHER}", DISPATCH_DISTRICT=CENTRE,
               DISPATCH_CLOCK_LEASE=str(CLOCK_LEASE_S),
               DISPATCH_SCRYPT_N=str(settings.scrypt_n), PYTHONPATH=str(root))
    return env


def test_one_clock_process_leads_every_street(
        settings: Settings, district: dict[str, OrgData], rdb: redis.Redis,
        tmp_path: Path) -> None:
    with open(tmp_path / "clock.log", "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "dispatch", "clock"],
                                env=_process_env(settings), stdout=log,
                                stderr=subprocess.STDOUT)
    try:
        beats = [Keys(code).clock_heartbeat() for code in (HOME, OTHER)]
        wait_until(lambda: all(rdb.exists(k) for k in beats), "both streets' heartbeats",
                   PROCESS_WAIT_S)
        leaders = {rdb.get(Keys(code).clock_leader()) for code in (HOME, OTHER)}
        assert None not in leaders  # each street holds a lease of its own
    finally:
        proc.terminate()
        proc.wait(20)


def test_a_job_runs_on_its_own_streets_data(
        settings: Settings, district: dict[str, OrgData], rdb: redis.Redis) -> None:
    day = date.today() - timedelta(days=1)

    async def enqueue() -> None:
        c = bootstrap(dataclasses.replace(settings, street=OTHER))
        try:
            c.queues.enqueue(tasks.build_report, "daily", day.isoformat(), queue="reports")
        finally:
            await c.aclose()

    run_async(enqueue())
    done = subprocess.run([sys.executable, "-m", "dispatch", "worker", "--burst"],
                          env=_process_env(settings), capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert rdb.keys(Keys(OTHER).report("daily", "*"))
    assert not rdb.keys(Keys(HOME).report("daily", "*"))


def test_the_district_sees_every_street_and_its_totals_are_their_sums(
        live: LiveServer, login: Callable[[str], str], places: Places) -> None:
    report(live, login("gw001"), places, 1)
    for n in (2, 3):
        report(live, login(f"gw001@{OTHER}"), places, n)
    district = call(live, login("qdisp"), "GET", "/api/v1/district").json()
    rows = {r["street"]: r for r in district["streets"]}
    assert set(rows) == {HOME, OTHER} and district["district"] == CENTRE
    assert (rows[HOME]["reported"], rows[OTHER]["reported"]) == (1, 2)
    assert (rows[HOME]["open"], rows[OTHER]["open"]) == (1, 2)
    assert rows[OTHER]["name"] == "华东街道"
    totals = district["totals"]
    for name in ("open", "red", "reported", "reported_closed", "due", "patrols_complete",
                 "patrols_missed"):
        assert totals[name] == rows[HOME][name] + rows[OTHER][name], name
    assert totals["streets"] == 2
    street = call(live, login("disp1"), "GET", "/api/v1/district").json()
    assert [r["street"] for r in street["streets"]] == [HOME]  # a street sees its own only


def test_the_district_drills_down_to_a_streets_screen_and_desk(
        live: LiveServer, login: Callable[[str], str], places: Places) -> None:
    with screen(live, f"{login('qscreen')}&street={OTHER}") as ws:
        theirs = report(live, login(f"gw001@{OTHER}"), places, 1)
        assert first_case(ws)["id"] == theirs["id"]
    desk = call(live, login("qdisp"), "GET", "/api/v1/cases", params={"street": OTHER})
    assert [c["id"] for c in desk.json()["items"]] == [theirs["id"]]
    # a street's user naming another street still acts on their own
    own = call(live, login("disp1"), "GET", "/api/v1/cases", params={"street": OTHER})
    assert own.json()["items"] == []


T0 = 1_800_000_000_000
HOUR_MS = 3_600_000


def test_the_third_tier_escalates_a_case_to_the_district(
        settings: Settings, district: dict[str, OrgData], tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    default = Path(__file__).resolve().parents[1] / "dispatch" / "rules" / "default_rules.toml"
    rules.write_text(default.read_text(encoding="utf-8") + DISTRICT_TIER_RULE, encoding="utf-8")
    with_rules = dataclasses.replace(settings, rules_file=rules)
    lat, lon = Places(district[OTHER].grids).point("001")

    async def escalate() -> str:
        c = bootstrap(dataclasses.replace(with_rules, street=OTHER))
        try:
            await c.rules.ensure_installed()
            cmd = ReportCommand("d1", HW_ITEM, lat, lon, "垃圾满溢", None, (), None)
            case, _ = await c.cases.report(Principal("gw001", Role.GRID_WORKER, "001"), cmd,
                                           now_ms=T0)
            for hours in (3, 6, 10):  # past each tier
                await c.cases.fire_due(T0 + hours * HOUR_MS)
            return str(case["id"])
        finally:
            await c.aclose()

    case_id = run_async(escalate())
    with running(with_rules) as live:
        with live.client(live.login("qdisp")) as c:
            seen = c.get("/api/v1/district").json()
        with live.client(live.login("disp1")) as c:
            street = c.get("/api/v1/district").json()
    [escalation] = seen["escalations"]
    assert escalation["street"] == OTHER and escalation["subject"] == {"case": case_id}
    assert (escalation["data"]["level"], escalation["data"]["notify"]) == (3, "district")
    assert escalation["severity"] == "critical"
    rows = {r["street"]: r for r in seen["streets"]}
    assert (rows[OTHER]["escalated"], rows[HOME]["escalated"], seen["totals"]["escalated"]) \
        == (1, 0, 1)
    assert street["escalations"] == []  # the home street does not see the other's


def _leads(log: Path) -> set[str]:
    """The streets a clock's log says it took the lead of."""
    return set(LEAD_TAKEN.findall(log.read_text(encoding="utf-8", errors="replace")))


def test_two_clocks_share_the_streets_and_one_takes_over_a_dead_ones(
        settings: Settings, district: dict[str, OrgData], tmp_path: Path) -> None:
    procs, logs = [], [tmp_path / f"clock{n}.log" for n in range(2)]
    env = {**_process_env(settings), "DISPATCH_CLOCK_METRICS_PORT": "0",
           "DISPATCH_LOG_LEVEL": "info"}
    for path in logs:
        with open(path, "wb") as log:
            procs.append(subprocess.Popen([sys.executable, "-m", "dispatch", "clock"],
                                          env=env, stdout=log, stderr=subprocess.STDOUT))
    streets = {HOME, OTHER, CENTRE}
    try:
        wait_until(lambda: _leads(logs[0]) | _leads(logs[1]) == streets,
                   "every street led by a clock", PROCESS_WAIT_S)
        victim = 0 if _leads(logs[0]) else 1
        held = _leads(logs[victim])
        procs[victim].send_signal(signal.SIGKILL)  # no release: its leases run out
        procs[victim].wait(20)
        survivor = logs[1 - victim]
        wait_until(lambda: held <= _leads(survivor), "the survivor takes the dead one's streets",
                   PROCESS_WAIT_S)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(20)
