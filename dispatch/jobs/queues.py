"""The RQ queues and their connection (``REDIS_QUEUE_URL``, default the main server)."""

from __future__ import annotations

from redis import Redis
from rq import Queue

from dispatch.embedded_redis import resolve_redis_url
from dispatch.keys import Keys
from dispatch.settings import Settings

QUEUE_NAMES = ("high", "default", "reports")


def queue_connection(settings: Settings) -> Redis:
    url = settings.redis_queue_url or resolve_redis_url(settings.redis_url, settings.redis_dir)
    return Redis.from_url(url)


def queues(settings: Settings, connection: Redis) -> list[Queue]:
    keys = Keys(settings.street)
    return [Queue(keys.queue(name), connection=connection) for name in QUEUE_NAMES]
