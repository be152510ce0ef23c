"""The figures of a period, in total, per station and per department, with the cases (or
patrols) behind every count: a :class:`Tally` of the definitions over the facts.

Rates (docs/figures.md):
- closure rate = reported and closed at T / (reported - cancelled);
- on-time rate (按期结案率) = closed in time / (due - due but suspended);
- patrol rate = complete / (complete + incomplete + missed);
- mean rating = the mean of the ratings given in the period.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from dispatch.reports.definitions import (
    CASE_FIGURES,
    PATROL_FIGURES,
    arrival_times,
    rating_points,
)
from dispatch.reports.facts import RUNNING, CaseFacts, PatrolFacts
from dispatch.reports.periods import Period

RATE_DIGITS = 4
MEAN_DIGITS = 2
TOTAL_GROUP = "total"
STATION, DEPARTMENT = "station", "department"
GROUPS = (TOTAL_GROUP, STATION, DEPARTMENT)
GroupKey = tuple[str, str]
TOTAL: GroupKey = (TOTAL_GROUP, "")
CASE_NAMES = tuple(CASE_FIGURES)
PATROL_NAMES = tuple(PATROL_FIGURES)
RATE_NAMES = ("closure_rate", "on_time_rate", "patrol_rate", "rating_mean", "arrival_mean_s")
#: Which figures a department's row has (patrols belong to stations and workers).
DEPARTMENT_NAMES = (*CASE_NAMES, "closure_rate", "on_time_rate", "rating_mean",
                    "arrival_mean_s")
ALL_NAMES = (*CASE_NAMES, *PATROL_NAMES, *RATE_NAMES)


def rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, RATE_DIGITS) if denominator > 0 else None


@dataclass
class Tally:
    """figure -> group -> case or patrol id -> how many times it is counted."""

    period: Period
    members: dict[str, dict[GroupKey, Counter[str]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(Counter)))
    rating_sums: Counter[GroupKey] = field(default_factory=Counter)
    #: Seconds from whistle to check-in, summed, and how many (the mean time to arrive).
    arrival_sums: defaultdict[GroupKey, float] = field(
        default_factory=lambda: defaultdict(float))
    arrivals: Counter[GroupKey] = field(default_factory=Counter)

    def count(self, figure: str, group: GroupKey = TOTAL) -> int:
        return sum(self.members[figure][group].values())

    def ids(self, figure: str, group: GroupKey = TOTAL) -> list[tuple[str, int]]:
        """What a count is made of: (id, times counted), by id."""
        found = self.members[figure][group]
        return sorted(found.items(), key=lambda kv: _id_order(kv[0]))

    def groups(self, kind: str) -> set[str]:
        return {name for per in self.members.values() for k, name in per if k == kind}

    def figures(self, group: GroupKey = TOTAL) -> dict[str, Any]:
        """Every count and rate of a group."""
        n = {name: self.count(name, group) for name in (*CASE_NAMES, *PATROL_NAMES)}
        out: dict[str, Any] = dict(n)
        out["closure_rate"] = rate(n["reported_closed"], n["reported"] - n["cancelled"])
        out["on_time_rate"] = rate(n["closed_in_time"], n["due"] - n["due_suspended"])
        out["patrol_rate"] = rate(n["patrols_complete"], n["patrols_complete"]
                                  + n["patrols_incomplete"] + n["patrols_missed"])
        out["rating_mean"] = (round(self.rating_sums[group] / n["ratings"], MEAN_DIGITS)
                              if n["ratings"] else None)
        out["arrival_mean_s"] = (round(self.arrival_sums[group] / self.arrivals[group], 1)
                                 if self.arrivals[group] else None)
        if group[0] == DEPARTMENT:
            return {k: out[k] for k in DEPARTMENT_NAMES}
        return out


def _id_order(ident: str) -> tuple[int, str]:
    digits = "".join(ch for ch in ident if ch.isdigit())
    return (int(digits) if digits else 0, ident)


def may_count(c: CaseFacts, p: Period) -> bool:
    """Whether any definition can count ``c`` in ``p``: every figure needs an entry in the
    period before T, except overdue (a clock running at T) and due (a deadline in the
    period), which need no new entry. A shortcut only: the definitions decide."""
    if c.created >= p.at:
        return False
    if c.active_between(p.start, p.at):
        return True
    if c.state_before(p.start) in RUNNING:
        return True
    deadline = c.deadline_before(p.at)
    if deadline is not None and p.start <= deadline < p.at:
        return True
    return any(x.deadline is not None and p.start <= x.deadline < p.at for x in c.parts)


def tally(cases: Iterable[CaseFacts], patrols: Iterable[PatrolFacts], p: Period) -> Tally:
    """Run every definition over every case and patrol once."""
    t = Tally(p)
    for c in cases:
        if not may_count(c, p):
            continue
        for name, figure in CASE_FIGURES.items():
            for credit in figure(c, p):
                per = t.members[name]
                per[TOTAL][c.id] += 1
                if c.station:
                    per[(STATION, c.station)][c.id] += 1
                if credit:
                    per[(DEPARTMENT, credit)][c.id] += 1
        for credit, seconds in arrival_times(c, p):
            keys = [TOTAL]
            if c.station:
                keys.append((STATION, c.station))
            if credit:
                keys.append((DEPARTMENT, credit))
            for key in keys:
                t.arrival_sums[key] += seconds
                t.arrivals[key] += 1
        for credit, score in rating_points(c, p):
            t.rating_sums[TOTAL] += score
            if c.station:
                t.rating_sums[(STATION, c.station)] += score
            if credit:
                t.rating_sums[(DEPARTMENT, credit)] += score
    for x in patrols:
        for name, patrol_figure in PATROL_FIGURES.items():
            if patrol_figure(x, p):
                t.members[name][TOTAL][x.id] += 1
                if x.station:
                    t.members[name][(STATION, x.station)][x.id] += 1
    return t


def group_figures(t: Tally, kind: str, names: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Figures of every group of ``kind``: the ``names`` given (all of the street's, zeros
    included) and any other a count was credited to (the centre, say)."""
    every = sorted(set(names) | t.groups(kind))
    return {name: t.figures((kind, name)) for name in every}
