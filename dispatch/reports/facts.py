"""What a case's audit trail (its timeline) says, as of any instant; what a patrol record says.

A :class:`CaseFacts` is read once from a case's summary and timeline and then answers
"as of T" questions: its state, the department holding it, its deadline in effect. Every
figure (``definitions.py``) is written with these answers only, so the same history gives
the same figure whenever it is computed. Pure: no IO.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dispatch.cases.states import RUNNING_STATES, CaseState
from dispatch.rules import CENTRE

S = CaseState
RUNNING = frozenset(s.value for s in RUNNING_STATES)
ENDED = frozenset({S.CLOSED.value, S.CANCELLED.value, S.DUPLICATE.value})
#: Entries whose target state is one of these put the case in a department's hands.
DISPATCH_TARGETS = frozenset({S.DISPATCHED.value, S.ACCEPTED.value})
REOPEN = "reopen"  # a closed case reopened from the desk
SUPERVISE = "supervise"
RATE = "rate"
REPORT = "report"
RESOLVE = "resolve"
VERIFY = "verify"
ROUTE = "route"
ASSIST, UNASSIST = "assist", "unassist"
PART_RESOLVE, PART_REWORK = "part_resolve", "part_rework"
WHISTLE, CHECKIN = "whistle", "checkin"


def _value_at(times: Sequence[int], values: Sequence[Any], t: int, *, inclusive: bool) -> Any:
    """The last value set before ``t`` (at or before it when ``inclusive``), else None."""
    i = bisect.bisect_right(times, t) if inclusive else bisect.bisect_left(times, t)
    return values[i - 1] if i else None


@dataclass(frozen=True)
class Series:
    """A value changing over time: (ts, value) pairs in time order."""

    times: tuple[int, ...] = ()
    values: tuple[Any, ...] = ()

    def before(self, t: int) -> Any:
        """The value in effect just before ``t`` (what had happened before T)."""
        return _value_at(self.times, self.values, t, inclusive=False)

    def at(self, t: int) -> Any:
        """The value in effect at the instant ``t`` (changes at ``t`` included)."""
        return _value_at(self.times, self.values, t, inclusive=True)


@dataclass(frozen=True)
class Verification:
    resolved: int  # the result checked
    verified: int
    by: str
    ok: bool


@dataclass(frozen=True)
class PartFacts:
    """An assisting department's part (协办), as its timeline entries tell it."""

    department: str
    added: int
    deadline: int | None
    resolves: tuple[int, ...] = ()  # results handed in (part_resolve)
    reworks: tuple[int, ...] = ()  # results sent back (part_rework)
    left_open: int | None = None  # the lead resolved without it
    removed: int | None = None  # the desk took it off the case

    def handed_in_before(self, t: int) -> int | None:
        """The result in effect just before ``t``: the last one handed in, unless it was
        sent back after."""
        i = bisect.bisect_left(self.resolves, t)
        last = self.resolves[i - 1] if i else None
        if last is None or any(last < r < t for r in self.reworks):
            return None
        return last


@dataclass(frozen=True)
class Summons:
    """One department summoned by a whistle (吹哨), and its check-in (报到) if any."""

    department: str
    ts: int  # the whistle blown
    due: int
    checkin: int | None = None

    def on_time_before(self, t: int) -> bool:
        return self.checkin is not None and self.checkin < t and self.checkin <= self.due

    def late_before(self, t: int) -> bool:
        """Not on site by the limit, as of T (checked in late, or not yet at all)."""
        if self.due >= t:
            return self.checkin is not None and self.due < self.checkin < t
        return self.checkin is None or self.checkin >= t or self.checkin > self.due


