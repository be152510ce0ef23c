"""``dispatch worker``: an RQ worker on the street's queues."""

from __future__ import annotations

from rq import Worker

from dispatch.jobs.queues import queue_connection, queues
from dispatch.settings import Settings

#: How often a worker looks for jobs abandoned by a dead worker (and re-queues them).
MAINTENANCE_S = 60


def run_worker(settings: Settings, *, burst: bool = False) -> int:
    connection = queue_connection(settings)
    worker = Worker(queues(settings, connection), connection=connection,
                    maintenance_interval=MAINTENANCE_S)
    worker.work(burst=burst, with_scheduler=True, logging_level=settings.log_level.upper())
    return 0
