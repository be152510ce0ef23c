"""``dispatch worker``: an RQ worker on the street's queues, exporting its own metrics."""

from __future__ import annotations

import logging
import threading

from rq import Worker

from dispatch.jobs.queues import queue_connection, queues
from dispatch.metrics import PREFIX, Metrics
from dispatch.observe import WorkerJobs, measure_redis_sync, refresh_queues
from dispatch.settings import Settings

#: How often a worker looks for jobs abandoned by a dead worker (and re-queues them).
MAINTENANCE_S = 60
log = logging.getLogger("dispatch.worker")


def export_metrics(worker: Worker, settings: Settings) -> threading.Event:
    """Serve the worker's metrics and refresh them from a thread; set the event to stop."""
    metrics = Metrics()
    jobs = WorkerJobs(PREFIX)
    metrics.registry.register(jobs)
    stop = threading.Event()
    if metrics.serve(settings.metrics_host, settings.worker_metrics_port) is None:
        return stop
    connection = queue_connection(settings)
    watched = queues(settings, connection)

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
    connection = queue_connection(settings)
    worker = Worker(queues(settings, connection), connection=connection,
                    maintenance_interval=MAINTENANCE_S)
    stop = export_metrics(worker, settings)
    try:
        worker.work(burst=burst, with_scheduler=True, logging_level=settings.log_level.upper())
    finally:
        stop.set()
    return 0
