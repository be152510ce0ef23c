"""What a screen's snapshot holds: sections registered by each area (workers, cases, ...)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ScreenFilter:
    """A screen may follow one station and/or one department."""

    station: str | None = None
    department: str | None = None

    def admits(self, event: dict[str, Any]) -> bool:
        """Whether an event (or an item of one) concerns this screen: its ``station`` and
        ``department``, or those of its ``scope`` (an alert)."""
        scope = event.get("scope")
        where = scope if isinstance(scope, dict) else event
        station = where.get("station")
        department = where.get("department")
        if self.station and station and station != self.station:
            return False
        return not (self.department and department and department != self.department)

    @property
    def active(self) -> bool:
        return bool(self.station or self.department)


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
