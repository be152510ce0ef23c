"""RQ jobs: heavy work the clock hands to the workers (reports, scores, the weekly push).

Each job bootstraps its own container from the worker's environment and is idempotent,
so a retry after a killed worker does no harm.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any, TypeVar

from dispatch.bootstrap import Container, bootstrap
from dispatch.realtime.hub import publish
from dispatch.reports.periods import Kind

T = TypeVar("T")


def _run(work: Callable[[Container], Awaitable[T]]) -> T:
    async def go() -> T:
        c = bootstrap()
        try:
            return await work(c)
        finally:
            await c.aclose()

    return asyncio.run(go())


def build_report(kind: str, day: str) -> str:
    """Build and keep the report of the period containing ``day``."""
    return _run(lambda c: c.reports.keep(Kind(kind), date.fromisoformat(day)))


def build_scores(kind: str, day: str) -> str:
    """Compute and keep the scores of the period containing ``day``."""
    async def work(c: Container) -> str:
        import orjson

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
