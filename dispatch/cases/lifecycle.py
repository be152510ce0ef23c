"""The change each action makes to a case: pure, from the case as read and the command.

The store turns a change into one atomic script call (see ``plan.py``); nothing here
touches Redis. Conflicts that depend on more than the state (an extension already
asked for, none to approve) are raised here as 409s.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from dispatch.access import rater_kind
from dispatch.cases.actions import Action, target_state
from dispatch.cases.clock import CaseClock, Times
from dispatch.cases.commands import Command
from dispatch.cases.model import Case
from dispatch.cases.parts import (
    ASSIST_ENTRY,
    NEAR_ENTRY,
    OVERDUE_ENTRY,
    PART_ENTRY,
    PART_SOURCES,
    PART_TARGETS,
    PARTS_FIELD,
    UNASSIST_ENTRY,
    Part,
    PartAction,
    PartState,
    encode_parts,
    find,
    open_parts,
    part_timers,
    replaced,
    without,
)
from dispatch.cases.states import HELD_STATES, CaseState
from dispatch.cases.whistle import (
    CHECKIN_ENTRY,
    MISSED_ENTRY,
    WHISTLE_ENTRY,
    WHISTLE_FIELD,
    CheckIn,
    blown,
)
from dispatch.errors import BadRequest, Conflict, NotFound
from dispatch.identity.principal import Principal
from dispatch.rules import CENTRE, WorkCalendar

S = CaseState


class ClockOp(StrEnum):
    KEEP = "keep"  # the clock goes on as it is
    STOP = "stop"  # timers removed, the light frozen (resolved, suspended, closed, cancelled)
    RESCHEDULE = "reschedule"  # new instants, timers re-added (extension, resume, reopen)


@dataclass(frozen=True)
class Context:
    """What the service looked up for a change: the calendar and reassignment targets."""

    calendar: WorkCalendar
    department: str | None = None
    member: str | None = None
    #: A clock for a case that has none yet (reported with no rule, now sent somewhere),
    #: or a new one (a closed case reopened).
    fresh_clock: CaseClock | None = None
    #: The case a duplicate repeats (the first of its chain).
    original: str | None = None
    #: The lead of the case's department (told of a supervision).
    lead: str | None = None
    #: A summoned member's check-in on site, for their department.
    checkin: CheckIn | None = None
    department_of_actor: str | None = None


@dataclass(frozen=True)
class Linked:
    """A timeline entry on another case (the original of a duplicate), and a counter of its
    hash to add one to."""

    case_id: str
    entry: dict[str, Any]
    counter: str | None = None


@dataclass(frozen=True)
class Change:
    action: Action
    target: CaseState
    fields: dict[str, str] = field(default_factory=dict)
    removed: tuple[str, ...] = ()
    note: str = ""
    extras: dict[str, Any] = field(default_factory=dict)
    clock_op: ClockOp = ClockOp.KEEP
    clock: CaseClock | None = None  # stored when rescheduling with a new clock
    times: Times | None = None  # the instants to schedule
    media: tuple[str, ...] = ()
    verify_task: bool = False  # push the verification task to the reporter's phone
    linked: tuple[Linked, ...] = ()
    #: People told over their sockets (a supervision: the holder and the lead); an empty
    #: tuple with ``notice`` set tells the department.
    notify: tuple[str, ...] = ()
    notice: dict[str, Any] | None = None
    #: What the timeline calls the step (default: the action's name).
    entry_action: str | None = None
    #: Assisting departments whose part is offered now, and those whose offer ends.
    part_offers: tuple[str, ...] = ()
    part_offers_ended: tuple[str, ...] = ()
    #: Departments now assisting the case, and those no longer (their listing index).
    assisting_added: tuple[str, ...] = ()
    assisting_removed: tuple[str, ...] = ()
    #: Messages to departments' channels and to users': (department or user, message).
    dept_messages: tuple[tuple[str, dict[str, Any]], ...] = ()
    user_messages: tuple[tuple[str, dict[str, Any]], ...] = ()
    #: A whistle's limit: (due instant, ``<case>|<n>``) for the clock.
    whistle_due: tuple[int, str] | None = None
    #: Assisting parts' deadlines for the clock: (deadline, timer member).
    part_timers: tuple[tuple[int, str], ...] = ()

    @property
    def assignee_removed(self) -> bool:
        return "assignee" in self.removed


Builder = Callable[[Case, Command, Principal, int, Context], Change]


def _accept(case: Case, cmd: Command, actor: Principal, now: int, ctx: Context) -> Change:
    return Change(Action.ACCEPT, S.ACCEPTED, {"assignee": actor.username})


def _reject(case: Case, cmd: Command, actor: Principal, now: int, ctx: Context) -> Change:
    return Change(Action.REJECT, S.TRIAGE, {"department": CENTRE}, ("assignee",),
                  note=cmd.note, extras={"from_department": case.department})


def _progress(case: Case, cmd: Command, actor: Principal, now: int, ctx: Context) -> Change:
    return Change(Action.PROGRESS, case.state, note=cmd.note, media=cmd.media)


def _resolve(case: Case, cmd: Command, actor: Principal, now: int, ctx: Context) -> Change:
    """The lead's result: every assisting part reported, or each part left open named
    with a reason (409 ``parts_open`` otherwise)."""
    still_open = open_parts(case.parts)
    named = dict(cmd.left_open)
    for n, department in enumerate(named):
        if department not in still_open:
            raise BadRequest(f"{department} has no open part of this case",
                             code="unknown_part", field=f"left_open.{n}.department")
    missing = [d for d in still_open if d not in named]
    if missing:
        raise Conflict(f"the parts of {', '.join(missing)} are still open: wait for their "
                       "results or name each one left open with a reason",
                       code="parts_open", parts=missing)
    if not named:
        return Change(Action.RESOLVE, S.RESOLVED, note=cmd.note, media=cmd.media,
                      clock_op=ClockOp.STOP, verify_task=True)
    parts = case.parts
    for department in named:
        part = find(parts, department)
        if part is not None:
            parts = replaced(parts, part.stopped(now, case.running, PartState.LEFT_OPEN))
    return Change(Action.RESOLVE, S.RESOLVED, {PARTS_FIELD: encode_parts(parts)},
                  note=cmd.note, media=cmd.media, clock_op=ClockOp.STOP, verify_task=True,
                  extras={"left_open": [{"department": d, "reason": r}
                                        for d, r in named.items()]},
                  part_offers_ended=tuple(named),
                  dept_messages=tuple((d, {"type": "job.updated", "part": d}) for d in named))


def _verify(case: Case, cmd: Command, actor: Principal, now: int, ctx: Context) -> Change:
    target = target_state(Action.VERIFY, case.state, ok=cmd.ok)
    if cmd.ok:
        return Change(Action.VERIFY, target, note=cmd.note, media=cmd.media,
                      extras={"ok": True}, clock_op=ClockOp.STOP)
    return Change(Action.VERIFY, target, {"rework_count": str(case.rework_count + 1)},
                  note=cmd.note, media=cmd.media, extras={"ok": False},
                  clock_op=ClockOp.RESCHEDULE if case.times else ClockOp.KEEP,
                  times=case.times)


def _reassign(case: Case, cmd: Command, actor: Principal, now: int, ctx: Context) -> Change:
    to_member = ctx.member is not None
    target = target_state(cmd.action, case.state, to_member=to_member)
    fields = {"department": ctx.department or ""}
    removed: tuple[str, ...] = ()
    if to_member:
        fields["assignee"] = ctx.member or ""
    else:
        removed = ("assignee",)
    extras: dict[str, Any] = {"department": ctx.department, "member": ctx.member,
              "from_department": case.department, "from_assignee": case.assignee}
    if case.clock is None and ctx.fresh_clock is not None:
        times = ctx.fresh_clock.times(ctx.calendar)
        extras["deadline"] = times.deadline  # on record: the reports read deadlines there
        return Change(cmd.action, target, fields, removed, cmd.note, extras,
                      ClockOp.RESCHEDULE, ctx.fresh_clock, times)
    return Change(cmd.action, target, fields, removed, cmd.note, extras)


def _extend(case: Case, cmd: Command, actor: Principal, now: int, ctx: Context) -> Change:
    if case.clock is None:
        raise Conflict("this case has no time limit to extend", code="no_deadline")
    if case.extension_hours is not None:
        raise Conflict("an extension is already waiting for approval",
                       code="extension_pending")
    return Change(Action.EXTEND, case.state, {"extension": str(cmd.hours)}, note=cmd.note,
                  extras={"hours": cmd.hours})


def _approve(case: Case, cmd: Command, actor: Principal, now: int, ctx: Context) -> Change:
    hours = case.extension_hours
    if hours is None or case.clock is None:
        raise Conflict("no extension is waiting for approval", code="no_extension")
    if not cmd.ok:
        return Change(Action.APPROVE_EXTENSION, case.state, removed=("extension",),
                      note=cmd.note, extras={"approved": False, "hours": hours})
    clock = case.clock.extended(hours)
    times = clock.times(ctx.calendar)
    return Change(Action.APPROVE_EXTENSION, case.state, removed=("extension",), note=cmd.note,
                  extras={"approved": True, "hours": hours, "from_deadline": case.deadline,
                          "deadline": times.deadline},
                  clock_op=ClockOp.RESCHEDULE, clock=clock, times=times)


def _suspend(case: Case, cmd: Command, actor: Principal, now: int, ctx: Context) -> Change:
    return Change(Action.SUSPEND, S.SUSPENDED,
                  {"suspended_at": str(now), "resume_state": case.state.value},
                  note=cmd.note, clock_op=ClockOp.STOP)


def _resume(case: Case, cmd: Command, actor: Principal, now: int, ctx: Context) -> Change:
    target = target_state(Action.RESUME, case.state, resume_to=case.resume_state)
    paused_from = case.suspended_at or now
    extras: dict[str, Any] = {"paused_ms": now - paused_from}
    removed = ("suspended_at", "resume_state")
    if case.clock is None:
        return Change(Action.RESUME, target, removed=removed, note=cmd.note, extras=extras)
    clock = case.clock.paused(paused_from, now, ctx.calendar)
    times = clock.times(ctx.calendar)
    extras["deadline"] = times.deadline
    return Change(Action.RESUME, target, removed=removed, note=cmd.note, extras=extras,
                  clock_op=ClockOp.RESCHEDULE, clock=clock, times=times)


def _rate(case: Case, cmd: Command, actor: Principal, now: int, ctx: Context) -> Change:
    kind = rater_kind(actor, case.parties)
    if kind in case.raters:
        raise Conflict(f"case {case.id} was already rated by its {kind.value.replace('_', ' ')}",
                       code="already_rated")
    raters = ",".join((*case.raters, kind.value))
    return Change(Action.RATE, case.state, {"rating": str(cmd.score), "raters": raters},
                  note=cmd.note, extras={"score": cmd.score, "rater": kind.value})


def _cancel(case: Case, cmd: Command, actor: Principal, now: int, ctx: Context) -> Change:
    return Change(Action.CANCEL, S.CANCELLED, note=cmd.note, clock_op=ClockOp.STOP)


def _duplicate(case: Case, cmd: Command, actor: Principal, now: int, ctx: Context) -> Change:
    original = ctx.original or ""
    entry = {"ts": now, "by": actor.username, "action": "duplicate_reported", "case": case.id,
             "note": cmd.note}
    return Change(Action.DUPLICATE, S.DUPLICATE, {"duplicate_of": original}, note=cmd.note,
                  extras={"duplicate_of": original}, clock_op=ClockOp.STOP,
                  linked=(Linked(original, entry, "duplicates"),))


def _supervise(case: Case, cmd: Command, actor: Principal, now: int, ctx: Context) -> Change:
    """督办: no state changes; the holder (or, with nobody holding it, the department) and
    the department's lead are told."""
    told = tuple(dict.fromkeys(u for u in (case.holder, ctx.lead) if u))
    notice = {"type": "job.supervised", "note": cmd.note, "by": actor.username}
    return Change(Action.SUPERVISE, case.state, note=cmd.note,
                  extras={"department": case.department, "assignee": case.holder,
                          "lead": ctx.lead, "light": case.light(now),
                          "level": case.escalation_level},
                  notify=told if case.holder else (), notice=notice)


