"""A job the failover test has an RQ worker run: one write to the cluster per job, done
through the worker's container as the product's jobs do (``dispatch.jobs.tasks``)."""

from __future__ import annotations

from dispatch.bootstrap import Container
from dispatch.jobs import tasks

#: The label of job ``n``'s write (under the street's scores keys).
LABEL = "failover-{n}"


def label(n: int) -> str:
    return LABEL.format(n=n)


def note(n: int) -> int:
    """Write job ``n``'s mark to the cluster; ``n`` once written."""
    async def work(c: Container) -> int:
        await c.redis.set(c.keys.scores(label(n)), str(n))
        return n

    return tasks._run(work)