@dataclass(frozen=True)
class CaseFacts:
    id: str
    station: str | None
    grid: str | None
    reporter: str | None
    created: int
    states: Series = field(default_factory=Series)
    departments: Series = field(default_factory=Series)
    deadlines: Series = field(default_factory=Series)
    duplicate_at: int | None = None
    dispatched: int | None = None
    closes: tuple[int, ...] = ()
    resolves: tuple[int, ...] = ()
    reworks: tuple[int, ...] = ()  # failed verifications (返工)
    reopens: tuple[int, ...] = ()
    supervisions: tuple[int, ...] = ()
    ratings: tuple[tuple[int, int], ...] = ()
    verifications: tuple[Verification, ...] = ()
    entry_times: tuple[int, ...] = ()  # every entry's time, in order
    parts: tuple[PartFacts, ...] = ()  # the assisting departments' parts, as added
    #: Who in the grid reported it, besides its worker (grid_assistant, informant).
    reporter_role: str | None = None
    summons: tuple[Summons, ...] = ()  # departments summoned by whistles

    def active_between(self, start: int, end: int) -> bool:
        """Whether any entry lies in [start, end)."""
        i = bisect.bisect_left(self.entry_times, start)
        return i < len(self.entry_times) and self.entry_times[i] < end

    # --- as of T (everything that happened before T) ---------------------------------

    def state_before(self, t: int) -> str | None:
        found: str | None = self.states.before(t)
        return found

    def department_at(self, t: int) -> str | None:
        """The department holding the case at the instant ``t``."""
        found: str | None = self.departments.at(t)
        return found

    def deadline_before(self, t: int) -> int | None:
        """The deadline in effect at T (after every extension and pause decided before T)."""
        found: int | None = self.deadlines.before(t)
        return found

    def duplicate_before(self, t: int) -> bool:
        return self.duplicate_at is not None and self.duplicate_at < t

    def last_close_before(self, t: int) -> int | None:
        i = bisect.bisect_left(self.closes, t)
        return self.closes[i - 1] if i else None

    def handled_at(self, close: int) -> int | None:
        """The resolve (办结) that the verification closing at ``close`` accepted."""
        i = bisect.bisect_right(self.resolves, close)
        return self.resolves[i - 1] if i else None


