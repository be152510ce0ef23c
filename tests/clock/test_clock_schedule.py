"""The clock process's schedule, driven with an injected time against the real server."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest
import redis

from dispatch.bootstrap import bootstrap
from dispatch.jobs.clock import Clock
from dispatch.jobs.schedule import periodic_jobs, recurring_jobs
from dispatch.settings import Settings
from tests.cases.helpers import HW_ITEM, Cases
from tests.conftest import LiveServer

TZ = ZoneInfo("Asia/Shanghai")
MS = 1000
HOUR = 3_600_000
TIMER_ACTIONS = ("light", "overdue", "escalated")
QUIET_S = 0.5


class Driven:
    """A clock whose time the test sets; each ``at(t)`` runs one step at t."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.t = 0

    async def _step(self, t: int) -> list[Any]:
        c = bootstrap(self.settings)
        try:
            self.t = t
            clock = Clock(c, periodic_jobs(c), recurring_jobs(c), now=lambda: self.t)
            ran = await clock.step()
            await clock.lock.release()
            return ran
        finally:
            await c.aclose()

    def at(self, t: int) -> list[Any]:
        return asyncio.run(self._step(t))


@pytest.fixture
def cases(live: LiveServer, tokens: Callable[[str], str]) -> Cases:
    return Cases(live, tokens)


def timer_entries(case: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in case["timeline"] if e["action"] in TIMER_ACTIONS]


def stored_light(rdb: redis.Redis, cid: str) -> str | None:
    """The light the timers set (a read computes it from the real now)."""
    return rdb.hget(f"dispatch:{{jlc}}:case:{cid}", "light")


def test_lights_and_escalations_fire_once_at_their_time(
        cases: Cases, live: LiveServer, seeded: Any, rdb: redis.Redis) -> None:
    case = cases.report(item=HW_ITEM)  # sanitation: 2 h, escalations 1 h and 4 h past
    cid, deadline, yellow = case["id"], case["deadline"], case["yellow_at"]
    clock = Driven(live.settings)
    clock.at(yellow - 1)
    assert timer_entries(cases.get("disp1", cid)) == []
    clock.at(yellow)
    clock.at(yellow + 1000)  # a second tick does not fire it again
    after_yellow = cases.get("disp1", cid)
    assert stored_light(rdb, cid) == "yellow"
    assert [e["action"] for e in timer_entries(after_yellow)] == ["light"]
    assert timer_entries(after_yellow)[0]["ts"] == yellow
    clock.at(deadline)
    assert stored_light(rdb, cid) == "red"
    clock.at(deadline + HOUR)
    clock.at(deadline + 4 * HOUR)
    clock.at(deadline + 4 * HOUR + 1)
    done = cases.get("disp1", cid)
    assert done["escalation_level"] == 2
    assert [e["action"] for e in timer_entries(done)] == ["light", "overdue", "escalated",
                                                          "escalated"]
    assert [e.get("level") for e in timer_entries(done)][2:] == [1, 2]


def test_a_clock_down_at_the_time_fires_late_once(cases: Cases, live: LiveServer,
                                                   seeded: Any) -> None:
    case = cases.report(item=HW_ITEM)
    clock = Driven(live.settings)
    clock.at(case["deadline"] + 2 * HOUR)  # down through yellow and red; back 2 h late
    clock.at(case["deadline"] + 2 * HOUR + 1)
    entries = timer_entries(cases.get("disp1", case["id"]))
    assert [e["action"] for e in entries] == ["light", "overdue", "escalated"]
    assert all(e.get("late_ms", 0) > HOUR for e in entries[:2])


def test_closing_or_suspending_cancels_timers(cases: Cases, live: LiveServer,
                                              seeded: Any) -> None:
    cancelled = cases.report(item=HW_ITEM)
    cases.act("disp1", cancelled["id"], "cancel", reason="报错了")
    suspended = cases.report(item=HW_ITEM)
    cases.act("disp1", suspended["id"], "suspend", reason="长期工程")
    Driven(live.settings).at(cancelled["deadline"] + 10 * HOUR)
    assert timer_entries(cases.get("disp1", cancelled["id"])) == []
    assert timer_entries(cases.get("disp1", suspended["id"])) == []


def test_an_extension_moves_the_pending_timers(cases: Cases, live: LiveServer,
                                               seeded: Any, rdb: redis.Redis) -> None:
    case = cases.report(item=HW_ITEM)
    cid = case["id"]
    member = cases.listing("lead05")  # hw's lead sees the job
    assert any(c["id"] == cid for c in member["items"])
    cases.act("dm080", cid, "accept")
    cases.act("dm080", cid, "extend", hours=3, reason="需要吊车")
    moved = cases.act("disp1", cid, "approve_extension")
    assert moved["deadline"] == case["deadline"] + 3 * HOUR
    clock = Driven(live.settings)
    clock.at(case["deadline"] + 1)  # the old deadline: no longer red
    assert stored_light(rdb, cid) != "red"
    clock.at(moved["deadline"])
    assert stored_light(rdb, cid) == "red"


