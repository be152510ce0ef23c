"""The ``match`` part of a rule: which reports a rule applies to."""

from __future__ import annotations

from dataclasses import dataclass, fields

from .hours import Window, window_contains


@dataclass(frozen=True)
class Match:
    """Conditions that must all hold; ``None`` means any value."""

    items: frozenset[str] | None = None
    categories: frozenset[str] | None = None
    stations: frozenset[str] | None = None
    grids: frozenset[str] | None = None
    severity: frozenset[str] | None = None
    hours: tuple[Window, ...] | None = None

    @property
    def specificity(self) -> int:
        """How many match keys are given."""
        return sum(getattr(self, f.name) is not None for f in fields(self))

    def accepts(self, station: str | None, grid: str | None, severity: str, minute: int) -> bool:
        """Whether the non-item conditions hold for a report (items are indexed apart)."""
        if self.stations is not None and station not in self.stations:
            return False
        if self.grids is not None and grid not in self.grids:
            return False
        if self.severity is not None and severity not in self.severity:
            return False
        return self.hours is None or any(window_contains(w, minute) for w in self.hours)
