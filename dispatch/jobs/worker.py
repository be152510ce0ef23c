"""``dispatch worker``: an RQ worker on the street's queues, exporting its own metrics.

The worker builds the containers once (one per street, on one set of clients: one
queues' connection, one pool), before it takes jobs; every job it runs (in the work
horse RQ forks for it) uses its queue's street's container
(:class:`dispatch.jobs.tasks.JobRuntime`).
"""

from __future__ import annotations

import logging
import threading

from rq import Worker

from dispatch.district import bootstrap_deployment
from dispatch.jobs import tasks
from dispatch.jobs.queues import QUEUE_NAMES, Queues
from dispatch.metrics import PREFIX, Metrics
from dispatch.observe import WorkerJobs, measure_redis_sync, refresh_queues
from dispatch.settings import Settings

#: How often a worker looks for jobs abandoned by a dead worker (and re-queues them).
MAINTENANCE_S = 60
log = logging.getLogger("dispatch.worker")


def export_metrics(worker: Worker, settings: Settings, queues: Queues) -> threading.Event:
    """Serve the worker's metrics and refresh them from a thread; set the event to stop."""
    metrics = Metrics()
    jobs = WorkerJobs(PREFIX)
    metrics.registry.register(jobs)
    stop = threading.Event()
    if metrics.serve(settings.metrics_host, settings.worker_metrics_port) is None:
        return stop
    connection = queues.connection
    watched = queues.all()

    def refresh() -> None:
        while True:
            try:
                measure_redis_sync(connection, metrics)
                refresh_queues(watched, metrics)
                jobs.read(connection, worker.key)
            except Exception as exc:  # Redis away: the next round tries again
                log.debug("worker metrics not refreshed: %s", exc)
            if stop.wait(settings.metrics_every_s):
                return

    threading.Thread(target=refresh, name="worker-metrics", daemon=True).start()
    return stop


def run_worker(settings: Settings, *, burst: bool = False) -> int:
    streets = bootstrap_deployment(settings)
    c = streets.home
    by_queue = {q.name: s for s in streets for q in s.queues.all()}
    tasks.install(tasks.JobRuntime(c, by_queue))
    # every street's queues, the most urgent first across streets
    queues = [s.queues.queue(name) for name in QUEUE_NAMES for s in streets]
    worker = Worker(queues, connection=c.queues.connection,
                    maintenance_interval=MAINTENANCE_S)
    stop = export_metrics(worker, settings, c.queues)
    try:
        worker.work(burst=burst, with_scheduler=True, logging_level=settings.log_level.upper())
    finally:
        stop.set()
        closed = set()
        for s in streets:  # the shared connection once
            if id(s.queues.connection) not in closed:
                closed.add(id(s.queues.connection))
                s.queues.close()
    return 0
