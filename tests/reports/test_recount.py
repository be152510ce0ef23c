"""Every figure the server shows equals an independent recount (tests/reports/recount.py)
of a known history seeded through the API across two days and a week boundary: reports,
extensions, suspensions, reworks, reassignments, returns, duplicates, cancellations,
ratings, patrols complete, incomplete, missed and extra. Time is injected, never waited."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest
from websockets.sync.client import connect

from dispatch.bootstrap import bootstrap
from dispatch.org.model import OrgData
from dispatch.reports.scores import parse_weights
from dispatch.settings import Settings
from tests.cases.helpers import CGJ_ITEM, HW_ITEM, Cases
from tests.conftest import LiveServer, running
from tests.location.fixtures import walk
from tests.reports.recount import World, recount_report, recount_scores

TZ = ZoneInfo("Asia/Shanghai")
MS = 1000
MIN = 60 * MS
WINDOWS = "08:00-12:00,14:00-18:00"


class Now:
    """The server's clock: the test sets it."""

    def __init__(self, t: int) -> None:
        self.t = t

    def __call__(self) -> int:
        return self.t


def local(d: date, h: int, m: int = 0) -> int:
    return int(datetime(d.year, d.month, d.day, h, m, tzinfo=TZ).timestamp() * MS)


def next_sunday() -> date:
    """A Sunday at least two days ahead (the street exists all of it)."""
    d = datetime.now(TZ).date() + timedelta(days=2)
    return d + timedelta(days=(6 - d.weekday()) % 7)


SUNDAY = next_sunday()
MONDAY = SUNDAY + timedelta(days=1)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"patrol_windows": WINDOWS}


@pytest.fixture
def now() -> Now:
    return Now(local(SUNDAY, 7))


@pytest.fixture
def live(settings: Settings, now: Now) -> Iterator[LiveServer]:
    with running(settings, clock=now) as server:
        yield server


@pytest.fixture
def cases(live: LiveServer, tokens: Callable[[str], str]) -> Cases:
    return Cases(live, tokens)


def close_windows(settings: Settings, at: int) -> None:
    """The clock process's window closing, at ``at``."""
    async def go() -> None:
        c = bootstrap(settings)
        try:
            await c.patrols.close_windows(at)
        finally:
            await c.aclose()

    asyncio.run(go())


class History:
    def __init__(self, cases: Cases, now: Now, live: LiveServer, street: OrgData) -> None:
        self.cases, self.now, self.live, self.street = cases, now, live, street

    def at(self, d: date, h: int, m: int = 0) -> History:
        self.now.t = local(d, h, m)
        return self

    def report(self, who: str, item: str, grid: str, **body: Any) -> str:
        return str(self.cases.report(who, item=item, grid=grid, **body)["id"])

    def act(self, who: str, cid: str, action: str, **body: Any) -> dict[str, Any]:
        return self.cases.act(who, cid, action, **body)

    def patrol(self, who: str, minutes: float, *, gap_after: float = 1) -> dict[str, Any]:
        """Start a patrol now, walk ``minutes`` in the worker's grid, end it."""
        token = self.cases.tokens(who)
        with self.live.client(token) as http:
            started = http.post("/api/v1/patrols/start")
            assert started.status_code == 201, started.text
            pings = walk(self.street, who[2:], self.now.t + 1000, minutes=minutes)
            self.now.t = pings[-1]["ts"] + int(gap_after * MIN)
            r = http.post("/api/v1/locations", json={"items": pings})
            assert r.status_code == 200, r.text
            ended = http.post(f"/api/v1/patrols/{started.json()['id']}/end")
        assert ended.status_code == 200, ended.text
        return dict(ended.json())