def _return(case: Case, cmd: Command, actor: Principal, now: int, ctx: Context) -> Change:
    return Change(Action.RETURN, S.TRIAGE, {"department": CENTRE}, ("assignee",),
                  note=cmd.note, extras={"from_department": case.department,
                                         "from_assignee": case.holder})


def _reopen(case: Case, cmd: Command, actor: Principal, now: int, ctx: Context) -> Change:
    """A closed case back to its last holder, on a new clock from now (返工)."""
    fields = {"rework_count": str(case.rework_count + 1)}
    extras: dict[str, Any] = {"assignee": case.assignee}
    if ctx.fresh_clock is None:
        return Change(Action.REOPEN, S.REOPENED, fields, note=cmd.note, extras=extras)
    times = ctx.fresh_clock.times(ctx.calendar)
    extras["deadline"] = times.deadline
    return Change(Action.REOPEN, S.REOPENED, fields, note=cmd.note, extras=extras,
                  clock_op=ClockOp.RESCHEDULE, clock=ctx.fresh_clock, times=times)


def _parts_fields(parts: tuple[Part, ...]) -> tuple[dict[str, str], tuple[str, ...]]:
    encoded = encode_parts(parts)
    return ({PARTS_FIELD: encoded}, ()) if encoded else ({}, (PARTS_FIELD,))


