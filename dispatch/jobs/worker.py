"""``dispatch worker``: an RQ worker on the street's queues.

The worker builds the container once, before it takes jobs; every job it runs (in the
work horse RQ forks for it) uses that container (:class:`dispatch.jobs.tasks.JobRuntime`).
"""

from __future__ import annotations

from rq import Worker

from dispatch.bootstrap import bootstrap
from dispatch.jobs import tasks
from dispatch.settings import Settings

#: How often a worker looks for jobs abandoned by a dead worker (and re-queues them).
MAINTENANCE_S = 60


def run_worker(settings: Settings, *, burst: bool = False) -> int:
    c = bootstrap(settings)
    tasks.install(tasks.JobRuntime(c))
    worker = Worker(c.queues.all(), connection=c.queues.connection,
                    maintenance_interval=MAINTENANCE_S)
    try:
        worker.work(burst=burst, with_scheduler=True, logging_level=settings.log_level.upper())
    finally:
        c.queues.close()
    return 0