def seed_history(h: History, settings: Settings, cgj_member: str) -> dict[str, str]:
    """The known history; returns the case ids by role in it."""
    ids: dict[str, str] = {}
    d1, d2 = SUNDAY, MONDAY
    assert h.at(d1, 7, 30).patrol("gw010", 20)["kind"] == "extra"  # before the windows
    assert h.at(d1, 8, 5).patrol("gw001", 45)["status"] == "complete"
    assert h.at(d1, 8, 10).patrol("gw002", 12)["status"] == "incomplete"
    h.at(d1, 9)
    ids["in_time"] = h.report("gw001", HW_ITEM, "001")  # sanitation: 2 h, calendar clock
    case_a = h.cases.get("disp1", ids["in_time"])
    h.at(d1, 9, 5)
    dup = h.cases.report("gw001", item=HW_ITEM, grid="001", lat=case_a["lat"],
                         lon=case_a["lon"] + 0.0001)
    assert dup["state"] == "duplicate"
    ids["duplicate"] = str(dup["id"])
    h.at(d1, 9, 10)
    ids["reworked"] = h.report("gw003", HW_ITEM, "003")
    h.at(d1, 9, 20)
    ids["returned"] = h.report("gw004", HW_ITEM, "004")
    h.at(d1, 9, 30)
    ids["extended"] = h.report("gw005", HW_ITEM, "005")
    h.at(d1, 9, 40)
    ids["suspended"] = h.report("gw006", HW_ITEM, "006")
    h.at(d1, 9, 50)
    ids["cancelled"] = h.report("gw007", HW_ITEM, "007")
    h.at(d1, 10).act("dm080", ids["in_time"], "accept")
    h.act("dm080", ids["reworked"], "accept")
    h.act("dm081", ids["extended"], "accept")
    h.act("disp1", ids["suspended"], "suspend", reason="长期工程")
    h.at(d1, 10, 5).act("dm081", ids["extended"], "extend", hours=3, reason="需要吊车")
    h.at(d1, 10, 10).act("disp1", ids["extended"], "approve_extension")
    h.at(d1, 10, 15).act("dm080", ids["reworked"], "resolve", note="已清运")
    h.at(d1, 10, 20).act("gw003", ids["reworked"], "verify", ok=False, note="未清理干净")
    h.at(d1, 10, 30).act("dm080", ids["in_time"], "resolve", note="已清运")
    h.at(d1, 10, 40).act("disp1", ids["cancelled"], "cancel", reason="误报")
    h.at(d1, 10, 50).act("gw001", ids["in_time"], "verify", ok=True, note="核查通过")
    h.at(d1, 11, 0).act("gw001", ids["in_time"], "rate", score=4, note="满意")
    h.at(d1, 12, 0).act("dm080", ids["returned"], "reject", reason="不属于本部门")
    close_windows(settings, local(d1, 12) + 30 * MS)  # the morning's missed patrols
    h.at(d1, 12, 30).act("dm080", ids["reworked"], "accept")
    h.at(d1, 12, 40).act("dm080", ids["reworked"], "resolve", note="已返工")
    h.at(d1, 13, 0).act("gw003", ids["reworked"], "verify", ok=True, note="通过")
    h.at(d1, 14, 0).act("dm081", ids["extended"], "resolve", note="已清运")
    assert h.at(d1, 14, 10).patrol("gw001", 40)["status"] == "complete"
    h.at(d1, 15, 30).act("gw005", ids["extended"], "verify", ok=True)
    h.at(d1, 16, 0)
    ids["weekend"] = h.report("gw008", CGJ_ITEM, "008")  # working clock: due on Monday
    close_windows(settings, local(d1, 18) + 30 * MS)
    h.at(d1, 21).patrol("gw011", 30)  # a night patrol, toward no window
    # Monday: a new ISO week
    assert h.at(d2, 8, 10).patrol("gw001", 45)["status"] == "complete"
    h.at(d2, 9, 0).act("disp1", ids["suspended"], "resume")
    h.act("disp1", ids["returned"], "reassign", department="cgj")
    h.at(d2, 9, 10).act(cgj_member, ids["returned"], "accept")
    h.act(cgj_member, ids["weekend"], "accept")
    h.at(d2, 9, 30).act(cgj_member, ids["returned"], "resolve", note="已处理")
    h.at(d2, 9, 40).act("gw004", ids["returned"], "verify", ok=True)
    ids["open"] = h.at(d2, 9, 45).report("gw009", HW_ITEM, "009")  # due 11:45, left open
    h.at(d2, 10, 0).act(cgj_member, ids["weekend"], "resolve", note="已处理")  # waits a check
    close_windows(settings, local(d2, 12) + 30 * MS)
    h.at(d2, 13, 0)
    return ids


def world(h: History) -> World:
    admin = h.cases.tokens("admin")
    with h.live.client(admin) as http:
        listing: list[dict[str, Any]] = []
        cursor = None
        while True:
            page = http.get("/api/v1/cases", params={"limit": 200, **(
                {"cursor": cursor} if cursor else {})}).json()
            listing += page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                break
        full = [http.get(f"/api/v1/cases/{c['id']}").json() for c in listing]
        patrols = []
        for d in (SUNDAY - timedelta(days=1), SUNDAY, MONDAY):
            patrols += http.get("/api/v1/patrols", params={"date": d.isoformat()}).json()[
                "items"]
        street = http.get("/api/v1/street").json()
        stations = [s["id"] for s in http.get("/api/v1/stations").json()["items"]]
        departments = [d["id"] for d in http.get("/api/v1/departments").json()["items"]]
    return World(full, patrols, stations, departments, int(street["seeded_ms"]),
                 ZoneInfo(street["tz"]), [(w["name"], w["start"], w["end"])
                                          for w in street["patrol_windows"]])


