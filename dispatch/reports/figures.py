"""The figures of a period, per station and per department, from case and patrol facts.

closure rate = closed / reported; on-time rate = closed in time / (due - suspended), where
due are the cases whose deadline fell in the period.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from dispatch.reports.facts import CaseFacts

PATROL_STATUSES = ("complete", "incomplete", "missed")
RATE_DIGITS = 4


@dataclass(frozen=True)
class PatrolFacts:
    id: str
    worker: str
    grid: str | None
    station: str | None
    date: str
    status: str
    start: int


@dataclass(frozen=True)
class Period:
    start: int  # UTC ms, inclusive
    end: int  # UTC ms, exclusive
    label: str

    def has(self, t: int | None) -> bool:
        return t is not None and self.start <= t < self.end


@dataclass(frozen=True)
class Figures:
    reported: int = 0
    dispatched: int = 0
    closed: int = 0
    closed_in_time: int = 0
    overdue: int = 0
    due: int = 0
    due_suspended: int = 0
    reworks: int = 0
    patrols_complete: int = 0
    patrols_incomplete: int = 0
    patrols_missed: int = 0

    @property
    def closure_rate(self) -> float | None:
        return round(self.closed / self.reported, RATE_DIGITS) if self.reported else None

    @property
    def on_time_rate(self) -> float | None:
        due = self.due - self.due_suspended
        if due <= 0:
            return None
        in_time_of_due = min(self.closed_in_time, due)
        return round(in_time_of_due / due, RATE_DIGITS)

    def public(self) -> dict[str, Any]:
        return {**asdict(self), "closure_rate": self.closure_rate,
                "on_time_rate": self.on_time_rate}


def case_figures(cases: Iterable[CaseFacts], period: Period) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for f in cases:
        out["reported"] += period.has(f.created)
        out["dispatched"] += period.has(f.dispatched)
        if period.has(f.closed):
            out["closed"] += 1
            out["closed_in_time"] += f.closed_in_time()
        out["overdue"] += f.overdue_at(period.end)
        if period.has(f.deadline):
            out["due"] += 1
            out["due_suspended"] += f.suspended is not None
        out["reworks"] += f.reworks if period.has(f.created) else 0
    return out


def patrol_figures(patrols: Iterable[PatrolFacts], period: Period) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for p in patrols:
        if period.has(p.start) and p.status in PATROL_STATUSES:
            out[f"patrols_{p.status}"] += 1
    return out


def figures(cases: Sequence[CaseFacts], patrols: Sequence[PatrolFacts],
            period: Period) -> Figures:
    return Figures(**case_figures(cases, period), **patrol_figures(patrols, period))


def grouped(cases: Sequence[CaseFacts], patrols: Sequence[PatrolFacts], period: Period,
            key: Callable[[Any], str | None]) -> dict[str, Figures]:
    """Figures per group (station or department); facts without a group are left out."""
    names = {key(f) for f in cases} | {key(p) for p in patrols}
    return {
        name: figures([f for f in cases if key(f) == name],
                      [p for p in patrols if key(p) == name], period)
        for name in sorted(n for n in names if n)
    }
