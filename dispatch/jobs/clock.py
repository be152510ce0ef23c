"""``dispatch clock``: the one process that owns everything done at a time.

Two may run for safety: only the leader (a lock in Redis with a lease) does anything,
and the other takes over within a lease when the leader dies. Periodic work (deadline
timers every second, presence sweeps) and recurring work at times of day (patrol
windows, reports) are registered in :mod:`dispatch.jobs.schedule`. Time is injected,
so tests drive it without sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from dispatch.bootstrap import Container
from dispatch.clock import Now, now_ms
from dispatch.jobs.leader import LeaderLock
from dispatch.jobs.recurring import Occurrence, Recurring, RecurringRunner
from dispatch.settings import Settings

log = logging.getLogger("dispatch.clock")
LEASE_MS = 10_000
RENEW_S = 2.0
#: A leader renews at least this many times within its lease.
RENEWALS_PER_LEASE = 4
CALENDAR_TICK_S = 5.0



@dataclass(frozen=True)
class Periodic:
    name: str
    every_s: float
    action: Callable[[int], Awaitable[object]]  # called with now (UTC ms)


class Clock:
    def __init__(self, container: Container, periodic: list[Periodic],
                 recurring: list[Recurring], *, now: Now = now_ms,
                 lease_ms: int = LEASE_MS) -> None:
        self.c = container
        self.now = now
        self.periodic = periodic
        self.lock = LeaderLock(container.scripts, container.keys.clock_leader(), lease_ms)
        self.renew_s = min(RENEW_S, lease_ms / 1000 / RENEWALS_PER_LEASE)
        self.runner = RecurringRunner(container.redis, container.keys.clock_marker, recurring)
        self.leading = False

    async def renew(self) -> bool:
        was = self.leading
        self.leading = await self.lock.hold()
        self.c.metrics.gauge("clock_leading", "This clock leads (1) or waits (0)").set(
            int(self.leading))
        if self.leading != was:
            log.info("clock %s the lead of %s", "took" if self.leading else "lost",
                     self.c.keys.street)
        if self.leading:
            await self.c.redis.set(self.c.keys.clock_heartbeat(), self.now())
        return self.leading

    async def run_periodic(self, job: Periodic) -> None:
        if self.leading:
            await job.action(self.now())

    async def run_calendar(self) -> list[Occurrence]:
        return await self.runner.run_due(self.now()) if self.leading else []

    async def step(self) -> list[Occurrence]:
        """One of everything, in order (what tests and a recovering clock call)."""
        await self.renew()
        for job in self.periodic:
            await self.run_periodic(job)
        return await self.run_calendar()

    def schedule(self, scheduler: AsyncIOScheduler) -> None:
        """This street's jobs on ``scheduler`` (ids carry the street: one scheduler runs
        every street's clock)."""
        common = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}
        street = self.c.keys.street
        scheduler.add_job(self.renew, "interval", seconds=self.renew_s, id=f"{street}:lead",
                          **common)
        for job in self.periodic:
            scheduler.add_job(self.run_periodic, "interval", args=[job], seconds=job.every_s,
                              id=f"{street}:{job.name}", **common)
        scheduler.add_job(self.run_calendar, "interval", seconds=CALENDAR_TICK_S,
                          id=f"{street}:calendar", **common)


async def serve_clock(settings: Settings) -> None:
    """Every street's clock in one process: each street has its own lease (its own leader
    key), so two clock processes share the streets, and a dead one's are taken over."""
    from dispatch.district import bootstrap_deployment
    from dispatch.jobs.schedule import periodic_jobs, recurring_jobs, refresh_metrics

    streets = bootstrap_deployment(settings)
    clocks = [Clock(c, periodic_jobs(c), recurring_jobs(c),
                    lease_ms=int(settings.clock_lease_s * 1000)) for c in streets]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    scheduler = AsyncIOScheduler(timezone=settings.tz)
    for clock in clocks:
        await clock.step()
        clock.schedule(scheduler)
    c, home = streets.home, clocks[0]
    if c.metrics.serve(settings.metrics_host, settings.clock_metrics_port) is not None:
        await refresh_metrics(c, home)
        scheduler.add_job(refresh_metrics, "interval", args=[c, home],
                          seconds=settings.metrics_every_s, id="metrics", max_instances=1,
                          coalesce=True, misfire_grace_time=None)
    scheduler.start()
    try:
        await stop.wait()
    finally:
        scheduler.shutdown(wait=False)
        for clock in clocks:
            with contextlib.suppress(Exception):
                await clock.lock.release()
        await streets.aclose()


def run_clock(settings: Settings) -> int:
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s clock %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    asyncio.run(serve_clock(settings))
    return 0
