"""Every figure the server shows, one function each (docs/figures.md says each in words).

The screen, the reports, the scores and the downloads count with these functions and
nothing else. A case figure takes a case's facts and a period (with its instant T) and
returns one *credit* per count: the department the count goes to (None: no department).
A patrol figure says whether a patrol record counts. Pure: no IO.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from dispatch.cases.states import CaseState
from dispatch.reports.facts import RUNNING, CaseFacts, PatrolFacts
from dispatch.reports.periods import Period

S = CaseState
Credit = str | None
CaseFigure = Callable[[CaseFacts, Period], list[Credit]]
PatrolFigure = Callable[[PatrolFacts, Period], bool]
WINDOW, EXTRA, ASSISTANT = "window", "extra", "assistant"
#: Bump when a definition changes: a kept report of another version is built again.
VERSION = 3


# --- cases ----------------------------------------------------------------------------

def _reported(c: CaseFacts, p: Period) -> bool:
    return p.holds(c.created) and not c.duplicate_before(p.at)


def reported(c: CaseFacts, p: Period) -> list[Credit]:
    """上报: a report received in the period that is not a duplicate at T; credited to the
    department it was routed to."""
    return [c.department_at(c.created)] if _reported(c, p) else []


def duplicates(c: CaseFacts, p: Period) -> list[Credit]:
    """重复: a report received in the period found (at intake or later) to repeat another."""
    return [None] if p.holds(c.created) and c.duplicate_before(p.at) else []


def dispatched(c: CaseFacts, p: Period) -> list[Credit]:
    """派遣: first put in a department's (or the grid worker's) hands in the period."""
    return [c.department_at(c.dispatched)] if c.dispatched is not None and p.holds(
        c.dispatched) else []


def closed(c: CaseFacts, p: Period) -> list[Credit]:
    """结案: closed (verified) in the period and still closed at T; credited to the
    department that held it when it was closed."""
    close = c.last_close_before(p.at)
    if close is None or not p.holds(close) or c.state_before(p.at) != S.CLOSED:
        return []
    return [c.department_at(close)]


def reported_closed(c: CaseFacts, p: Period) -> list[Credit]:
    """Reported in the period and closed at T (the closure rate's numerator)."""
    return reported(c, p) if c.state_before(p.at) == S.CLOSED else []


def cancelled(c: CaseFacts, p: Period) -> list[Credit]:
    """撤销: reported in the period and cancelled at T (kept out of the closure rate)."""
    return reported(c, p) if c.state_before(p.at) == S.CANCELLED else []


def due_deadline(c: CaseFacts, p: Period) -> int | None:
    """The deadline that makes the case due in the period, or None.

    Due: the deadline in effect at T passed in the period before T; not when the case had
    been cancelled or found a duplicate before it, nor while a result handed in by the
    deadline waits for the grid worker's check (judged once verified)."""
    deadline = c.deadline_before(p.at)
    if deadline is None or not p.holds(deadline):
        return None
    if c.state_before(deadline) in (S.CANCELLED, S.DUPLICATE):
        return None
    if c.state_before(p.at) == S.RESOLVED:
        handed_in = c.handled_at(p.at - 1)
        if handed_in is not None and handed_in <= deadline:
            return None
    return deadline


def due(c: CaseFacts, p: Period) -> list[Credit]:
    """到期: see :func:`due_deadline`; credited to the department holding the case when its
    deadline passed."""
    deadline = due_deadline(c, p)
    return [] if deadline is None else [c.department_at(deadline)]


def due_suspended(c: CaseFacts, p: Period) -> list[Credit]:
    """到期挂账: due, and suspended (挂账) at T."""
    deadline = due_deadline(c, p)
    if deadline is None or c.state_before(p.at) != S.SUSPENDED:
        return []
    return [c.department_at(deadline)]


def closed_in_time(c: CaseFacts, p: Period) -> list[Credit]:
    """按期结案: due, closed at T, and the result that closed it was handed in (办结) by the
    deadline (the grid worker's check may come later)."""
    deadline = due_deadline(c, p)
    if deadline is None or c.state_before(p.at) != S.CLOSED:
        return []
    close = c.last_close_before(p.at)
    handed_in = c.handled_at(close) if close is not None else None
    if handed_in is None or handed_in > deadline:
        return []
    return [c.department_at(deadline)]


def overdue(c: CaseFacts, p: Period) -> list[Credit]:
    """超期: at T the case's clock runs (not resolved, suspended or finished) and its deadline
    has passed; credited to the department holding it when the deadline passed."""
    if c.state_before(p.at) not in RUNNING:
        return []
    deadline = c.deadline_before(p.at)
    if deadline is None or deadline >= p.at:
        return []
    return [c.department_at(deadline)]


def _events(c: CaseFacts, times: Iterable[int], p: Period) -> list[Credit]:
    return [c.department_at(t) for t in times if p.holds(t)]


def verified(c: CaseFacts, p: Period) -> list[Credit]:
    """核查: results checked by the grid worker in the period (passed or not)."""
    return _events(c, (v.verified for v in c.verifications), p)


def reworks(c: CaseFacts, p: Period) -> list[Credit]:
    """返工: checks in the period that sent the result back (one count each)."""
    return _events(c, c.reworks, p)


def reopened(c: CaseFacts, p: Period) -> list[Credit]:
    """重新办理: closed cases reopened from the desk in the period."""
    return _events(c, c.reopens, p)


def supervised(c: CaseFacts, p: Period) -> list[Credit]:
    """督办: ``supervise`` entries in the period, credited to the department holding the
    case at that moment."""
    return _events(c, c.supervisions, p)


def ratings(c: CaseFacts, p: Period) -> list[Credit]:
    """评议: ratings (``rate`` entries) given in the period."""
    return _events(c, (t for t, _ in c.ratings), p)


def rating_points(c: CaseFacts, p: Period) -> list[tuple[Credit, int]]:
    """The scores of :func:`ratings` (for the mean rating)."""
    return [(c.department_at(t), score) for t, score in c.ratings if p.holds(t)]


def handling_times(c: CaseFacts, p: Period) -> list[tuple[Credit, float]]:
    """For a case :func:`closed` in the period: seconds from its first dispatch to the
    result that closed it, credited like the closing."""
    credit = closed(c, p)
    close = c.last_close_before(p.at)
    handed_in = c.handled_at(close) if close is not None else None
    if not credit or c.dispatched is None or handed_in is None:
        return []
    return [(credit[0], (handed_in - c.dispatched) / 1000)]


def verification_delays(c: CaseFacts, p: Period) -> list[tuple[str, float]]:
    """(verifier, seconds from the result to the check) for checks done in the period."""
    return [(v.by, (v.verified - v.resolved) / 1000) for v in c.verifications
            if p.holds(v.verified)]


# --- assisting departments' parts (协办): each credited to the part's own department ------

def _parts_due(c: CaseFacts, p: Period) -> list[tuple[str, int]]:
    """(department, deadline) of the parts due in the period: the part's own deadline
    passed in the period before T; not when the part was taken off the case, nor the case
    cancelled or found a duplicate, before it."""
    found = []
    for part in c.parts:
        deadline = part.deadline
        if deadline is None or not p.holds(deadline):
            continue
        if part.removed is not None and part.removed <= deadline:
            continue
        if c.state_before(deadline) in (S.CANCELLED, S.DUPLICATE):
            continue
        found.append((part.department, deadline))
    return found


def parts_due(c: CaseFacts, p: Period) -> list[Credit]:
    """协办到期: see :func:`_parts_due`; one count per part, to its department."""
    return [d for d, _ in _parts_due(c, p)]


def parts_in_time(c: CaseFacts, p: Period) -> list[Credit]:
    """协办按期: due, and its result in effect at T was handed in by its deadline."""
    found: list[Credit] = []
    for part in c.parts:
        if (part.department, part.deadline) not in _parts_due(c, p):
            continue
        handed_in = part.handed_in_before(p.at)
        if handed_in is not None and part.deadline is not None and handed_in <= part.deadline:
            found.append(part.department)
    return found


def parts_overdue(c: CaseFacts, p: Period) -> list[Credit]:
    """协办超期: due and not in time: still open past its deadline, handed in late, or left
    open by the lead."""
    in_time = parts_in_time(c, p)
    late = []
    for department in parts_due(c, p):
        if department in in_time:
            in_time.remove(department)
        else:
            late.append(department)
    return late


def parts_reported(c: CaseFacts, p: Period) -> list[Credit]:
    """协办办结: results of parts handed in (``part_resolve``) in the period."""
    return [part.department for part in c.parts for t in part.resolves if p.holds(t)]


def parts_reworks(c: CaseFacts, p: Period) -> list[Credit]:
    """协办返工: parts' results sent back (``part_rework``) in the period."""
    return [part.department for part in c.parts for t in part.reworks if p.holds(t)]


# --- the whistle (吹哨报到): credited to each summoned department ----------------------

def summoned(c: CaseFacts, p: Period) -> list[Credit]:
    """吹哨: departments summoned by whistles blown in the period (one count each)."""
    return [s.department for s in c.summons if p.holds(s.ts)]


def checkins_on_time(c: CaseFacts, p: Period) -> list[Credit]:
    """按时报到: of those summoned in the period, on site by the whistle's limit (as of T)."""
    return [s.department for s in c.summons if p.holds(s.ts) and s.on_time_before(p.at)]


def checkins_late(c: CaseFacts, p: Period) -> list[Credit]:
    """报到超时: of those summoned in the period, not on site by the limit: checked in late,
    or not at all by T once the limit passed."""
    return [s.department for s in c.summons if p.holds(s.ts) and s.late_before(p.at)]


def arrival_times(c: CaseFacts, p: Period) -> list[tuple[Credit, float]]:
    """Seconds from the whistle to the check-in, for those summoned in the period and
    checked in by T (the mean time to arrive)."""
    return [(s.department, (s.checkin - s.ts) / 1000) for s in c.summons
            if p.holds(s.ts) and s.checkin is not None and s.checkin < p.at]


CASE_FIGURES: dict[str, CaseFigure] = {
    "reported": reported, "duplicates": duplicates, "dispatched": dispatched,
    "closed": closed, "reported_closed": reported_closed, "cancelled": cancelled,
    "due": due, "due_suspended": due_suspended, "closed_in_time": closed_in_time,
    "overdue": overdue, "verified": verified, "reworks": reworks, "reopened": reopened,
    "supervised": supervised, "ratings": ratings, "parts_due": parts_due,
    "parts_in_time": parts_in_time, "parts_overdue": parts_overdue,
    "parts_reported": parts_reported, "parts_reworks": parts_reworks,
    "summoned": summoned, "checkins_on_time": checkins_on_time,
    "checkins_late": checkins_late,
}


# --- patrols --------------------------------------------------------------------------

def owed(p: PatrolFacts) -> bool:
    """A window is owed by a worker who existed (with the street) when it opened."""
    return p.window_start >= p.worker_since


def _window_patrol(p: PatrolFacts, period: Period, status: str) -> bool:
    return (p.kind == WINDOW and p.status == status and period.holds(p.start)
            and p.ended_by(period.at))


def patrols_complete(p: PatrolFacts, period: Period) -> bool:
    """完成巡查: a window patrol started in the period, ended by T, complete."""
    return _window_patrol(p, period, "complete")


def patrols_incomplete(p: PatrolFacts, period: Period) -> bool:
    """未完成巡查: a window patrol started in the period, ended by T, incomplete."""
    return _window_patrol(p, period, "incomplete")


def patrols_missed(p: PatrolFacts, period: Period) -> bool:
    """漏巡: an owed window that opened in the period and closed by T without a patrol."""
    return _window_patrol(p, period, "missed") and owed(p)


def patrols_extra(p: PatrolFacts, period: Period) -> bool:
    """加巡: a patrol started outside the windows in the period and ended by T."""
    return p.kind == EXTRA and period.holds(p.start) and p.ended_by(period.at)


def patrols_assistant(p: PatrolFacts, period: Period) -> bool:
    """辅助员巡查: a grid assistant's patrol started in the period and ended by T (counted
    apart: none of the grid workers' figures counts it)."""
    return p.kind == ASSISTANT and period.holds(p.start) and p.ended_by(period.at)


PATROL_FIGURES: dict[str, PatrolFigure] = {
    "patrols_complete": patrols_complete, "patrols_incomplete": patrols_incomplete,
    "patrols_missed": patrols_missed, "patrols_extra": patrols_extra,
    "patrols_assistant": patrols_assistant,
}


@dataclass(frozen=True)
class DayWindow:
    """One patrol window on one local date."""

    date: date
    name: str
    start: int
    end: int


def windows_owed(since: int, windows: Sequence[DayWindow], patrols: Sequence[PatrolFacts],
                 p: Period) -> list[DayWindow]:
    """The windows a worker owed in the period up to T: opened in the period after the
    worker existed, and closed by T (or already patrolled in: a patrol ended by T)."""
    patrolled = {(x.date, x.window) for x in patrols
                 if x.kind == WINDOW and x.status != "missed" and x.ended_by(p.at)}
    return [w for w in windows if p.holds(w.start) and w.start >= since
            and (w.end <= p.at or (w.date.isoformat(), w.name) in patrolled)]


def windows_patrolled(owed_windows: Sequence[DayWindow], patrols: Sequence[PatrolFacts],
                      p: Period) -> int:
    """Of the owed windows, those with a complete patrol ended by T."""
    done = {(x.date, x.window) for x in patrols
            if x.kind == WINDOW and x.status == "complete" and x.ended_by(p.at)}
    return sum(1 for w in owed_windows if (w.date.isoformat(), w.name) in done)
