"""Figures and scores from case timelines and patrols (pure)."""

from __future__ import annotations

from typing import Any

from dispatch.reports.facts import case_facts
from dispatch.reports.figures import PatrolFacts, Period, figures, grouped
from dispatch.reports.scores import department_scores, parse_weights, worker_scores

H = 3_600_000
DAY = Period(0, 24 * H, "day")


def entry(ts: float, action: str, to: str | None, by: str = "x", frm: str | None = None
          ) -> dict[str, Any]:
    return {"ts": int(ts), "action": action, "to": to, "from": frm, "by": by}


def case(cid: str, dept: str, deadline_h: float, *events: dict[str, Any],
         station: str = "S01", reporter: str = "gw001") -> Any:
    summary = {"id": cid, "station": station, "department": dept, "grid": "001",
               "reporter": reporter, "deadline": int(deadline_h * H), "state": events[-1]["to"]}
    return case_facts(summary, list(events))


def closed_case(cid: str, dept: str, close_h: float, deadline_h: float = 5,
                rework: bool = False, verifier: str = "gw001") -> Any:
    ev = [entry(1 * H, "report", "reported"), entry(1 * H, "route", "dispatched"),
          entry(2 * H, "accept", "accepted"), entry(3 * H, "resolve", "resolved")]
    if rework:
        ev += [entry(3.5 * H, "verify", "reopened"), entry(3.8 * H, "resolve", "resolved")]
    ev.append(entry(close_h * H, "verify", "closed", by=verifier))
    return case(cid, dept, deadline_h, *ev)


def test_figures_count_what_the_timeline_says() -> None:
    cases = [
        closed_case("C1", "hw", close_h=4),  # in time
        closed_case("C2", "hw", close_h=6, rework=True),  # late, one rework
        case("C3", "cgj", 10, entry(2 * H, "report", "reported"),
             entry(2 * H, "route", "dispatched")),  # open, not yet due at the end? due at 10h
        case("C4", "cgj", 3, entry(1 * H, "report", "reported"),
             entry(1 * H, "route", "triage")),  # open and overdue at the end
        case("C5", "cgj", 3, entry(1 * H, "report", "reported"),
             entry(1 * H, "route", "dispatched"), entry(2 * H, "suspend", "suspended")),
    ]
    patrols = [PatrolFacts("P1", "gw001", "001", "S01", "d", "complete", 8 * H),
               PatrolFacts("P2", "gw001", "001", "S01", "d", "missed", 14 * H)]
    f = figures(cases, patrols, DAY)
    assert (f.reported, f.dispatched, f.closed, f.closed_in_time) == (5, 4, 2, 1)
    assert f.overdue == 2  # C3 (due 10h, open at 24h) and C4; C5 is suspended
    assert (f.due, f.due_suspended) == (5, 1)
    assert f.closure_rate == 0.4
    assert f.on_time_rate == 0.25  # 1 in time of (5 due - 1 suspended)
    assert f.reworks == 1
    assert (f.patrols_complete, f.patrols_missed) == (1, 1)
    by_dept = grouped(cases, [], DAY, lambda x: getattr(x, "department", None))
    assert by_dept["hw"].closed == 2 and by_dept["cgj"].reported == 3


def test_nothing_counts_outside_the_period() -> None:
    f = figures([closed_case("C1", "hw", close_h=4)], [], Period(5 * H, 6 * H, "later"))
    assert (f.reported, f.closed, f.overdue) == (0, 0, 0)
    assert f.closure_rate is None


def test_scores_rank_and_warn_the_last() -> None:
    cases = [closed_case("C1", "hw", close_h=4), closed_case("C2", "cgj", close_h=9,
                                                             rework=True, verifier="gw002")]
    depts = department_scores(["hw", "cgj", "jj"], cases, DAY,
                              parse_weights("on_time=0.5,rework=0.2,overdue=0.2,handling=0.1"),
                              warn_last=1)
    assert depts[0].subject in {"hw", "jj"}
    assert depts[-1].subject == "cgj" and depts[-1].warned
    assert not depts[0].warned
    patrols = [PatrolFacts("P1", "gw001", "001", "S01", "d", "complete", 8 * H)]
    workers = worker_scores(["gw001", "gw002"], cases, patrols, DAY, windows_owed=2,
                            weights=parse_weights("patrol=0.5,reports=0.3,verify=0.2"),
                            warn_last=1)
    assert workers[0].subject == "gw001"
    assert workers[0].parts["patrol"] == 0.5
    assert workers[1].warned
