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
from time import perf_counter

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from dispatch.bootstrap import Container
from dispatch.clock import MS_PER_S, Now, now_ms
from dispatch.jobs.leader import LeaderLock
from dispatch.jobs.recurring import Occurrence, Recurring, RecurringRunner
from dispatch.metrics import STREET_LABEL, Metrics
from dispatch.settings import Settings

log = logging.getLogger("dispatch.clock")
LEASE_MS = 10_000
RENEW_S = 2.0
#: A leader renews at least this many times within its lease.
RENEWALS_PER_LEASE = 4
CALENDAR_TICK_S = 5.0
#: Buckets (s) of a periodic job's run, and of an occurrence's lateness.
JOB_BUCKETS = (0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
OCCURRENCE_BUCKETS = (1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0)



class ClockFigures:
    """What a clock tells Prometheus of the street it runs, labelled with the street: whether
    it leads it, how long each periodic job (the timers' tick first) takes, and the
    occurrences of the rhythm (patrol windows, daily / weekly / monthly reports) run."""

    def __init__(self, metrics: Metrics, street: str) -> None:
        self.street = street
        self.leading = metrics.gauge("clock_leading", "This clock leads (1) or waits (0)",
                                     [STREET_LABEL]).labels(street)
        self.seconds = metrics.histogram("clock_job_seconds",
                                         "Time of one run of a periodic clock job",
                                         [STREET_LABEL, "job"], buckets=JOB_BUCKETS)
        self.occurrences = metrics.counter("clock_occurrences_total",
                                           "Occurrences of the clock's jobs at times of day run",
                                           [STREET_LABEL, "job"])
        self.late = metrics.histogram("clock_occurrence_lateness_seconds",
                                      "Occurrences of jobs at times of day: due -> run",
                                      [STREET_LABEL], buckets=OCCURRENCE_BUCKETS)

    def periodic(self, job: str, seconds: float) -> None:
        self.seconds.labels(self.street, job).observe(seconds)

    def ran(self, occurrences: list[Occurrence]) -> None:
        for o in occurrences:
            self.occurrences.labels(self.street, o.job).inc()
            self.late.labels(self.street).observe(o.late_ms / MS_PER_S)


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
        self.figures = ClockFigures(container.metrics, container.keys.street)

    async def renew(self) -> bool:
        was = self.leading
        self.leading = await self.lock.hold()
        self.figures.leading.set(int(self.leading))
        if self.leading != was:
            log.info("clock %s the lead of %s", "took" if self.leading else "lost",
                     self.c.keys.street)
        if self.leading:
            await self.c.redis.set(self.c.keys.clock_heartbeat(), self.now())
        return self.leading

    async def run_periodic(self, job: Periodic) -> None:
        if self.leading:
            started = perf_counter()
            await job.action(self.now())
            self.figures.periodic(job.name, perf_counter() - started)

    async def run_calendar(self) -> list[Occurrence]:
        if not self.leading:
            return []
        ran = await self.runner.run_due(self.now())
        self.figures.ran(ran)
        return ran

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
    c = streets.home
    if c.metrics.serve(settings.metrics_host, settings.clock_metrics_port) is not None:
        await refresh_metrics(c, clocks)
        scheduler.add_job(refresh_metrics, "interval", args=[c, clocks],
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
