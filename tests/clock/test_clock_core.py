"""The clock's core: leadership with failover, and recurring work that survives restarts."""

from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from dispatch.bootstrap import bootstrap
from dispatch.jobs.clock import Clock, Periodic
from dispatch.jobs.recurring import Occurrence, Recurring, occurrences
from dispatch.settings import Settings
from tests.waiting import until

TZ = ZoneInfo("Asia/Shanghai")
MS = 1000
MINUTE = 60 * MS


def local_ms(*args: int) -> int:
    return int(datetime(*args, tzinfo=TZ).timestamp() * MS)


def test_occurrences_in_local_time() -> None:
    trigger = CronTrigger(hour="8,14", minute=0, timezone=TZ)
    got = occurrences(trigger, local_ms(2026, 11, 20, 9), local_ms(2026, 11, 21, 14))
    assert got == [local_ms(2026, 11, 20, 14), local_ms(2026, 11, 21, 8),
                   local_ms(2026, 11, 21, 14)]
    assert occurrences(trigger, local_ms(2026, 11, 21, 14), local_ms(2026, 11, 21, 14)) == []


def test_missed_occurrences_run_once_late_after_a_restart(settings: Settings) -> None:
    async def go() -> None:
        c = bootstrap(settings)
        ran: list[Occurrence] = []

        async def record(o: Occurrence) -> None:
            ran.append(o)

        jobs = [Recurring("daily", CronTrigger(hour=0, minute=5, timezone=TZ), record)]
        now = [local_ms(2026, 11, 18, 12)]
        clock = Clock(c, [], jobs, now=lambda: now[0])
        try:
            assert await clock.step() == []  # first start: nothing owed from the past
            now[0] = local_ms(2026, 11, 19, 0, 5)
            assert [o.late_ms for o in await clock.step()] == [0]
            # down for two days; a new clock process (same Redis) catches up once each
            now[0] = local_ms(2026, 11, 21, 9)
            again = Clock(c, [], jobs, now=lambda: now[0])
            await clock.lock.release()
            late = await again.step()
            assert [o.at_ms for o in late] == [local_ms(2026, 11, 20, 0, 5),
                                               local_ms(2026, 11, 21, 0, 5)]
            assert late[0].late_ms > 24 * 60 * MINUTE
            assert await again.step() == []  # never twice
            assert len(ran) == 3
        finally:
            await c.aclose()

    asyncio.run(go())


def test_only_the_leader_works_and_the_other_takes_over(settings: Settings) -> None:
    async def go() -> None:
        c = bootstrap(settings)
        calls: list[str] = []

        def job(name: str) -> Periodic:
            async def act(now: int) -> None:
                calls.append(name)
            return Periodic("tick", 1, act)

        a = Clock(c, [job("a")], [], lease_ms=300)
        b = Clock(c, [job("b")], [], lease_ms=300)
        try:
            await a.step()
            await b.step()
            assert calls == ["a"]
            assert a.leading and not b.leading
            # a died: it stops renewing, and its lease runs out
            async def lease_gone() -> bool:
                return not await c.redis.exists(c.keys.clock_leader())

            await until(lease_gone, "a's lease to run out")
            await b.step()
            assert b.leading and calls == ["a", "b"]
            await a.step()
            assert not a.leading and calls == ["a", "b"]  # a came back: b keeps the lead
        finally:
            await c.aclose()

    asyncio.run(go())