def _assist(case: Case, cmd: Command, actor: Principal, now: int, ctx: Context) -> Change:
    """协办: a new part for an assisting department, offered to its members on its own
    clock (``ctx.fresh_clock``: the case's limit unless the command gives one)."""
    department = cmd.department or ""
    if find(case.parts, department) is not None:
        raise Conflict(f"{department} already assists this case", code="already_assisting",
                       field="department")
    times = ctx.fresh_clock.times(ctx.calendar) if ctx.fresh_clock is not None else None
    part = Part(department, PartState.OFFERED, None,
                times.deadline if times else None, times.yellow_at if times else None,
                times.light(now) if times else "green", now)
    fields, removed = _parts_fields((*case.parts, part))
    timers = part_timers(case.id, department, part.deadline, part.yellow_at)
    return Change(Action.ASSIST, case.state, fields, removed, note=cmd.note,
                  extras={"part": department, "part_deadline": part.deadline},
                  entry_action=ASSIST_ENTRY, part_offers=(department,), part_timers=timers,
                  assisting_added=(department,),
                  dept_messages=((department, {"type": "job.offered", "part": department}),))


def _unassist(case: Case, cmd: Command, actor: Principal, now: int, ctx: Context) -> Change:
    department = cmd.department or ""
    part = find(case.parts, department)
    if part is None:
        raise BadRequest(f"{department} does not assist this case", code="unknown_part",
                         field="department")
    fields, removed = _parts_fields(without(case.parts, department))
    notice = {"type": "job.updated", "part": department, "removed": True}
    return Change(Action.UNASSIST, case.state, fields, removed, note=cmd.note,
                  extras={"part": department, "part_state": part.state.value,
                          "assignee": part.assignee},
                  entry_action=UNASSIST_ENTRY, part_offers_ended=(department,),
                  assisting_removed=(department,), dept_messages=((department, notice),),
                  user_messages=((part.assignee, notice),) if part.assignee else ())


