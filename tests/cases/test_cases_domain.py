"""The pure case domain: transitions, permissions, clocks, timers, changes, bodies, cursors."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from dispatch.cases.actions import TRANSITIONS, Action, Transition, target_state
from dispatch.cases.clock import CaseClock, Times
from dispatch.cases.commands import Command, parse_command, parse_report
from dispatch.cases.lifecycle import ClockOp, Context, change_for, check_state
from dispatch.cases.listing import decode_cursor, encode_cursor, parse_query
from dispatch.cases.model import Case, case_id, case_number
from dispatch.cases.permissions import Parties, Relation, allowed_sources, may_see, relations
from dispatch.cases.states import OPEN_STATES, RUNNING_STATES, TERMINAL_STATES, CaseState
from dispatch.cases.timers import Timer, TimerKind, members, pending, timers_of
from dispatch.errors import BadRequest, Conflict, Forbidden
from dispatch.http.body import Fields
from dispatch.identity.principal import Principal
from dispatch.identity.roles import Role
from dispatch.rules import LimitClock, WorkCalendar

S = CaseState
TZ = ZoneInfo("Asia/Shanghai")
HOUR_MS = 3_600_000
CAL = WorkCalendar()
T0 = 1_800_000_000_000

MEMBER = Principal("dm001", Role.DISPOSAL_MEMBER, "cgj")
OTHER_MEMBER = Principal("dm002", Role.DISPOSAL_MEMBER, "cgj")
FOREIGN_MEMBER = Principal("dm030", Role.DISPOSAL_MEMBER, "zhzf")
LEAD = Principal("lead01", Role.DEPT_LEAD, "cgj")
WORKER = Principal("gw001", Role.GRID_WORKER, "001")
OTHER_WORKER = Principal("gw002", Role.GRID_WORKER, "002")
DISPATCHER = Principal("disp1", Role.DISPATCHER)
ASSESSOR = Principal("assess1", Role.ASSESSOR)
SCREEN = Principal("screen1", Role.SCREEN)


def ms(day: date, hour: int, minute: int = 0) -> int:
    return round(datetime.combine(day, time(hour, minute), tzinfo=TZ).timestamp() * 1000)


def make_case(**changes: Any) -> Case:
    base = {"id": "C7", "item": "SS01", "grid": "001", "state": "dispatched",
            "department": "cgj", "reporter": "gw001", "lat": "39.0352545",
            "lon": "117.3861348", "created": str(T0), "deadline": str(T0 + 2 * HOUR_MS),
            "yellow_at": str(T0 + HOUR_MS), "esc_at": f"{T0 + 3 * HOUR_MS}",
            "start": str(T0), "limit_s": "7200", "clock": "clock", "yellow_share": "0.5",
            "esc_after": "3600", "esc_notify": "lead", "ver": "3", "gen": "1"}
    base.update({k: str(v) for k, v in changes.items() if v is not None})
    for k in [k for k, v in changes.items() if v is None]:
        base.pop(k, None)
    return Case.from_hash(base)


# --- states and transitions --------------------------------------------------------

def test_state_groups_partition_the_states() -> None:
    assert frozenset(CaseState) == OPEN_STATES | TERMINAL_STATES
    assert not OPEN_STATES & TERMINAL_STATES
    assert RUNNING_STATES <= OPEN_STATES
    assert S.RESOLVED not in RUNNING_STATES and S.SUSPENDED not in RUNNING_STATES


def test_no_action_starts_from_a_terminal_state_but_rating_and_reopening() -> None:
    for action, t in TRANSITIONS.items():
        if action not in (Action.RATE, Action.REOPEN):
            assert not t.sources & TERMINAL_STATES, action
    assert TRANSITIONS[Action.RATE].sources == {S.CLOSED}
    assert TRANSITIONS[Action.REOPEN] == Transition(frozenset({S.CLOSED}), S.REOPENED)


@pytest.mark.parametrize(("action", "kw", "expected"), [
    (Action.ACCEPT, {}, S.ACCEPTED),
    (Action.REJECT, {}, S.TRIAGE),
    (Action.RESOLVE, {}, S.RESOLVED),
    (Action.VERIFY, {"ok": True}, S.CLOSED),
    (Action.VERIFY, {"ok": False}, S.REOPENED),
    (Action.REASSIGN, {"to_member": True}, S.ACCEPTED),
    (Action.REASSIGN, {}, S.DISPATCHED),
    (Action.RESUME, {"resume_to": S.ACCEPTED}, S.ACCEPTED),
    (Action.PROGRESS, {}, S.ACCEPTED),
    (Action.CANCEL, {}, S.CANCELLED),
])
def test_target_state(action: Action, kw: dict[str, Any], expected: CaseState) -> None:
    current = next(iter(TRANSITIONS[action].sources)) if action is not Action.PROGRESS \
        else S.ACCEPTED
    assert target_state(action, current, **kw) is expected


# --- permissions -------------------------------------------------------------------

def parties(**kw: Any) -> Parties:
    base: dict[str, Any] = {"department": "cgj", "assignee": None, "reporter": "gw001",
                            "grid": "001"}
    base.update(kw)
    return Parties(**base)


def test_relations() -> None:
    held = parties(assignee="dm001")
    assert relations(MEMBER, held) == {Relation.MEMBER, Relation.HOLDER}
    assert relations(LEAD, held) == {Relation.MEMBER, Relation.LEAD}
    assert relations(FOREIGN_MEMBER, held) == frozenset()
    assert relations(WORKER, held) == {Relation.REPORTER, Relation.GRID_WORKER}
    assert relations(DISPATCHER, held) == {Relation.DESK}
    assert relations(DISPATCHER, parties(department="centre")) == {
        Relation.DESK, Relation.MEMBER, Relation.LEAD}


def test_members_accept_dispatched_jobs_of_their_department_only() -> None:
    assert allowed_sources(Action.ACCEPT, MEMBER, parties()) == {S.DISPATCHED}
    with pytest.raises(Forbidden):
        allowed_sources(Action.ACCEPT, FOREIGN_MEMBER, parties())
    with pytest.raises(Forbidden):
        allowed_sources(Action.ACCEPT, WORKER, parties())
    # a job offered back (reopened) is the holder's
    assert S.REOPENED in allowed_sources(Action.ACCEPT, MEMBER, parties(assignee="dm001"))
    assert S.REOPENED not in allowed_sources(Action.ACCEPT, OTHER_MEMBER,
                                             parties(assignee="dm001"))


def test_who_may_handle_verify_rate_cancel() -> None:
    held = parties(assignee="dm001")
    assert allowed_sources(Action.RESOLVE, MEMBER, held) == {S.ACCEPTED}
    assert allowed_sources(Action.RESOLVE, LEAD, held) == {S.ACCEPTED}
    with pytest.raises(Forbidden):
        allowed_sources(Action.RESOLVE, OTHER_MEMBER, held)
    assert allowed_sources(Action.VERIFY, WORKER, held) == {S.RESOLVED}
    assert allowed_sources(Action.VERIFY, Principal("gw009", Role.GRID_WORKER, "001"),
                           held) == {S.RESOLVED}  # the grid's worker, not the reporter
    with pytest.raises(Forbidden):
        allowed_sources(Action.VERIFY, OTHER_WORKER, held)
    with pytest.raises(Forbidden):
        allowed_sources(Action.VERIFY, MEMBER, held)
    assert allowed_sources(Action.RATE, ASSESSOR, held) == {S.CLOSED}
    with pytest.raises(Forbidden):
        allowed_sources(Action.RATE, SCREEN, held)
    assert allowed_sources(Action.CANCEL, WORKER, held) == {S.REPORTED, S.DISPATCHED, S.TRIAGE}
    assert S.ACCEPTED in allowed_sources(Action.CANCEL, DISPATCHER, held)
    with pytest.raises(Forbidden):
        allowed_sources(Action.APPROVE_EXTENSION, LEAD, held)
    with pytest.raises(Forbidden):
        allowed_sources(Action.SUSPEND, MEMBER, held)


def test_who_sees_a_case() -> None:
    case = parties()
    assert all(may_see(p, case) for p in (MEMBER, LEAD, WORKER, DISPATCHER, ASSESSOR, SCREEN))
    assert not may_see(FOREIGN_MEMBER, case)
    assert not may_see(OTHER_WORKER, case)
    assert may_see(OTHER_WORKER, parties(reporter="gw002"))


def test_check_state_tells_a_lost_race_from_a_wrong_state() -> None:
    taken = make_case(state="accepted", assignee="dm002")
    with pytest.raises(Conflict) as lost:
        check_state(taken, Action.ACCEPT, MEMBER, frozenset({S.DISPATCHED}))
    assert lost.value.code == "already_taken"
    with pytest.raises(Conflict) as wrong:
        check_state(make_case(state="closed", assignee="dm002"), Action.ACCEPT, MEMBER,
                    frozenset({S.DISPATCHED}))
    assert wrong.value.code == "invalid_state"
    check_state(make_case(), Action.ACCEPT, MEMBER, frozenset({S.DISPATCHED}))


# --- clocks and timers --------------------------------------------------------------

def test_calendar_clock_extension_and_pause() -> None:
    clock = CaseClock(T0, 7200, LimitClock.CLOCK, 0.5, None, (3600,), ("lead",))
    assert clock.times(CAL) == Times(T0 + 2 * HOUR_MS, T0 + HOUR_MS, (T0 + 3 * HOUR_MS,))
    longer = clock.extended(3).times(CAL)
    assert longer.deadline == T0 + 5 * HOUR_MS
    assert longer.yellow_at == T0 + int(2.5 * HOUR_MS)
    paused = clock.paused(T0 + HOUR_MS, T0 + 4 * HOUR_MS, CAL).times(CAL)
    assert paused.deadline == T0 + 5 * HOUR_MS
    assert paused.escalations == (T0 + 6 * HOUR_MS,)


def test_working_clock_pause_counts_only_working_time() -> None:
    friday = date(2024, 9, 20)
    start = ms(friday, 9)
    clock = CaseClock(start, 7 * 3600, LimitClock.WORKING, 0.75, None, (), ())
    assert clock.times(CAL).deadline == ms(friday, 17, 30)
    # paused Friday 16:30 -> Monday 10:00: one working hour of Friday, one of Monday
    moved = clock.paused(ms(friday, 16, 30), ms(date(2024, 9, 23), 10), CAL)
    assert moved.times(CAL).deadline == ms(date(2024, 9, 23), 11)


def test_timers_members_and_pending() -> None:
    times = Times(T0 + 2 * HOUR_MS, T0 + HOUR_MS, (T0 + 3 * HOUR_MS, T0 + 5 * HOUR_MS))
    found = timers_of("C7", 4, times)
    assert [(t.kind, t.level, due) for t, due in found] == [
        (TimerKind.YELLOW, 0, T0 + HOUR_MS), (TimerKind.RED, 0, T0 + 2 * HOUR_MS),
        (TimerKind.ESCALATE, 1, T0 + 3 * HOUR_MS), (TimerKind.ESCALATE, 2, T0 + 5 * HOUR_MS)]
    assert found[0][0].member == "C7|yellow|0|4"
    assert Timer.parse("C7|esc|2|4") == Timer("C7", TimerKind.ESCALATE, 2, 4)
    assert [t.kind for t, _ in pending("C7", 4, times, T0 + HOUR_MS)] == [
        TimerKind.RED, TimerKind.ESCALATE, TimerKind.ESCALATE]
    assert set(members("C7", 4, 2)) == {t.member for t, _ in found}
    no_yellow = Times(T0, T0, ())
    assert [t.kind for t, _ in timers_of("C7", 1, no_yellow)] == [TimerKind.RED]


# --- the change of each action ------------------------------------------------------

def ctx() -> Context:
    return Context(CAL)


def test_accept_and_reject_changes() -> None:
    case = make_case()
    accept = change_for(case, Command(Action.ACCEPT), MEMBER, T0, ctx())
    assert accept.target is S.ACCEPTED and accept.fields == {"assignee": "dm001"}
    assert accept.clock_op is ClockOp.KEEP
    reject = change_for(make_case(state="accepted", assignee="dm001"),
                        Command(Action.REJECT, note="not ours"), MEMBER, T0, ctx())
    assert reject.target is S.TRIAGE and reject.fields == {"department": "centre"}
    assert reject.assignee_removed and reject.extras["from_department"] == "cgj"


def test_resolve_stops_the_clock_and_a_failed_verify_restarts_it() -> None:
    held = make_case(state="accepted", assignee="dm001")
    resolve = change_for(held, Command(Action.RESOLVE, note="done"), MEMBER, T0, ctx())
    assert resolve.clock_op is ClockOp.STOP and resolve.verify_task
    resolved = make_case(state="resolved", assignee="dm001", rework_count=1)
    fail = change_for(resolved, Command(Action.VERIFY, ok=False), WORKER, T0, ctx())
    assert fail.target is S.REOPENED and fail.fields["rework_count"] == "2"
    assert fail.clock_op is ClockOp.RESCHEDULE and fail.times == resolved.times
    ok = change_for(resolved, Command(Action.VERIFY, ok=True), WORKER, T0, ctx())
    assert ok.target is S.CLOSED


def test_extension_is_asked_once_then_moves_the_deadline() -> None:
    held = make_case(state="accepted", assignee="dm001")
    ask = change_for(held, Command(Action.EXTEND, note="parts", hours=3), MEMBER, T0, ctx())
    pending_case = make_case(state="accepted", assignee="dm001",
                             extension=ask.fields["extension"])
    with pytest.raises(Conflict) as twice:
        change_for(pending_case, Command(Action.EXTEND, note="x", hours=1), MEMBER, T0, ctx())
    assert twice.value.code == "extension_pending"
    approve = change_for(pending_case, Command(Action.APPROVE_EXTENSION), DISPATCHER, T0,
                         ctx())
    assert approve.clock_op is ClockOp.RESCHEDULE
    assert approve.times is not None and approve.times.deadline == T0 + 5 * HOUR_MS
    assert approve.removed == ("extension",)
    with pytest.raises(Conflict) as none:
        change_for(held, Command(Action.APPROVE_EXTENSION), DISPATCHER, T0, ctx())
    assert none.value.code == "no_extension"
    refused = change_for(pending_case, Command(Action.APPROVE_EXTENSION, ok=False),
                         DISPATCHER, T0, ctx())
    assert refused.clock_op is ClockOp.KEEP and refused.extras["approved"] is False


def test_suspend_and_resume_shift_the_clock_by_the_pause() -> None:
    held = make_case(state="accepted", assignee="dm001")
    suspend = change_for(held, Command(Action.SUSPEND, note="works"), LEAD, T0, ctx())
    assert suspend.clock_op is ClockOp.STOP and suspend.fields["resume_state"] == "accepted"
    suspended = make_case(state="suspended", assignee="dm001", suspended_at=T0,
                          resume_state="accepted")
    resume = change_for(suspended, Command(Action.RESUME), LEAD, T0 + 10 * HOUR_MS, ctx())
    assert resume.target is S.ACCEPTED
    assert resume.times is not None and resume.times.deadline == T0 + 12 * HOUR_MS
    assert resume.extras["paused_ms"] == 10 * HOUR_MS


# --- model --------------------------------------------------------------------------

def test_light_follows_the_clock_only_while_it_runs() -> None:
    case = make_case()
    assert [case.light(T0 + h * HOUR_MS) for h in (0, 1, 2)] == ["green", "yellow", "red"]
    frozen = make_case(state="suspended", light="yellow")
    assert frozen.light(T0 + 10 * HOUR_MS) == "yellow"
    no_limit = make_case(state="triage", deadline=None, yellow_at=None)
    assert no_limit.light(T0 + 100 * HOUR_MS) == "green"


def test_case_ids() -> None:
    assert case_id(42) == "C42" and case_number("C42") == 42
    assert case_number("X42") is None and case_number("C") is None
    assert case_number("C4x") is None


# --- bodies and queries -------------------------------------------------------------

def test_report_body_errors_name_the_field() -> None:
    good = {"client_id": "a", "item": "SS01", "lat": 39.1, "lon": 117.4}
    assert parse_report(Fields.of(good)).lat == 39.1
    for bad, field in [({**good, "lat": "x"}, "lat"), ({**good, "lat": 91}, "lat"),
                       ({**good, "client_id": ""}, "client_id"), ({**good, "item": 3}, "item"),
                       ({**good, "media": "x"}, "media"), ({**good, "media": [1]}, "media.0"),
                       ({**good, "severity": "urgent"}, "severity"),
                       ({k: v for k, v in good.items() if k != "lon"}, "lon")]:
        with pytest.raises(BadRequest) as err:
            parse_report(Fields.of(bad))
        assert err.value.field == field, bad


def test_same_body_same_fingerprint() -> None:
    body = {"client_id": "a", "item": "SS01", "lat": 39.1, "lon": 117.4}
    one = parse_report(Fields.of(body))
    assert one.fingerprint() == parse_report(Fields.of({**body, "client_id": "b"})).fingerprint()
    assert one.fingerprint() != parse_report(Fields.of({**body, "lat": 39.2})).fingerprint()


@pytest.mark.parametrize(("action", "body", "field"), [
    (Action.REJECT, {}, "reason"),
    (Action.PROGRESS, {"note": ""}, "note"),
    (Action.VERIFY, {"ok": "yes"}, "ok"),
    (Action.REASSIGN, {}, "department"),
    (Action.REASSIGN, {"department": "cgj", "member": "dm001"}, "department"),
    (Action.EXTEND, {"hours": 0, "reason": "x"}, "hours"),
    (Action.EXTEND, {"hours": 2}, "reason"),
    (Action.RATE, {"score": 6}, "score"),
    (Action.CANCEL, {"reason": 5}, "reason"),
])
def test_action_body_errors(action: Action, body: dict[str, Any], field: str) -> None:
    with pytest.raises(BadRequest) as err:
        parse_command(action, Fields.of(body), max_extension_hours=72)
    assert err.value.field == field


def test_cursor_and_query() -> None:
    assert decode_cursor(encode_cursor(1234)) == 1234
    for bad in ("", "zzz", encode_cursor(5)[:-1] + "!"):
        with pytest.raises(BadRequest):
            decode_cursor(bad)
    q = parse_query({"state": "dispatched,accepted", "light": "red", "limit": "10"},
                    default_limit=50, max_limit=200)
    assert q.states == {"dispatched", "accepted"} and q.limit == 10 and q.light == "red"
    for bad in ({"state": "nope"}, {"light": "blue"}, {"limit": "0"}, {"limit": "201"}):
        with pytest.raises(BadRequest):
            parse_query(bad, default_limit=50, max_limit=200)

