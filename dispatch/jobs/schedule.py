"""What the clock runs: periodic work, and work at times of day in the street's time zone.

Periodic: deadline timers twice a second, presence sweeps and patrol-window closing every
30 s, the screen's figures. At times of day: each patrol window's start (a reminder to
every grid worker), half an hour before its end (a reminder to those who have not
patrolled), its end (patrols closed, missed ones recorded), and the supervision rhythm:
a daily summary, a weekly push on stuck work and a monthly report, run by RQ workers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, time, timedelta
from time import perf_counter
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from dispatch.bootstrap import Container
from dispatch.clock import MS_PER_S
from dispatch.jobs import tasks
from dispatch.jobs.clock import Clock, Periodic
from dispatch.jobs.recurring import Occurrence, Recurring
from dispatch.metrics import STREET_LABEL
from dispatch.observe import (
    ALERT_KINDS,
    measure_redis,
    observe_fired,
    refresh_alerts,
    refresh_cases,
    refresh_queues,
    timer_lateness,
)
from dispatch.patrol.windows import PatrolWindow, parse_windows
from dispatch.realtime.hub import publish
from dispatch.reports.live import screen_figures

log = logging.getLogger("dispatch.clock")
#: Deadline timers are looked at twice a second: a timer fires at most this late when
#: nothing is queued before it (once a second put the 99th percentile at 0.99 s).
TIMERS_EVERY_S = 0.5
JOINT_TIMERS_EVERY_S = 1.0
SWEEP_EVERY_S = 30.0
CLOSING_REMINDER = timedelta(minutes=30)
DAILY_AT = time(0, 10)
WEEKLY_AT = time(8, 30)  # Monday
MONTHLY_AT = time(9, 0)  # the 1st


def periodic_jobs(c: Container) -> list[Periodic]:
    async def figures(now: int) -> None:
        await c.events.emit({"type": "figures", **await screen_figures(c, now)})

    timer_lateness(c.metrics)

    async def joint_timers(now: int) -> None:
        await c.cases.fire_parts_due(now)  # 协办: assisting parts past their own limit
        await c.cases.fire_whistles(now)  # 吹哨: the summoned not on site in time

    return [
        Periodic("timers", TIMERS_EVERY_S, TimerDrain(c)),
        Periodic("joint_timers", JOINT_TIMERS_EVERY_S, joint_timers),
        Periodic("presence", SWEEP_EVERY_S, lambda now: c.location.sweep(now)),
        Periodic("windows", SWEEP_EVERY_S, lambda now: c.patrols.close_windows(now)),
        Periodic("figures", float(c.settings.figures_every_s), figures),
        Periodic("archive", float(c.settings.archive_every_s), c.archive.compact_due),
    ]


#: A timer step (one FIRE_DUE script) should take about this long: Redis runs nothing else
#: meanwhile, so the batch shrinks when steps get slow and grows when they are quick.
#: Only the firing is timed: the step's alerts go while the next step fires.
STEP_TARGET_S = 0.05
MIN_TIMER_BATCH = 50
MAX_TIMER_BATCH = 5_000
#: A tick drains for at most this share of its period; what is left goes next tick.
DRAIN_SHARE = 0.9


class TimerDrain:
    """The timer tick: fire everything due, in steps whose size adapts to their cost.

    One step of ``DISPATCH_TIMER_BATCH`` per second left a burst of 10,000 timers due in
    the same second 20 s late; steps follow one another until the due set is empty (or
    the tick's time is spent), each sized so that it holds Redis ~``STEP_TARGET_S``.
    A step's observers (the alerts) are told while the next step fires, one step's
    after the one before."""

    def __init__(self, c: Container, elapsed: Callable[[], float] = perf_counter,
                 every_s: float = TIMERS_EVERY_S) -> None:
        self.c = c
        self.elapsed = elapsed
        self.every_s = every_s
        self.batch = max(MIN_TIMER_BATCH, min(MAX_TIMER_BATCH, c.settings.timer_batch))

    async def __call__(self, now: int) -> None:
        deadline = self.elapsed() + self.every_s * DRAIN_SHARE
        telling: asyncio.Future[None] | None = None
        try:
            while True:
                limit = self.batch
                started = self.elapsed()
                fired, cases = await self.c.cases.fire_untold(now, limit)
                self._adapt(len(fired), self.elapsed() - started)
                observe_fired(self.c.metrics, fired, self.c.keys.street)
                if telling is not None:
                    await telling
                telling = asyncio.ensure_future(self.c.cases.tell_fired(fired, cases, now))
                if len(fired) < limit or self.elapsed() > deadline:
                    return
        finally:
            if telling is not None:
                await telling

    def _adapt(self, fired: int, took: float) -> None:
        if took > 0 and fired:
            wanted = int(STEP_TARGET_S / (took / fired))
            # move halfway towards the size that would take the target time
            self.batch = max(MIN_TIMER_BATCH, min(MAX_TIMER_BATCH, (self.batch + wanted) // 2))


def _at(moment: time, tz: ZoneInfo, **fields: Any) -> CronTrigger:
    return CronTrigger(hour=moment.hour, minute=moment.minute, timezone=tz, **fields)


def _local_day(occurrence: Occurrence, tz: ZoneInfo, back: timedelta) -> str:
    moment = datetime.fromtimestamp(occurrence.at_ms / MS_PER_S, tz) - back
    return moment.date().isoformat()


async def remind_workers(c: Container, message: dict[str, Any], skip: set[str]) -> int:
    """Push ``message`` to every grid worker's phone but those in ``skip``."""
    workers = [w for w in await c.location.directory.roster() if w.username not in skip]
    async with c.redis.pipeline(transaction=False) as pipe:
        for w in workers:
            await publish(pipe, c.keys.user_channel(w.username), message)
        await pipe.execute()
    return len(workers)


def window_jobs(c: Container, window: PatrolWindow, tz: ZoneInfo) -> list[Recurring]:
    closing = (datetime.combine(datetime.today(), window.end) - CLOSING_REMINDER).time()

    async def opened(o: Occurrence) -> None:
        await remind_workers(c, {"type": "alert", "kind": "window_open", "window": window.name,
                                 "start": window.start.isoformat("minutes"),
                                 "end": window.end.isoformat("minutes")}, set())

    async def closing_soon(o: Occurrence) -> None:
        day = _local_day(o, tz, timedelta(0))
        done = {p.worker for p in await c.patrols.store.of_day(day) if p.window == window.name}
        await remind_workers(c, {"type": "alert", "kind": "window_closing",
                                 "window": window.name,
                                 "end": window.end.isoformat("minutes")}, done)

    async def closed(o: Occurrence) -> None:
        await c.patrols.close_windows(o.at_ms)

    return [
        Recurring(f"window:{window.name}:open", _at(window.start, tz), opened),
        Recurring(f"window:{window.name}:closing", _at(closing, tz), closing_soon),
        Recurring(f"window:{window.name}:close", _at(window.end, tz), closed),
    ]


def rhythm_jobs(c: Container, tz: ZoneInfo) -> list[Recurring]:
    def later(func: Any, *args: str, job_id: str) -> None:
        c.queues.enqueue(func, *args, queue="reports", job_id=job_id)

    async def daily(o: Occurrence) -> None:
        day = _local_day(o, tz, timedelta(days=1))
        later(tasks.build_report, "daily", day, job_id=f"report-daily-{day}")

    async def weekly(o: Occurrence) -> None:
        day = _local_day(o, tz, timedelta(days=7))
        later(tasks.build_report, "weekly", day, job_id=f"report-weekly-{day}")
        later(tasks.weekly_push, day, job_id=f"weekly-push-{day}")

    async def monthly(o: Occurrence) -> None:
        day = _local_day(o, tz, timedelta(days=1))
        later(tasks.build_report, "monthly", day, job_id=f"report-monthly-{day}")
        later(tasks.build_scores, "monthly", day, job_id=f"scores-monthly-{day}")

    return [
        Recurring("daily", _at(DAILY_AT, tz), daily),
        Recurring("weekly", _at(WEEKLY_AT, tz, day_of_week="mon"), weekly),
        Recurring("monthly", _at(MONTHLY_AT, tz, day="1"), monthly),
    ]


def recurring_jobs(c: Container) -> list[Recurring]:
    tz = ZoneInfo(c.settings.tz)
    jobs = [job for w in parse_windows(c.settings.patrol_windows)
            for job in window_jobs(c, w, tz)]
    return jobs + rhythm_jobs(c, tz)


async def refresh_metrics(c: Container, clocks: list[Clock]) -> None:
    """The clock's gauges: Redis and the home street's queues always; the cases and alerts
    of every street it leads, each labelled with its street."""
    await measure_redis(c.redis, c.metrics)
    try:
        await asyncio.to_thread(refresh_queues, c.queues.all(), c.metrics)
        for clock in clocks:
            if clock.leading:
                await refresh_street(clock.c)
    except Exception as exc:  # Redis away: the next round tries again
        log.debug("clock metrics not refreshed: %s", exc)


async def refresh_street(c: Container) -> None:
    street = c.keys.street
    await refresh_cases(c.redis, c.keys, c.metrics)
    c.metrics.gauge("cases_archived", "Closed cases compacted into the archive",
                    [STREET_LABEL]).labels(street).set(await c.archive.count())
    refresh_alerts(await c.alerts.active(), c.metrics, street, ALERT_KINDS)