def _part(case: Case, cmd: Command, actor: Principal, now: int, ctx: Context) -> Change:
    """A step of one assisting department's part: accept (one member wins), progress,
    resolve (the result, with photos; its light stops), rework (back to its holder)."""
    department = cmd.department or ""
    action = PartAction(cmd.part_action or "")
    part = find(case.parts, department)
    if part is None:
        raise NotFound(f"{department} has no part of case {case.id}", code="unknown_part")
    if part.state not in PART_SOURCES[action]:
        if action is PartAction.ACCEPT and part.assignee and part.assignee != actor.username:
            raise Conflict(f"the part of {department} was already taken by {part.assignee}",
                           code="already_taken")
        raise Conflict(f"cannot {action.value} a part that is {part.state.value}",
                       code="invalid_state")
    target = PART_TARGETS[action]
    extras: dict[str, Any] = {"part": department, "part_from": part.state.value,
                              "part_to": target.value}
    dept_messages: tuple[tuple[str, dict[str, Any]], ...] = ()
    user_messages: list[tuple[str, dict[str, Any]]] = []
    offers_ended: tuple[str, ...] = ()
    lead = case.holder
    if action is PartAction.ACCEPT:
        part = Part(**{**_fields(part), "state": target, "assignee": actor.username})
        offers_ended = (department,)
        dept_messages = ((department, {"type": "job.taken", "case": case.id,
                                       "by": actor.username, "part": department}),)
    elif action is PartAction.RESOLVE:
        part = Part(**{**_fields(part.stopped(now, case.running, target)), "resolved": now})
        extras["late"] = part.deadline is not None and now > part.deadline
    elif action is PartAction.REWORK:
        part = Part(**{**_fields(part), "state": target, "resolved": None,
                       "rework": part.rework + 1})
        if part.assignee:
            user_messages.append((part.assignee, {"type": "task", "kind": "rework",
                                                  "part": department}))
    if action in (PartAction.PROGRESS, PartAction.RESOLVE) and lead:
        user_messages.append((lead, {"type": "job.updated", "part": department}))
    fields, removed = _parts_fields(replaced(case.parts, part))
    return Change(Action.PART, case.state, fields, removed, note=cmd.note, media=cmd.media,
                  extras=extras, entry_action=PART_ENTRY[action],
                  part_offers_ended=offers_ended, dept_messages=dept_messages,
                  user_messages=tuple(user_messages))