def local(y: int, m: int, d: int, hh: int, mm: int = 0) -> int:
    return int(datetime(y, m, d, hh, mm, tzinfo=TZ).timestamp() * MS)


@pytest.fixture
def phone_messages(rdb: redis.Redis) -> Iterator[Callable[[], list[dict[str, Any]]]]:
    pubsub = rdb.pubsub(ignore_subscribe_messages=True)
    pubsub.psubscribe("dispatch:{jlc}:push:user:gw00*")

    def read() -> list[dict[str, Any]]:
        """Every message until none came for half a second."""
        out = []
        quiet_until = time.monotonic() + QUIET_S
        while time.monotonic() < quiet_until:
            m = pubsub.get_message(timeout=QUIET_S)
            if m is not None:
                out.append(orjson.loads(m["data"]))
                quiet_until = time.monotonic() + QUIET_S
        return out

    yield read
    pubsub.close()


def test_patrol_windows_remind_then_record_missed_patrols(
        live: LiveServer, seeded: Any, rdb: redis.Redis,
        phone_messages: Callable[[], list[dict[str, Any]]]) -> None:
    clock = Driven(live.settings)
    day = datetime.now(TZ).date() + timedelta(days=2)  # a day the street exists all of
    clock.at(local(day.year, day.month, day.day, 7, 0))  # first start: nothing owed before
    clock.at(local(day.year, day.month, day.day, 8, 0))
    opened = [m for m in phone_messages() if m.get("kind") == "window_open"]
    assert len(opened) == 9  # gw001..gw009 on the pattern, once each
    clock.at(local(day.year, day.month, day.day, 12, 0))
    key = "dispatch:{jlc}:" + f"patrols:day:{day.isoformat()}"
    assert rdb.zcard(key) == 108
    clock.at(local(day.year, day.month, day.day, 12, 1))
    assert rdb.zcard(key) == 108  # once


def test_the_daily_report_is_enqueued_and_agrees_with_the_audit_trail(
        cases: Cases, live: LiveServer, settings: Settings, seeded: Any) -> None:
    from rq import Queue

    from dispatch.keys import Keys
    from tests.clock.test_worker_jobs import start_worker

    a = cases.report(item=HW_ITEM)
    b = cases.report(item=HW_ITEM, grid="002", user="gw002")
    cases.act("dm080", a["id"], "accept")
    cases.act("dm080", a["id"], "resolve", note="已清运")
    cases.act("gw001", a["id"], "verify", ok=True, note="核查通过")
    cases.act("disp1", b["id"], "cancel", reason="重复")
    today = datetime.fromtimestamp(a["created"] / MS, TZ).date()
    now = local(today.year, today.month, today.day, 23, 59)
    clock = Driven(live.settings)
    clock.at(now)
    tomorrow = now + 11 * 60 * MS  # 00:10 next day: the daily summary is enqueued
    clock.at(tomorrow)
    queue = Queue(Keys("jlc").queue("reports"), connection=redis.Redis.from_url(
        settings.redis_url or ""))
    jobs = queue.get_jobs()
    assert [j.func_name for j in jobs] == ["dispatch.jobs.tasks.build_report"]
    assert jobs[0].args == ("daily", today.isoformat())
    worker = start_worker(settings, burst=True)
    assert worker.wait(60) == 0
    kept = orjson.loads(redis.Redis.from_url(settings.redis_url or "").get(
        Keys("jlc").report("daily", today.isoformat())))
    with live.client(cases.tokens("disp1")) as c:
        report = c.get("/api/v1/reports/daily", params={"date": today.isoformat()}).json()
        csv = c.get("/api/v1/reports/daily", params={"date": today.isoformat(),
                                                     "format": "csv"})
    recount = recount_from_timelines(cases, [a["id"], b["id"]], today)
    totals = report["totals"]
    assert (totals["reported"], totals["closed"], totals["dispatched"]) == recount
    assert totals["cancelled"] == 1
    assert totals["closure_rate"] == 1.0  # the cancelled report is kept out of the rate
    assert report["departments"]["hw"]["closed"] == 1
    assert csv.headers["content-type"].startswith("text/csv")
    assert "department,hw" in csv.text
    assert kept["totals"] == totals  # the worker kept the same figures


def recount_from_timelines(cases: Cases, ids: list[str], day: date) -> tuple[int, int, int]:
    reported = closed = dispatched = 0
    for cid in ids:
        for e in cases.get("disp1", cid)["timeline"]:
            if datetime.fromtimestamp(e["ts"] / MS, TZ).date() != day:
                continue
            reported += e["action"] == "report"
            closed += e.get("to") == "closed"
            dispatched += e.get("to") == "dispatched" and e["action"] == "route"
    return reported, closed, dispatched
