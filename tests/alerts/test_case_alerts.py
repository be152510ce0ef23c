"""Case alerts follow the timers and the lifecycle: near the limit, overdue, each escalation
level, rework beyond the bound; each clears itself when the case leaves that situation."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import orjson
import pytest

from dispatch.bootstrap import Container, bootstrap
from dispatch.cases.actions import Action
from dispatch.cases.commands import Command, ReportCommand
from dispatch.identity.principal import Principal
from dispatch.identity.roles import Role
from dispatch.org.model import OrgData
from dispatch.settings import Settings
from tests.cases.helpers import HW_ITEM, Places

T = 1_800_000_000_000
MIN = 60_000
HOUR = 60 * MIN
#: SR01 (sanitation, hw): 2 h on the calendar clock, yellow at 75 %, escalations +1 h
#: (the department's lead) and +4 h (the dispatchers).
YELLOW, RED, ESC1, ESC2 = T + 90 * MIN, T + 2 * HOUR, T + 3 * HOUR, T + 6 * HOUR
WORKER = Principal("gw001", Role.GRID_WORKER, "001")
HOLDER = Principal("dm073", Role.DISPOSAL_MEMBER, "hw")
DESK = Principal("disp1", Role.DISPATCHER)
R = TypeVar("R")


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"rework_limit": 2}


class Street:
    """The case and alert services with an injected clock."""

    def __init__(self, settings: Settings, street: OrgData) -> None:
        self.settings = settings
        self.places = Places(street.grids)
        self.ids = itertools.count(1)

    def run(self, fn: Callable[[Container], Awaitable[R]]) -> R:
        async def go() -> R:
            c = bootstrap(self.settings)
            try:
                return await fn(c)
            finally:
                await c.aclose()

        return asyncio.run(go())

    def report(self, at: int = T) -> str:
        n = next(self.ids)
        lat, lon = self.places.point(f"{n:03d}")
        cmd = ReportCommand(f"a{n}", HW_ITEM, lat, lon, "垃圾满溢", None, (), None)

        async def go(c: Container) -> str:
            case, _ = await c.cases.report(WORKER, cmd, now_ms=at)
            return str(case["id"])

        return self.run(go)

    def act(self, who: Principal, cid: str, at: int, action: Action,
            **kw: Any) -> dict[str, Any]:
        return self.run(lambda c: c.cases.act(who, cid, Command(action, **kw), now_ms=at))

    def fire(self, at: int) -> None:
        self.run(lambda c: c.cases.fire_due(at))

    def alerts(self, *kinds: str) -> list[dict[str, Any]]:
        found = self.run(lambda c: c.alerts.active())
        return [a for a in found if not kinds or a["kind"] in kinds]

    def alert(self, alert_id: str) -> dict[str, Any]:
        found = self.run(lambda c: c.alerts.store.get(alert_id))
        assert found is not None
        return found

    def screen_alerts(self) -> list[dict[str, Any]]:
        async def read(c: Container) -> list[dict[str, Any]]:
            entries = await c.redis.xrange(c.keys.events_stream())
            return [orjson.loads(f["e"]) for _id, f in entries]

        return [e for e in self.run(read) if e["type"] == "alert"]


@pytest.fixture
def street(settings: Settings, seeded: OrgData) -> Street:
    return Street(settings, seeded)


def test_a_case_warns_goes_overdue_escalates_and_clears_when_extended(street: Street) -> None:
    cid = street.report()
    street.act(HOLDER, cid, T + MIN, Action.ACCEPT)
    street.fire(YELLOW)
    [near] = street.alerts()
    assert (near["kind"], near["severity"], near["owner"]) == ("case_near_limit", "info",
                                                               "department")
    assert near["subject"] == {"case": cid} and near["scope"]["department"] == "hw"
    assert near["data"]["deadline"] == RED and near["data"]["assignee"] == "dm073"

    street.fire(RED)
    [overdue] = street.alerts()
    assert (overdue["kind"], overdue["severity"], overdue["first_ts"]) == (
        "case_overdue", "major", RED)
    assert street.alert(near["id"])["reason"] == "overdue"

    street.fire(ESC1)
    [esc] = street.alerts("case_escalated")
    assert (esc["owner"], esc["data"]["level"], esc["data"]["notify"]) == (
        "department", 1, "lead")
    street.fire(ESC2)
    [esc2] = street.alerts("case_escalated")
    assert esc2["id"] == esc["id"]  # the same escalation, one level up
    assert (esc2["count"], esc2["owner"], esc2["data"]["level"]) == (2, "centre", 2)
    assert {a["kind"] for a in street.screen_alerts()} == {
        "case_near_limit", "case_overdue", "case_escalated"}

    street.act(HOLDER, cid, ESC2 + MIN, Action.EXTEND, note="需调大型机械", hours=8)
    assert len(street.alerts()) == 2  # asking is not getting
    street.act(DESK, cid, ESC2 + 2 * MIN, Action.APPROVE_EXTENSION)
    assert street.alerts() == []
    assert street.alert(overdue["id"])["reason"] == "extended"
    assert street.alert(esc["id"])["state"] == "cleared"


def test_red_cases_of_one_department_are_one_alert_and_leave_it_one_by_one(
        street: Street) -> None:
    first, second, third = (street.report() for _ in range(3))
    street.fire(RED)
    [overdue] = street.alerts("case_overdue")
    assert overdue["count"] == 3 and set(overdue["members"]) == {first, second, third}
    street.act(HOLDER, first, RED + MIN, Action.ACCEPT)
    street.act(HOLDER, first, RED + 2 * MIN, Action.RESOLVE, note="已清运")
    street.act(DESK, second, RED + 3 * MIN, Action.CANCEL, note="重复上报")
    [left] = street.alerts("case_overdue")
    assert left["active"] == 1 and left["members"] == {first: False, second: False,
                                                       third: True}
    street.act(DESK, third, RED + 4 * MIN, Action.SUSPEND, note="待产权单位")
    assert street.alerts() == []
    assert street.alert(overdue["id"])["reason"] == "suspended"


def test_rework_beyond_the_bound_raises_an_alert_closed_with_the_case(street: Street) -> None:
    cid = street.report()
    at = T + MIN
    for n in range(3):
        street.act(HOLDER, cid, at, Action.ACCEPT)
        street.act(HOLDER, cid, at + 1, Action.RESOLVE, note=f"第{n + 1}次办结")
        street.act(WORKER, cid, at + 2, Action.VERIFY, ok=False, note="仍未清理")
        at += 10
        assert len(street.alerts("rework_limit")) == (1 if n == 2 else 0)
    [rework] = street.alerts("rework_limit")
    assert (rework["owner"], rework["severity"], rework["data"]["rework_count"]) == (
        "centre", "major", 3)
    street.act(HOLDER, cid, at, Action.ACCEPT)
    street.act(HOLDER, cid, at + 1, Action.RESOLVE, note="彻底清理")
    street.act(WORKER, cid, at + 2, Action.VERIFY, ok=True)
    assert street.alerts() == []
    assert street.alert(rework["id"])["reason"] == "verified"