def _whistle(case: Case, cmd: Command, actor: Principal, now: int, ctx: Context) -> Change:
    """吹哨: the departments are summoned to the site within ``cmd.minutes``."""
    whistle = blown(case.whistle, actor.username, now, cmd.departments, cmd.minutes)
    message = {"type": "whistle", "n": whistle.n, "due": whistle.due,
               "departments": list(whistle.departments), "by": actor.username,
               "note": cmd.note}
    return Change(Action.WHISTLE, case.state, {WHISTLE_FIELD: whistle.stored()},
                  note=cmd.note, extras={"n": whistle.n, "departments": list(whistle.departments),
                                         "due": whistle.due, "respond_min": cmd.minutes},
                  entry_action=WHISTLE_ENTRY,
                  dept_messages=tuple((d, dict(message)) for d in whistle.departments),
                  whistle_due=(whistle.due, f"{case.id}|{whistle.n}"))


def _checkin(case: Case, cmd: Command, actor: Principal, now: int, ctx: Context) -> Change:
    """报到: the member's department is on site (the service judged the position)."""
    whistle, checkin, department = case.whistle, ctx.checkin, ctx.department_of_actor or ""
    if whistle is None or checkin is None:
        raise Conflict("no whistle was blown on this case", code="not_summoned")
    after = whistle.checked_in(department, checkin)
    notice = {"type": "checkin", "n": whistle.n, "department": department,
              "member": actor.username, "late": checkin.late}
    return Change(Action.CHECKIN, case.state, {WHISTLE_FIELD: after.stored()},
                  note=cmd.note, extras={"n": whistle.n, "summoned": department,
                                         "member": actor.username,
                                         "distance_m": checkin.distance_m,
                                         "late": checkin.late,
                                         "arrival_s": (checkin.ts - whistle.ts) // 1000},
                  entry_action=CHECKIN_ENTRY, user_messages=((whistle.by, notice),))


def _checkin_missed(case: Case, cmd: Command, actor: Principal, now: int,
                    ctx: Context) -> Change:
    """The clock: the summoned departments not on site when the whistle's limit passed."""
    whistle = case.whistle
    if whistle is None:
        raise Conflict("no whistle was blown on this case", code="not_summoned")
    late = tuple(cmd.departments)
    after = replace(whistle, missed=tuple(dict.fromkeys((*whistle.missed, *late))))
    return Change(Action.CHECKIN_MISSED, case.state, {WHISTLE_FIELD: after.stored()},
                  extras={"n": whistle.n, "missing": list(late), "due": whistle.due},
                  entry_action=MISSED_ENTRY)


def _part_overdue(case: Case, cmd: Command, actor: Principal, now: int,
                  ctx: Context) -> Change:
    """The clock: an assisting part is past its own deadline: its light turns red, its
    holder (or, while nobody holds it, its department) is told."""
    return _part_light(case, cmd, Action.PART_OVERDUE, "red", "job.overdue", OVERDUE_ENTRY)


def _part_near_limit(case: Case, cmd: Command, actor: Principal, now: int,
                     ctx: Context) -> Change:
    """The clock: an assisting part reached its yellow instant (临期): its light turns
    yellow, its holder (or, while nobody holds it, its department) is told."""
    return _part_light(case, cmd, Action.PART_NEAR_LIMIT, "yellow", "job.warning", NEAR_ENTRY)


def _part_light(case: Case, cmd: Command, action: Action, light: str, message_type: str,
                entry_action: str) -> Change:
    """An open part's light turns ``light``, and its holder (or its department) is told."""
    department = cmd.department or ""
    part = find(case.parts, department)
    if part is None or not part.open:
        raise Conflict(f"no open part of {department}", code="invalid_state")
    fields, removed = _parts_fields(replaced(case.parts, replace(part, light=light)))
    message = {"type": message_type, "kind": light, "part": department}
    return Change(action, case.state, fields, removed,
                  extras={"part": department, "due": part.deadline,
                          "assignee": part.assignee},
                  entry_action=entry_action,
                  user_messages=((part.assignee, message),) if part.assignee else (),
                  dept_messages=() if part.assignee else ((department, message),))


def _fields(part: Part) -> dict[str, Any]:
    return {name: getattr(part, name) for name in Part.__dataclass_fields__}


BUILDERS: Mapping[Action, Builder] = MappingProxyType({
    Action.ACCEPT: _accept, Action.REJECT: _reject, Action.PROGRESS: _progress,
    Action.RESOLVE: _resolve, Action.VERIFY: _verify, Action.REASSIGN: _reassign,
    Action.EXTEND: _extend, Action.APPROVE_EXTENSION: _approve, Action.SUSPEND: _suspend,
    Action.RESUME: _resume, Action.RATE: _rate, Action.CANCEL: _cancel,
    Action.DUPLICATE: _duplicate, Action.ASSIGN: _reassign, Action.SUPERVISE: _supervise,
    Action.RETURN: _return, Action.REOPEN: _reopen, Action.ASSIST: _assist,
    Action.UNASSIST: _unassist, Action.PART: _part, Action.WHISTLE: _whistle,
    Action.CHECKIN: _checkin, Action.CHECKIN_MISSED: _checkin_missed,
    Action.PART_OVERDUE: _part_overdue, Action.PART_NEAR_LIMIT: _part_near_limit,
})


def change_for(case: Case, cmd: Command, actor: Principal, now_ms: int, ctx: Context) -> Change:
    """The change ``cmd`` makes to ``case`` (its state already checked)."""
    return BUILDERS[cmd.action](case, cmd, actor, now_ms, ctx)


def check_state(case: Case, action: Action, actor: Principal,
                sources: frozenset[CaseState]) -> None:
    """409 when the case's state does not allow the action to this caller."""
    if case.state in sources:
        return
    if action is Action.ACCEPT and case.state in HELD_STATES and case.assignee != actor.username:
        raise Conflict(f"case {case.id} was already taken by {case.assignee}",
                       code="already_taken")
    raise Conflict(f"cannot {action.value} a case that is {case.state.value}",
                   code="invalid_state")
