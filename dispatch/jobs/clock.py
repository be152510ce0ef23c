"""``dispatch clock``: the one process that owns everything done at a time.

Two may run for safety; only the leader's jobs do anything, and the other takes
over within a lock period when the leader dies.
"""

from __future__ import annotations

import logging
import signal
import time
from types import FrameType

from apscheduler.schedulers.blocking import BlockingScheduler
from redis import Redis

from dispatch.embedded_redis import resolve_redis_url
from dispatch.jobs.leader import LeaderLock
from dispatch.keys import Keys
from dispatch.settings import Settings

log = logging.getLogger("dispatch.clock")
LEASE_MS = 10_000
RENEW_S = 3
MS = 1000


class Clock:
    def __init__(self, settings: Settings, redis: Redis) -> None:
        self.settings = settings
        self.redis = redis
        self.keys = Keys(settings.street)
        self.lock = LeaderLock(redis, self.keys.clock_leader(), LEASE_MS)
        self.leading = False
        self.scheduler = BlockingScheduler(timezone=settings.tz)

    def tick_leadership(self) -> None:
        was = self.leading
        self.leading = self.lock.hold()
        if self.leading != was:
            log.info("clock %s leadership", "took" if self.leading else "lost")
        if self.leading:
            self.redis.set(self.keys.clock_heartbeat(), int(time.time() * MS))

    def start(self) -> None:
        self.scheduler.add_job(self.tick_leadership, "interval", seconds=RENEW_S,
                               id="leadership", max_instances=1, coalesce=True)
        self.tick_leadership()
        self.scheduler.start()

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        self.lock.release()


def run_clock(settings: Settings) -> int:
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s clock %(message)s")
    url = resolve_redis_url(settings.redis_url, settings.redis_dir)
    clock = Clock(settings, Redis.from_url(url, decode_responses=True))

    def on_signal(signum: int, frame: FrameType | None) -> None:
        clock.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    clock.start()
    return 0
