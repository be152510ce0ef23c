"""Things that happen at a time of day (patrol windows, daily/weekly/monthly reports).

Each recurring job remembers in Redis the last occurrence it completed, so a clock
that was down runs what it missed once on recovery (late, and says so), and a second
clock taking over does not run an occurrence again after it was recorded. Actions
are idempotent, so an occurrence interrupted before it was recorded may run twice.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.triggers.cron import CronTrigger
from redis.asyncio import Redis

from dispatch.clock import MS_PER_MIN, MS_PER_S

log = logging.getLogger("dispatch.clock")
ONE_US = timedelta(microseconds=1)
#: Never run more occurrences than this of one job in one tick (a clock down for weeks).
MAX_CATCH_UP = 64


@dataclass(frozen=True)
class Occurrence:
    job: str
    at_ms: int  # when it was due
    now_ms: int  # when it runs

    @property
    def late_ms(self) -> int:
        return max(0, self.now_ms - self.at_ms)


Action = Callable[[Occurrence], Awaitable[None]]


@dataclass(frozen=True)
class Recurring:
    name: str
    trigger: CronTrigger
    action: Action


def _dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / MS_PER_S, UTC)


def occurrences(trigger: CronTrigger, after_ms: int, until_ms: int) -> list[int]:
    """Fire times t with after_ms < t <= until_ms (UTC ms), oldest first."""
    out: list[int] = []
    moment = _dt(after_ms) + ONE_US
    while len(out) < MAX_CATCH_UP:
        nxt = trigger.get_next_fire_time(None, moment)
        if nxt is None:
            break
        t = int(nxt.timestamp() * MS_PER_S)
        if t > until_ms:
            break
        if t > after_ms:
            out.append(t)
        moment = nxt + ONE_US
    return out


class RecurringRunner:
    def __init__(self, redis: Redis, marker_key: Callable[[str], str],
                 jobs: list[Recurring]) -> None:
        self.redis = redis
        self.marker_key = marker_key
        self.jobs = jobs

    async def run_due(self, now_ms: int) -> list[Occurrence]:
        """Run every occurrence due since each job's marker; returns what ran."""
        ran: list[Occurrence] = []
        for job in self.jobs:
            key = self.marker_key(job.name)
            marker = await self.redis.get(key)
            if marker is None:  # first start: nothing before now is owed
                await self.redis.set(key, now_ms)
                continue
            for at in occurrences(job.trigger, int(marker), now_ms):
                occurrence = Occurrence(job.name, at, now_ms)
                if occurrence.late_ms > MS_PER_MIN:
                    log.warning("%s due at %s runs %d s late", job.name, _dt(at),
                                occurrence.late_ms // MS_PER_S)
                await job.action(occurrence)
                await self.redis.set(key, at)
                ran.append(occurrence)
        return ran