def compare(got: dict[str, Any], want: dict[str, Any], where: str,
            failures: list[str]) -> int:
    n = 0
    for key, value in want.items():
        n += 1
        if got.get(key) != value:
            failures.append(f"{where}.{key}: server {got.get(key)!r}, recount {value!r}")
    return n


def test_every_figure_equals_an_independent_recount(
        live: LiveServer, cases: Cases, now: Now, settings: Settings, seeded: OrgData) -> None:
    h = History(cases, now, live, seeded)
    with live.client(cases.tokens("admin")) as http:
        cgj_member = http.get("/api/v1/departments/cgj").json()["members"][0]
    ids = seed_history(h, settings, cgj_member)
    w = world(h)
    failures: list[str] = []
    compared = 0
    reports = [("daily", SUNDAY), ("daily", MONDAY), ("weekly", SUNDAY), ("weekly", MONDAY),
               ("monthly", SUNDAY), ("monthly", MONDAY)]
    with live.client(cases.tokens("assess1")) as http:
        for kind, d in reports:
            server = http.get(f"/api/v1/reports/{kind}", params={"date": d.isoformat()}).json()
            want = recount_report(w, kind, d, now.t)
            assert server["label"] == want["label"] and server["at"] == want["at"]
            compared += compare(server["totals"], want["totals"], f"{kind} {d} total",
                                failures)
            for group in ("stations", "departments"):
                assert set(server[group]) == set(want[group]), (kind, group)
                for name, figs in want[group].items():
                    compared += compare(server[group][name], figs, f"{kind} {d} {name}",
                                        failures)
            for point in server["series"]:
                day = date.fromisoformat(point["label"])
                daily = recount_report(w, "daily", day, now.t)["totals"]
                compared += compare(point, {k: daily[k] for k in point if k in daily},
                                    f"{kind} {d} series {day}", failures)
        s = settings
        weights = (parse_weights(s.worker_weights), parse_weights(s.department_weights))
        workers = sorted(f"gw{n:03d}" for n in range(1, 109))
        for period, d, kind in (("day", MONDAY, "daily"), ("week", MONDAY, "weekly"),
                                ("month", MONDAY, "monthly"),
                                (SUNDAY.isoformat(), SUNDAY, "daily"),
                                (f"{SUNDAY.isocalendar()[0]}-W{SUNDAY.isocalendar()[1]:02d}",
                                 SUNDAY, "weekly")):
            server = http.get("/api/v1/scores", params={"period": period}).json()
            want = recount_scores(w, kind, d, now.t, workers, *weights, s.warn_last)
            assert server["label"] == want["label"]
            for subject_kind in ("workers", "departments"):
                rows = {x["subject"]: x for x in server[subject_kind]}
                assert set(rows) == set(want[subject_kind])
                for subject, row in want[subject_kind].items():
                    got = rows[subject]
                    where = f"scores {period} {subject}"
                    compared += compare(got, {k: row[k] for k in ("score", "rank", "warned")},
                                        where, failures)
                    compared += compare(got["parts"], row["parts"], where, failures)
                    compared += compare(got["raw"], row["raw"], where, failures)
    with connect(f"{live.ws_url}/ws/screen?token={cases.tokens('screen1')}") as ws:
        snapshot = orjson.loads(ws.recv(timeout=10))
    screen = snapshot["figures"]
    today = recount_report(w, "daily", MONDAY, now.t)["totals"]
    compared += compare(screen, {k: v for k, v in today.items()}, "screen", failures)
    compared += compare(screen, {"patrols_done": today["patrols_complete"]}, "screen",
                        failures)
    print(f"figures compared with the recount: {compared}")
    assert failures == []
    # the history has what it says it has
    sunday = recount_report(w, "daily", SUNDAY, now.t)["totals"]
    assert sunday["duplicates"] == 1 and sunday["cancelled"] == 1 and sunday["reworks"] == 1
    assert sunday["patrols_complete"] == 2 and sunday["patrols_incomplete"] == 1
    assert sunday["patrols_missed"] == 2 * 108 - 3 and sunday["patrols_extra"] == 2
    assert sunday["due_suspended"] == 1 and sunday["ratings"] == 1
    assert today["overdue"] == 2 and today["closed"] == 1  # the open one, the resumed one
    hw = recount_report(w, "weekly", SUNDAY, now.t)["departments"]["hw"]
    assert hw["overdue"] == 1  # the returned case went late in sanitation's hands
    assert ids["weekend"]
    assert compared > 4000