def _entries(timeline: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The timeline in time order (entries of one instant keep their written order)."""
    return sorted(timeline, key=lambda e: int(e.get("ts") or 0))


def _series(pairs: list[tuple[int, Any]]) -> Series:
    return Series(tuple(t for t, _ in pairs), tuple(v for _, v in pairs))


def _department_after(entry: Mapping[str, Any], current: str | None) -> str | None:
    """Who holds the case after ``entry``: the department it names, the centre's triage
    for a case sent back (回退), else unchanged."""
    if "department" in entry:
        named = entry.get("department")
        return str(named) if named else None
    if entry.get("to") == S.TRIAGE.value and entry.get("from") != S.TRIAGE.value:
        return CENTRE
    return current


def _part_facts(entries: Sequence[Mapping[str, Any]]) -> tuple[PartFacts, ...]:
    """Each assisting part from its entries: added by the route (its ``assist`` list, on
    the case's deadline) or by ``assist``; results, reworks, left open, removed."""
    found: dict[str, dict[str, Any]] = {}

    def add(department: Any, ts: int, deadline: Any) -> None:
        found[str(department)] = {"department": str(department), "added": ts,
                                  "deadline": int(deadline) if deadline is not None else None,
                                  "resolves": [], "reworks": [], "left_open": None,
                                  "removed": None}

    for e in entries:
        ts, action, part = int(e.get("ts") or 0), e.get("action"), e.get("part")
        if action == ROUTE:
            for department in e.get("assist") or ():
                add(department, ts, e.get("deadline"))
        elif action == ASSIST and part:
            add(part, ts, e.get("part_deadline"))
        elif part in found:
            p = found[str(part)]
            if action == PART_RESOLVE:
                p["resolves"].append(ts)
            elif action == PART_REWORK:
                p["reworks"].append(ts)
            elif action == UNASSIST:
                p["removed"] = ts
        if action == RESOLVE:
            for left in e.get("left_open") or ():
                if isinstance(left, Mapping) and left.get("department") in found:
                    found[str(left["department"])]["left_open"] = ts
    return tuple(PartFacts(p["department"], p["added"], p["deadline"], tuple(p["resolves"]),
                           tuple(p["reworks"]), p["left_open"], p["removed"])
                 for p in found.values())


def _summons(entries: Sequence[Mapping[str, Any]]) -> tuple[Summons, ...]:
    """Each department summoned by each whistle, with its first check-in."""
    found: dict[tuple[int, str], Summons] = {}
    for e in entries:
        action, n = e.get("action"), e.get("n")
        if not isinstance(n, int):
            continue
        if action == WHISTLE:
            for department in e.get("departments") or ():
                found[(n, str(department))] = Summons(str(department), int(e["ts"]),
                                                      int(e.get("due") or e["ts"]))
        elif action == CHECKIN and (n, str(e.get("summoned"))) in found:
            key = (n, str(e.get("summoned")))
            if found[key].checkin is None:
                found[key] = Summons(found[key].department, found[key].ts, found[key].due,
                                     int(e["ts"]))
    return tuple(found.values())


def case_facts(case: Mapping[str, Any], timeline: Sequence[Mapping[str, Any]]) -> CaseFacts:
    """The facts of one case: its summary for where it belongs (grid, station, reporter),
    its timeline for everything that happened and when."""
    entries = _entries(timeline)
    created = next((int(e["ts"]) for e in entries if e.get("action") == REPORT),
                   int(case.get("created") or 0))
    states: list[tuple[int, Any]] = []
    departments: list[tuple[int, Any]] = []
    deadlines: list[tuple[int, Any]] = []
    department: str | None = None
    duplicate_at = dispatched = None
    closes, resolves, reworks, reopens, supervisions = [], [], [], [], []
    ratings: list[tuple[int, int]] = []
    verifications: list[Verification] = []
    for e in entries:
        ts, action, target = int(e.get("ts") or 0), e.get("action"), e.get("to")
        if (target and target != e.get("from")) or action == REPORT:
            states.append((ts, str(target)))
        changed = _department_after(e, department)
        if changed != department or not departments:
            department = changed
            departments.append((ts, department))
        if e.get("deadline") is not None and action != "overdue":
            deadlines.append((ts, int(e["deadline"])))
        if target == S.DUPLICATE.value and duplicate_at is None:
            duplicate_at = ts
        if target in DISPATCH_TARGETS and dispatched is None and action != REPORT:
            dispatched = ts
        if target == S.CLOSED.value and e.get("from") != S.CLOSED.value:
            closes.append(ts)
        if action == RESOLVE:
            resolves.append(ts)
        if action == VERIFY and resolves:
            ok = target == S.CLOSED.value
            verifications.append(Verification(resolves[-1], ts, str(e.get("by") or ""), ok))
            if not ok:
                reworks.append(ts)
        if action == REOPEN:
            reopens.append(ts)
        if action == SUPERVISE:
            supervisions.append(ts)
        if action == RATE and isinstance(e.get("score"), int | float):
            ratings.append((ts, int(e["score"])))
    if str(case.get("state")) == S.DUPLICATE.value and duplicate_at is None:
        duplicate_at = created  # a report found to repeat an open case at intake
    return CaseFacts(
        id=str(case["id"]), station=case.get("station") or None, grid=case.get("grid"),
        reporter=case.get("reporter"), created=created, states=_series(states),
        departments=_series(departments), deadlines=_series(deadlines),
        duplicate_at=duplicate_at, dispatched=dispatched, closes=tuple(closes),
        resolves=tuple(resolves), reworks=tuple(reworks), reopens=tuple(reopens),
        supervisions=tuple(supervisions),
        ratings=tuple(ratings), verifications=tuple(verifications),
        entry_times=tuple(int(e.get("ts") or 0) for e in entries),
        parts=_part_facts(entries),
        reporter_role=next((str(e["reporter_role"]) for e in entries
                            if e.get("action") == REPORT and e.get("reporter_role")), None),
        summons=_summons(entries),
    )


@dataclass(frozen=True)
class PatrolFacts:
    """A patrol record as the reports read it."""

    id: str
    worker: str
    grid: str | None
    station: str | None
    date: str
    status: str  # in_progress | complete | incomplete | missed
    start: int
    end: int | None = None
    kind: str = "window"  # or "extra": started outside the windows, owed to none
    window: str = ""
    window_start: int = 0
    #: Since when the worker (and the street) existed: a window opened before that is not owed.
    worker_since: int = 0

    def ended_by(self, t: int) -> bool:
        """Ended at or before T (a window's last patrols end exactly at its end)."""
        return self.end is not None and self.end <= t
