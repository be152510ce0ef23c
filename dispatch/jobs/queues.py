"""The RQ queues, their connection (``REDIS_QUEUE_URL``, default the main server) and how
heavy work is enqueued: with retries, so a worker killed in the middle of a job does not
lose it (RQ re-queues an abandoned job that has retries left once its timeout passes)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from redis import Redis
from rq import Queue, Retry
from rq.job import Job

from dispatch.embedded_redis import resolve_redis_url
from dispatch.keys import Keys
from dispatch.settings import Settings

QUEUE_NAMES = ("high", "default", "reports")
RETRY_INTERVALS_S = [5, 30, 120]
JOB_TIMEOUT_S = 600
RESULT_TTL_S = 7 * 24 * 3600


def queue_connection(settings: Settings) -> Redis:
    url = settings.redis_queue_url or resolve_redis_url(settings.redis_url, settings.redis_dir,
                                                        settings.fsync)
    return Redis.from_url(url)


def queues(settings: Settings, connection: Redis) -> list[Queue]:
    keys = Keys(settings.street)
    return [Queue(keys.queue(name), connection=connection) for name in QUEUE_NAMES]


def enqueue(settings: Settings, connection: Redis, func: Callable[..., Any], *args: Any,
            queue: str = "default", job_id: str | None = None,
            timeout_s: int = JOB_TIMEOUT_S,
            retry_intervals_s: list[int] | None = None) -> Job:
    """Enqueue ``func(*args)`` with retries; ``job_id`` makes a repeat replace the first."""
    intervals = RETRY_INTERVALS_S if retry_intervals_s is None else retry_intervals_s
    q = Queue(Keys(settings.street).queue(queue), connection=connection)
    return q.enqueue(func, *args, job_id=job_id, job_timeout=timeout_s,
                     retry=Retry(max=len(intervals), interval=intervals),
                     result_ttl=RESULT_TTL_S)
