"""RQ jobs: heavy work the clock hands to the workers (reports, scores, the weekly push).

A job gets its container from the worker it runs in (:mod:`dispatch.jobs.worker` builds
it once, before taking jobs) and is idempotent, so a retry after a killed worker does no
harm.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any, TypeVar

import orjson
from rq import get_current_job

from dispatch.bootstrap import Container
from dispatch.realtime.hub import publish
from dispatch.reports.periods import Kind

T = TypeVar("T")


class JobRuntime:
    """What a worker process gives its jobs: the container, and an event loop to run them
    on (one per process: a job forked into a work horse gets a loop of its own)."""

    def __init__(self, container: Container,
                 by_queue: dict[str, Container] | None = None) -> None:
        self.container = container
        #: Every street's container by its queues' names: a job runs on its queue's street.
        self.by_queue = by_queue or {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid = 0

    def container_of_job(self) -> Container:
        job = get_current_job()
        return self.by_queue.get(job.origin, self.container) if job else self.container

    def run(self, work: Callable[[Container], Awaitable[T]]) -> T:
        if self._loop is None or self._pid != os.getpid():
            self._loop, self._pid = asyncio.new_event_loop(), os.getpid()
        return self._loop.run_until_complete(work(self.container_of_job()))


_runtime: JobRuntime | None = None


def install(runtime: JobRuntime) -> None:
    """Called once by the worker: the jobs it runs use ``runtime``."""
    global _runtime
    _runtime = runtime


def _run(work: Callable[[Container], Awaitable[T]]) -> T:
    if _runtime is None:
        raise RuntimeError("a dispatch job runs in `dispatch worker`, which gives its container")
    return _runtime.run(work)


def build_report(kind: str, day: str) -> str:
    """Build and keep the report of the period containing ``day``."""
    return _run(lambda c: c.reports.keep(Kind(kind), date.fromisoformat(day)))


def build_scores(kind: str, day: str) -> str:
    """Compute and keep the scores of the period containing ``day``."""
    async def work(c: Container) -> str:
        scores = await c.reports.scores(Kind(kind), date.fromisoformat(day))
        await c.redis.set(c.keys.scores(scores["label"]), orjson.dumps(scores))
        return str(scores["label"])

    return _run(work)


def weekly_push(day: str) -> int:
    """每周一督促: tell each department's lead and the dispatchers what is stuck."""
    async def work(c: Container) -> int:
        report = await c.reports.get(Kind.WEEKLY, date.fromisoformat(day))
        stuck: dict[str, Any] = report.get("stuck", {})
        departments = {d["id"]: d for d in await c.org.departments()}
        async with c.redis.pipeline(transaction=False) as pipe:
            for dept, cases in stuck.items():
                message = {"type": "alert", "kind": "weekly_stuck", "department": dept,
                           "cases": cases, "week": report["label"]}
                lead = departments.get(dept, {}).get("lead")
                if lead:
                    await publish(pipe, c.keys.user_channel(lead), message)
                await publish(pipe, c.keys.role_channel("dispatcher"), message)
            await pipe.execute()
        return sum(len(v) for v in stuck.values())

    return _run(work)
