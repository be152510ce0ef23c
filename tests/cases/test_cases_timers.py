"""Timers fired by ``fire_due`` with an injected clock: each exactly once, at its time."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
import redis

from dispatch.bootstrap import Container, bootstrap
from dispatch.cases.actions import Action
from dispatch.cases.commands import Command, ReportCommand
from dispatch.cases.service import CaseService
from dispatch.cases.store import Fired
from dispatch.identity.principal import Principal
from dispatch.identity.roles import Role
from dispatch.keys import Keys
from dispatch.org.model import OrgData
from dispatch.settings import Settings
from tests.cases.helpers import HW_ITEM, Places, Socket, of_type
from tests.conftest import LiveServer

T = 1_800_000_000_000  # reports are made at this instant
MIN = 60_000
HOUR = 60 * MIN
KEYS = Keys("jlc")
#: SR01 (sanitation): 2 h on the calendar clock, yellow at 75 %, escalations +1 h, +4 h.
YELLOW, RED, ESC1, ESC2 = T + 90 * MIN, T + 2 * HOUR, T + 3 * HOUR, T + 6 * HOUR

WORKER = Principal("gw001", Role.GRID_WORKER, "001")
HOLDER = Principal("dm073", Role.DISPOSAL_MEMBER, "hw")
LEAD = Principal("lead05", Role.DEPT_LEAD, "hw")
DESK = Principal("disp1", Role.DISPATCHER)
R = TypeVar("R")


def run(settings: Settings, fn: Callable[[CaseService], Awaitable[R]]) -> R:
    async def go() -> R:
        c: Container = bootstrap(settings)
        try:
            return await fn(c.cases)
        finally:
            await c.aclose()

    return asyncio.run(go())


class Desk:
    """Service calls with an injected clock."""

    def __init__(self, settings: Settings, street: OrgData) -> None:
        self.settings = settings
        self.places = Places(street.grids)
        self.ids = itertools.count(1)

    def report(self, item: str = HW_ITEM, at: int = T) -> str:
        n = next(self.ids)
        lat, lon = self.places.point(f"{n:03d}")  # one grid each: never a duplicate
        cmd = ReportCommand(f"t{n}", item, lat, lon, "", None, (), None)

        async def go(s: CaseService) -> str:
            case, _ = await s.report(WORKER, cmd, now_ms=at)
            return str(case["id"])

        return run(self.settings, go)

    def act(self, who: Principal, cid: str, at: int, action: Action,
            **kw: Any) -> dict[str, Any]:
        async def go(s: CaseService) -> dict[str, Any]:
            return await s.act(who, cid, Command(action, **kw), now_ms=at)

        return run(self.settings, go)

    def fire(self, at: int, limit: int | None = None) -> list[Fired]:
        return run(self.settings, lambda s: s.fire_due(at, limit))

    def case(self, cid: str, at: int = T) -> dict[str, Any]:
        return run(self.settings, lambda s: s.get(DESK, cid, now_ms=at))


@pytest.fixture
def desk(settings: Settings, seeded: OrgData) -> Desk:
    return Desk(settings, seeded)


def fired(found: list[Fired]) -> list[tuple[str, str, int]]:
    return [(f.timer.case, f.timer.kind.value, f.timer.level) for f in found
            if f.fired and f.timer]


def test_each_timer_fires_once_at_its_time(desk: Desk, live: LiveServer,
                                           tokens: Callable[[str], str]) -> None:
    cid = desk.report()
    case = desk.case(cid)
    assert (case["yellow_at"], case["deadline"], case["escalation"]) == (YELLOW, RED,
                                                                        [ESC1, ESC2])
    desk.act(HOLDER, cid, T + MIN, Action.ACCEPT)
    with Socket(live, tokens("dm073"), settle_s=0.3) as holder, \
            Socket(live, tokens("lead05"), settle_s=0.3) as lead, \
            Socket(live, tokens("dm074"), settle_s=0.3) as colleague, \
            Socket(live, tokens("disp1"), settle_s=0.3) as dispatcher:
        assert desk.fire(YELLOW - 1) == []
        assert fired(desk.fire(YELLOW)) == [(cid, "yellow", 0)]
        assert desk.fire(YELLOW) == []
        warning = holder.wait(of_type("job.warning", cid))
        assert warning["case"]["light"] == "yellow"
        assert colleague.wait(of_type("job.updated", cid))["case"]["light"] == "yellow"
        assert desk.case(cid, YELLOW)["light"] == "yellow"

        late = desk.fire(RED + 5000)
        assert fired(late) == [(cid, "red", 0)] and late[0].late_ms == 5000
        assert holder.wait(of_type("job.overdue", cid))["late_ms"] == 5000
        assert fired(desk.fire(ESC1)) == [(cid, "esc", 1)]
        assert lead.wait(of_type("job.overdue", cid))["level"] == 1
        assert fired(desk.fire(ESC2 + 500)) == [(cid, "esc", 2)]
        to_desk = dispatcher.wait(of_type("job.overdue", cid))
        assert (to_desk["level"], to_desk["notify"]) == (2, "dispatcher")
        assert desk.fire(ESC2 + 100 * HOUR) == []

    case = desk.case(cid, ESC2 + 1000)
    assert (case["light"], case["escalation_level"]) == ("red", 2)
    timers = [e for e in case["timeline"] if e["by"] == "system" and e["action"] != "route"]
    assert [(e["action"], e.get("level"), e.get("late_ms")) for e in timers] == [
        ("light", None, None), ("overdue", None, 5000), ("escalated", 1, None),
        ("escalated", 2, None)]
    assert [e["due"] for e in timers] == [YELLOW, RED, ESC1, ESC2]
    assert timers[2]["notify"] == "lead"


def test_an_unassigned_case_warns_its_department(desk: Desk, live: LiveServer,
                                                 tokens: Callable[[str], str]) -> None:
    cid = desk.report()
    with Socket(live, tokens("dm080"), settle_s=0.3) as member:
        desk.fire(YELLOW)
        assert member.wait(of_type("job.warning", cid))["case"]["assignee"] is None


def test_nothing_fires_for_finished_or_paused_cases(desk: Desk, rdb: redis.Redis) -> None:
    closed, cancelled, suspended, running = (desk.report() for _ in range(4))
    desk.act(HOLDER, closed, T + MIN, Action.ACCEPT)
    desk.act(HOLDER, closed, T + 2 * MIN, Action.RESOLVE, note="done")
    desk.act(WORKER, closed, T + 3 * MIN, Action.VERIFY, ok=True)
    desk.act(DESK, cancelled, T + MIN, Action.CANCEL, note="x")
    desk.act(LEAD, suspended, T + MIN, Action.SUSPEND, note="x")
    left = {m.split("|")[0] for m in rdb.zrange(KEYS.case_timers(), 0, -1)}
    assert left == {running}
    rdb.zadd(KEYS.case_timers(), {f"{suspended}|red|0|1": RED})  # left over from its old clock
    rdb.zadd(KEYS.case_timers(), {f"{running}|red|0|9": RED})  # a generation it never had
    found = desk.fire(ESC2 + HOUR)
    assert {f.timer.case for f in found if f.fired and f.timer} == {running}
    assert sorted(f.member for f in found if not f.fired) == sorted(
        [f"{suspended}|red|0|1", f"{running}|red|0|9"])
    for cid in (closed, cancelled, suspended):
        assert not [e for e in desk.case(cid)["timeline"]
                    if e["action"] in ("light", "overdue", "escalated")]
    assert rdb.zcard(KEYS.case_timers()) == 0


def test_an_extension_moves_the_pending_timers(desk: Desk) -> None:
    cid = desk.report()
    desk.act(HOLDER, cid, T + MIN, Action.ACCEPT)
    desk.act(HOLDER, cid, T + 30 * MIN, Action.EXTEND, note="车坏了", hours=2)
    assert desk.fire(T + 45 * MIN) == []
    approved = desk.act(DESK, cid, T + HOUR, Action.APPROVE_EXTENSION)
    assert approved["deadline"] == T + 4 * HOUR and approved["yellow_at"] == T + 3 * HOUR
    assert fired(desk.fire(T + 2 * HOUR + MIN)) == []  # the old yellow and red are gone
    assert fired(desk.fire(T + 3 * HOUR)) == [(cid, "yellow", 0)]
    assert fired(desk.fire(T + 4 * HOUR)) == [(cid, "red", 0)]
    assert fired(desk.fire(T + 5 * HOUR)) == [(cid, "esc", 1)]


def test_an_extension_after_the_deadline_turns_the_light_back(desk: Desk) -> None:
    cid = desk.report()
    desk.act(HOLDER, cid, T + MIN, Action.ACCEPT)
    desk.fire(RED)
    desk.act(HOLDER, cid, RED + MIN, Action.EXTEND, note="x", hours=4)
    approved = desk.act(DESK, cid, RED + 2 * MIN, Action.APPROVE_EXTENSION)
    assert approved["light"] == "green" and approved["deadline"] == T + 6 * HOUR
    assert fired(desk.fire(T + 6 * HOUR)) == [(cid, "yellow", 0), (cid, "red", 0)]


def test_suspend_and_resume_shift_the_timers_by_the_pause(desk: Desk) -> None:
    cid = desk.report()
    desk.act(LEAD, cid, T + 30 * MIN, Action.SUSPEND, note="雨天")
    assert desk.fire(YELLOW) == []
    resumed = desk.act(LEAD, cid, T + 5 * HOUR + 30 * MIN, Action.RESUME)
    shift = 5 * HOUR
    assert resumed["state"] == "dispatched"
    assert (resumed["yellow_at"], resumed["deadline"]) == (YELLOW + shift, RED + shift)
    assert resumed["escalation"] == [ESC1 + shift, ESC2 + shift]
    assert resumed["timeline"][-1]["paused_ms"] == shift
    assert fired(desk.fire(YELLOW + shift - 1)) == []
    assert fired(desk.fire(YELLOW + shift)) == [(cid, "yellow", 0)]


def test_a_failed_verification_restarts_the_clock(desk: Desk) -> None:
    cid = desk.report()
    desk.act(HOLDER, cid, T + MIN, Action.ACCEPT)
    desk.act(HOLDER, cid, T + 10 * MIN, Action.RESOLVE, note="done")
    assert desk.fire(ESC2) == []  # resolved: the clock waits for the verification
    reopened = desk.act(WORKER, cid, RED + HOUR, Action.VERIFY, ok=False, note="没清")
    assert (reopened["state"], reopened["light"]) == ("reopened", "red")
    assert fired(desk.fire(ESC2)) == [(cid, "esc", 2)]  # only what lies ahead


def test_two_clocks_fire_each_timer_once(desk: Desk, settings: Settings) -> None:
    ids = [desk.report() for _ in range(20)]

    async def both(s: CaseService) -> list[Fired]:
        other = bootstrap(settings)
        try:
            a, b = await asyncio.gather(s.fire_due(ESC2, 7), other.cases.fire_due(ESC2, 7))
            rest = await s.fire_due(ESC2)
            return a + b + rest
        finally:
            await other.aclose()

    found = run(desk.settings, both)
    done = fired(found)
    assert len(done) == len(set(done)) == 20 * 4
    assert {c for c, _, _ in done} == set(ids)


def test_light_filter_follows_the_clock(desk: Desk) -> None:
    early, late = desk.report(at=T), desk.report(at=T + HOUR)

    async def by_light(s: CaseService) -> dict[str, list[str]]:
        from dispatch.cases.listing import Query

        out = {}
        for light in ("green", "yellow", "red"):
            page = await s.listing(DESK, Query(light=light), now_ms=T + 100 * MIN)
            out[light] = [c["id"] for c in page["items"]]
        return out

    assert run(desk.settings, by_light) == {"green": [late], "yellow": [early], "red": []}
