"""``dispatch worker``: an RQ worker on the street's queues."""

from __future__ import annotations

from rq import Worker

from dispatch.jobs.queues import queue_connection, queues
from dispatch.settings import Settings


def run_worker(settings: Settings, *, burst: bool = False) -> int:
    connection = queue_connection(settings)
    worker = Worker(queues(settings, connection), connection=connection)
    worker.work(burst=burst, with_scheduler=True, logging_level=settings.log_level.upper())
    return 0
