"""Figures and scores from case timelines and patrols (pure), each fault of the old
definitions pinned by the history that showed it."""

from __future__ import annotations

from datetime import date
from typing import Any

from dispatch.reports.definitions import DayWindow, windows_owed
from dispatch.reports.facts import PatrolFacts, case_facts
from dispatch.reports.figures import DEPARTMENT, STATION, tally
from dispatch.reports.periods import Period
from dispatch.reports.scores import (
    WorkerInput,
    department_scores,
    parse_weights,
    rank,
    worker_scores,
)

H = 3_600_000
DAY_END = 24 * H


def day(at_h: float = 24) -> Period:
    """Day 0, with its instant T at ``at_h`` hours (24: finished)."""
    return Period(0, DAY_END, "d", int(at_h * H))


def entry(ts_h: float, action: str, to: str | None, by: str = "x", frm: str | None = None,
          **extra: Any) -> dict[str, Any]:
    return {"ts": int(ts_h * H), "action": action, "to": to, "from": frm, "by": by, **extra}


def case(cid: str, *events: dict[str, Any], station: str = "S01",
         reporter: str = "gw001", state: str | None = None) -> Any:
    summary = {"id": cid, "station": station, "grid": "001", "reporter": reporter,
               "state": state or events[-1]["to"]}
    return case_facts(summary, list(events))


def routed(at_h: float, dept: str, deadline_h: float) -> list[dict[str, Any]]:
    return [entry(at_h, "report", "reported"),
            entry(at_h, "route", "dispatched", frm="reported", department=dept,
                  deadline=int(deadline_h * H))]


def closed_case(cid: str, dept: str, resolve_h: float, close_h: float, deadline_h: float = 5,
                rework: bool = False, verifier: str = "gw001") -> Any:
    ev = [*routed(1, dept, deadline_h), entry(2, "accept", "accepted", frm="dispatched")]
    if rework:
        ev += [entry(2.5, "resolve", "resolved", frm="accepted"),
               entry(2.8, "verify", "reopened", by=verifier, frm="resolved"),
               entry(2.9, "accept", "accepted", frm="reopened")]
    ev += [entry(resolve_h, "resolve", "resolved", frm="accepted"),
           entry(close_h, "verify", "closed", by=verifier, frm="resolved")]
    return case(cid, *ev)


def test_overdue_is_counted_at_t_not_at_the_end_of_the_period() -> None:
    open_case = case("C1", *routed(1, "cgj", 10))
    assert tally([open_case], [], day(9)).count("overdue") == 0  # due at 10:00, T 09:00
    assert tally([open_case], [], day(11)).count("overdue") == 1
    assert tally([open_case], [], day(9)).count("due") == 0  # not due before its deadline


def test_a_result_awaiting_verification_is_not_overdue() -> None:
    waiting = case("C1", *routed(1, "cgj", 3), entry(2, "accept", "accepted"),
                   entry(2.5, "resolve", "resolved"))
    t = tally([waiting], [], day(6))
    assert t.count("overdue") == 0
    assert t.count("due") == 0  # handed in by its deadline: judged once verified
    late = case("C2", *routed(1, "cgj", 3), entry(2, "accept", "accepted"),
                entry(4, "resolve", "resolved"))
    t = tally([late], [], day(6))
    assert (t.count("overdue"), t.count("due"), t.count("closed_in_time")) == (0, 1, 0)


def test_on_time_is_judged_at_the_result_not_at_the_check() -> None:
    checked_late = closed_case("C1", "hw", resolve_h=4, close_h=8, deadline_h=5)
    handed_late = closed_case("C2", "hw", resolve_h=6, close_h=7, deadline_h=5)
    t = tally([checked_late, handed_late], [], day())
    assert (t.count("due"), t.count("closed_in_time")) == (2, 1)
    assert t.figures()["on_time_rate"] == 0.5


def test_suspended_cases_leave_the_on_time_rate_and_are_not_overdue() -> None:
    paused = case("C1", *routed(1, "cgj", 3), entry(2, "suspend", "suspended"))
    t = tally([paused], [], day())
    assert (t.count("due"), t.count("due_suspended"), t.count("overdue")) == (1, 1, 0)
    assert t.figures()["on_time_rate"] is None


def test_duplicates_are_counted_apart() -> None:
    first = case("C1", *routed(1, "cgj", 10))
    again = case("C2", entry(1.5, "report", "reported"),
                 entry(1.5, "duplicate", "duplicate", frm="reported", duplicate_of="C1"),
                 state="duplicate")
    withdrawn = case("C3", *routed(2, "cgj", 10), entry(3, "cancel", "cancelled"))
    t = tally([first, again, withdrawn], [], day())
    assert (t.count("reported"), t.count("duplicates"), t.count("cancelled")) == (2, 1, 1)
    assert t.figures()["closure_rate"] == 0.0  # 0 closed of the 1 left to close
    closed = closed_case("C4", "cgj", 3, 4)
    t = tally([first, again, withdrawn, closed], [], day())
    assert t.figures()["closure_rate"] == 0.5


