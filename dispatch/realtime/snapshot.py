"""What a screen's snapshot holds: one section per concern (cases, workers, alerts, figures).

:func:`screen_sections` lists every section in one place; the web runtime builds it once
and every screen socket gathers it, filtered to what the screen follows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dispatch.access import ScreenFilter
from dispatch.reports.live import figures_for, screen_figures

if TYPE_CHECKING:
    from dispatch.bootstrap import Container

#: Most open cases a snapshot carries (newest first).
SNAPSHOT_CASES_MAX = 2000


Section = Callable[[ScreenFilter], Awaitable[Any]]


@dataclass
class SnapshotSections:
    sections: dict[str, Section] = field(default_factory=dict)

    def register(self, name: str, section: Section) -> None:
        self.sections[name] = section

    async def gather(self, screen: ScreenFilter) -> dict[str, Any]:
        names = list(self.sections)
        values = await asyncio.gather(*(self.sections[n](screen) for n in names))
        return dict(zip(names, values, strict=True))


def screen_sections(c: Container) -> SnapshotSections:
    """Every section of the command screen's snapshot, read from the container's services."""

    async def cases(screen: ScreenFilter) -> list[dict[str, Any]]:
        return [s for s in await c.cases.open_summaries(SNAPSHOT_CASES_MAX) if screen.admits(s)]

    async def workers(screen: ScreenFilter) -> list[dict[str, Any]]:
        return [w for w in await c.location.workers() if screen.admits(w)]

    async def alerts(screen: ScreenFilter) -> list[dict[str, Any]]:
        return await c.alerts.active(screen)

    async def figures(screen: ScreenFilter) -> dict[str, Any]:
        return figures_for(await screen_figures(c), screen.station, screen.department)

    found = SnapshotSections()
    for name, section in (("cases", cases), ("workers", workers), ("alerts", alerts),
                          ("figures", figures)):
        found.register(name, section)
    return found
