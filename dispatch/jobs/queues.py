"""The RQ queues of the street and how heavy work is enqueued: with retries, so a worker
killed in the middle of a job does not lose it (RQ re-queues an abandoned job that has
retries left once its timeout passes).

The queues' connection (``REDIS_QUEUE_URL``, default the main server) is made by
``bootstrap()``; nothing here opens one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from redis import Redis
from rq import Queue, Retry
from rq.job import Job

from dispatch.keys import Keys

QUEUE_NAMES = ("high", "default", "reports")
RETRY_INTERVALS_S = [5, 30, 120]
JOB_TIMEOUT_S = 600
RESULT_TTL_S = 7 * 24 * 3600


class Queues:
    """The street's queues on one (synchronous, as RQ wants) Redis connection."""

    def __init__(self, connection: Redis, keys: Keys) -> None:
        self.connection = connection
        self.keys = keys

    def queue(self, name: str) -> Queue:
        return Queue(self.keys.queue(name), connection=self.connection)

    def all(self) -> list[Queue]:
        """Every queue, the most urgent first (the order a worker serves them in)."""
        return [self.queue(name) for name in QUEUE_NAMES]

    def enqueue(self, func: Callable[..., Any], *args: Any, queue: str = "default",
                job_id: str | None = None, timeout_s: int = JOB_TIMEOUT_S,
                retry_intervals_s: list[int] | None = None) -> Job:
        """Enqueue ``func(*args)`` with retries; ``job_id`` makes a repeat replace the first."""
        intervals = RETRY_INTERVALS_S if retry_intervals_s is None else retry_intervals_s
        return self.queue(queue).enqueue(func, *args, job_id=job_id, job_timeout=timeout_s,
                                         retry=Retry(max=len(intervals), interval=intervals),
                                         result_ttl=RESULT_TTL_S)

    def close(self) -> None:
        self.connection.close()