def test_credit_goes_to_the_department_holding_the_case_when_its_deadline_passed() -> None:
    sent_back = case("C1", *routed(1, "cgj", 3), entry(4, "reject", "triage",
                                                      frm="dispatched",
                                                      from_department="cgj"))
    moved_in_time = case("C2", *routed(1, "cgj", 6),
                         entry(2, "reassign", "dispatched", frm="dispatched",
                               department="hw", from_department="cgj"))
    t = tally([sent_back, moved_in_time], [], day(8))
    assert t.ids("overdue", (DEPARTMENT, "cgj")) == [("C1", 1)]
    assert t.ids("overdue", (DEPARTMENT, "hw")) == [("C2", 1)]
    assert t.count("overdue", (DEPARTMENT, "centre")) == 0
    assert t.count("reported", (DEPARTMENT, "cgj")) == 2
    assert t.count("overdue", (STATION, "S01")) == 2


def test_supervision_reworks_and_ratings_are_counted_by_action_name() -> None:
    c = closed_case("C1", "hw", 3, 4, rework=True)
    rated = case("C2", *routed(1, "hw", 5), entry(2, "supervise", "dispatched",
                                                  frm="dispatched", note="督办"),
                 entry(2.5, "supervise", "dispatched", frm="dispatched"),
                 entry(3, "accept", "accepted"), entry(3.5, "resolve", "resolved"),
                 entry(4, "verify", "closed"), entry(5, "rate", "closed", frm="closed",
                                                      score=4),
                 entry(6, "rate", "closed", frm="closed", score=5))
    t = tally([c, rated], [], day())
    hw = t.figures((DEPARTMENT, "hw"))
    assert (hw["supervised"], hw["reworks"], hw["verified"]) == (2, 1, 3)
    assert (hw["ratings"], hw["rating_mean"]) == (2, 4.5)


def patrol(pid: str, worker: str, status: str, start_h: float, end_h: float, *,
           kind: str = "window", window: str = "am", since: int = 0) -> PatrolFacts:
    return PatrolFacts(pid, worker, "001", "S01", "1970-01-01", status, int(start_h * H),
                       int(end_h * H), kind, window, int(8 * H if window == "am" else 14 * H),
                       since)


def test_patrols_count_when_ended_and_missed_only_when_owed() -> None:
    patrols = [patrol("P1", "gw001", "complete", 8.5, 9.5),
               patrol("P2", "gw002", "missed", 8, 12),
               patrol("P3", "gw003", "missed", 8, 12, since=int(9 * H)),  # joined at 09:00
               patrol("P4", "gw001", "incomplete", 21, 22, kind="extra", window="")]
    t = tally([], patrols, day(11))
    assert (t.count("patrols_complete"), t.count("patrols_missed")) == (1, 0)
    t = tally([], patrols, day())
    assert (t.count("patrols_complete"), t.count("patrols_missed")) == (1, 1)
    assert (t.count("patrols_incomplete"), t.count("patrols_extra")) == (0, 1)


def test_windows_are_owed_only_up_to_t_and_after_the_worker_existed() -> None:
    d = date(1970, 1, 1)
    windows = [DayWindow(d, "am", 8 * H, 12 * H), DayWindow(d, "pm", 14 * H, 18 * H)]
    done = [patrol("P1", "gw001", "complete", 8.5, 9.5)]
    assert windows_owed(0, windows, done, day(10)) == windows[:1]  # patrolled already
    assert windows_owed(0, windows, [], day(10)) == []
    assert windows_owed(0, windows, [], day(13)) == windows[:1]
    assert windows_owed(int(9 * H), windows, [], day()) == windows[1:]


def test_nothing_to_judge_is_not_applicable_and_kept_out_of_the_ranking() -> None:
    d = date(1970, 1, 1)
    windows = [DayWindow(d, "am", 8 * H, 12 * H)]
    cases = [closed_case("C1", "hw", 3, 4, verifier="gw002")]
    patrols = [patrol("P1", "gw001", "complete", 8.5, 9.5)]
    workers = [WorkerInput("gw001", 0), WorkerInput("gw002", 0), WorkerInput("gw003", 0)]
    scores = worker_scores(workers, cases, patrols, windows, day(7),
                           parse_weights("patrol=0.5,reports=0.3,verify=0.2"), warn_last=1)
    by = {s.subject: s for s in scores}
    assert by["gw001"].parts["patrol"] is None  # the window is not over and not patrolled
    assert by["gw002"].parts["verify"] is not None and by["gw001"].parts["verify"] is None
    scores = worker_scores(workers, cases, patrols, windows, day(),
                           parse_weights("patrol=0.5,reports=0.3,verify=0.2"), warn_last=1)
    by = {s.subject: s for s in scores}
    assert by["gw001"].parts["patrol"] == 1.0 and by["gw003"].parts["patrol"] == 0.0
    t = tally(cases, [], day())
    depts = department_scores(["hw", "jj"], cases, t,
                              parse_weights("on_time=0.5,rework=0.2,overdue=0.2,handling=0.1"),
                              warn_last=1)
    jj = next(s for s in depts if s.subject == "jj")
    assert jj.score is None and jj.rank is None and not jj.warned
    assert next(s for s in depts if s.subject == "hw").rank == 1


def test_ties_share_a_rank_and_the_last_places_are_warned() -> None:
    from dispatch.reports.scores import Score

    ranked = rank([Score("a", 90.0, {}, {}), Score("b", 90.0, {}, {}),
                   Score("c", 50.0, {}, {}), Score("d", None, {}, {})], warn_last=1)
    assert [(s.subject, s.rank, s.warned) for s in ranked] == [
        ("a", 1, False), ("b", 1, False), ("c", 3, True), ("d", None, False)]
