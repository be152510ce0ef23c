"""Plans: everything one script call writes, computed in Python from the case as read.

A plan lists the case's new fields, its timeline entries, the index and offer set
changes, the timers to add and remove, and the socket messages with the case's summary
as it will be; the Lua ``apply`` (lua.py) writes it in one atomic step after checking
the case did not change. Every change goes through here: a report, each action, and
each timer the clock fires.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from dispatch.cases.clock import Times, csv_ints
from dispatch.cases.intake import Intake, as_duplicate
from dispatch.cases.lifecycle import Change, ClockOp
from dispatch.cases.model import Case, case_number
from dispatch.cases.parts import part_timers
from dispatch.cases.states import TERMINAL_STATES, CaseState
from dispatch.cases.timers import Timer, TimerKind, members, pending
from dispatch.identity.principal import Principal
from dispatch.keys import Keys
from dispatch.rules import Light, Notify

S = CaseState
#: What only a clock that may still move needs: dropped when a case is finished.
CLOCK_FIELDS = ("start", "limit_s", "clock", "yellow_share", "yellow_lead_s", "esc_after",
                "esc_notify")
SYSTEM = "system"
#: What each timer records on the timeline, and the message it sends.
TIMER_ACTIONS = {TimerKind.YELLOW: "light", TimerKind.RED: "overdue",
                 TimerKind.ESCALATE: "escalated"}
TIMER_MESSAGES = {TimerKind.YELLOW: "job.warning", TimerKind.RED: "job.overdue",
                  TimerKind.ESCALATE: "job.overdue"}
#: Who hears of a case nobody holds and no department has, and of escalations by default.
DESK_ROLE = "dispatcher"
#: Who an escalation to the leadership tells.
LEADERSHIP_ROLES = ("dispatcher", "admin")
JOB_UPDATED = "job.updated"


@dataclass
class Plan:
    now: int
    states: list[str] = field(default_factory=list)
    ver: int = 0
    set: dict[str, str] = field(default_factory=dict)
    delete: list[str] = field(default_factory=list)
    timeline: list[str] = field(default_factory=list)
    zadd: list[tuple[str, str, str]] = field(default_factory=list)
    zrem: list[tuple[str, str]] = field(default_factory=list)
    geoadd: list[tuple[str, str, str, str]] = field(default_factory=list)
    hset: list[tuple[str, str, str]] = field(default_factory=list)
    sadd: list[tuple[str, str]] = field(default_factory=list)
    publish: list[tuple[str, dict[str, Any], bool]] = field(default_factory=list)
    rpush: list[tuple[str, str]] = field(default_factory=list)
    hincrby: list[tuple[str, str, int]] = field(default_factory=list)
    emit: bool = True
    #: The case's summary once the plan is written: it goes with the messages.
    summary: dict[str, Any] | None = None
    #: A report repeating an open case: the script names the original in the summary.
    names_original: bool = False
    #: The case as the plan leaves it (set by ``Planner.fire``).
    after: Case | None = None

    def entry(self, value: dict[str, Any]) -> None:
        self.timeline.append(orjson.dumps(value).decode())

    def send(self, channel: str, message: dict[str, Any], *, with_case: bool = True) -> None:
        self.publish.append((channel, message, with_case))

    def _message(self, message: dict[str, Any], with_case: bool) -> str:
        return orjson.dumps({**message, "case": self.summary} if with_case else message).decode()

    def to_json(self) -> str:
        body: dict[str, Any] = {
            "now": self.now, "states": self.states, "ver": self.ver, "set": self.set,
            "del": self.delete, "timeline": self.timeline, "zadd": self.zadd,
            "zrem": self.zrem, "geoadd": self.geoadd, "hset": self.hset,
            "sadd": self.sadd,
            "publish": [(channel, self._message(message, with_case))
                        for channel, message, with_case in self.publish],
            "rpush": self.rpush, "hincrby": self.hincrby, "emit": False,
        }
        if self.emit and self.names_original:
            body["emit_case"] = self.summary
        elif self.emit:
            body["emit"] = self._message({"type": "case"}, True)
        return orjson.dumps(body).decode()


@dataclass(frozen=True)
class Where:
    """The parts of a case the indexes, offers and channels follow."""

    state: CaseState
    department: str | None
    assignee: str | None


class Planner:
    def __init__(self, keys: Keys) -> None:
        self.keys = keys

    # --- report -------------------------------------------------------------
    def report(self, new: Intake) -> tuple[Plan, Plan]:
        """(plan when the report is new, plan when it repeats an open case)."""
        return self._new_case(new), self._duplicate(new)

    def _base_indexes(self, plan: Plan, score: str, new: Intake) -> None:
        k = self.keys
        for key in (k.cases_all(), k.cases_in_grid(new.grid), k.cases_reported_by(new.reporter)):
            plan.zadd.append((key, score, new.case_id))
        for media_id in new.media:
            plan.sadd.append((k.media_cases(media_id), new.case_id))

    def _new_case(self, new: Intake) -> Plan:
        k = self.keys
        plan = Plan(int(new.fields["created"]), set=dict(new.fields))
        for entry in new.entries:
            plan.entry(entry)
        score = str(case_number(new.case_id))
        self._base_indexes(plan, score, new)
        plan.zadd.append((k.cases_open(), score, new.case_id))
        plan.geoadd.append((k.cases_near(new.item), repr(new.lon), repr(new.lat), new.case_id))
        before = Where(S.REPORTED, None, None)
        after = Where(new.state, new.department, new.assignee)
        self._move(plan, new.case_id, score, before, after)
        if new.times is not None:
            gen = int(new.fields["gen"])
            for timer, due in pending(new.case_id, gen, new.times, plan.now):
                plan.zadd.append((k.case_timers(), str(due), timer.member))
        self._notify(plan, new.case_id, before, after)
        for department in new.assisting:  # the rule's assisting departments (协办)
            plan.zadd.append((k.cases_assisted_by(department), score, new.case_id))
            if new.times is not None:
                plan.zadd.extend((k.case_part_timers(), str(due), member)
                                 for due, member in part_timers(
                                     new.case_id, department, new.times.deadline,
                                     new.times.yellow_at))
            plan.zadd.append((k.case_part_offers(department), score, new.case_id))
            plan.send(k.dept_channel(department), {"type": "job.offered", "part": department})
        if new.state is S.ACCEPTED and new.assignee:
            plan.send(k.user_channel(new.assignee), {"type": "task", "kind": "handle"})
        plan.summary = Case.from_hash(plan.set).summary(plan.now)
        return plan

    def _duplicate(self, new: Intake) -> Plan:
        plan = Plan(int(new.fields["created"]), set=as_duplicate(new))
        plan.entry(new.entries[0])
        score = str(case_number(new.case_id))
        self._base_indexes(plan, score, new)
        plan.zadd.append((self.keys.cases_in_state(S.DUPLICATE.value), score, new.case_id))
        plan.summary = Case.from_hash(plan.set).summary(plan.now)
        plan.names_original = True
        return plan

    # --- transitions --------------------------------------------------------
    def transition(self, case: Case, change: Change, actor: Principal, now: int,
                   sources: frozenset[CaseState]) -> Plan:
        plan = Plan(now, states=sorted(s.value for s in sources), ver=case.ver)
        plan.set = dict(change.fields)
        plan.set.update({"state": change.target.value, "updated": str(now)})
        plan.delete = list(change.removed)
        before = Where(case.state, case.department, case.assignee)
        after = Where(change.target, self._department(case, change),
                      None if change.assignee_removed
                      else change.fields.get("assignee", case.assignee) or None)
        self._timeline(plan, case, change, actor)
        self._attach(plan, case, change)
        score = str(case.number)
        self._move(plan, case.id, score, before, after)
        self._clock(plan, case, change)
        self._notify(plan, case.id, before, after, actor)
        if change.verify_task:
            plan.send(self.keys.user_channel(case.verifier or case.reporter),
                      {"type": "task", "kind": "verify"})
        if (after.state is S.ACCEPTED and after.assignee and after.assignee != actor.username
                and after.assignee != before.assignee):
            plan.send(self.keys.user_channel(after.assignee), {"type": "task", "kind": "handle"})
        self._told(plan, case, change)
        self._linked(plan, change)
        self._parts(plan, case, change, score)
        if change.target in TERMINAL_STATES:
            plan.zrem.extend((self.keys.case_part_offers(p.department), case.id)
                             for p in case.parts)
            plan.zrem.append((self.keys.cases_open(), case.id))
            plan.zrem.append((self.keys.cases_near(case.item), case.id))
            plan.delete.extend(f for f in CLOCK_FIELDS if f not in plan.set)
        elif case.state in TERMINAL_STATES:  # reopened
            plan.zadd.append((self.keys.cases_open(), score, case.id))
            plan.geoadd.append((self.keys.cases_near(case.item), repr(case.lon),
                                repr(case.lat), case.id))
        plan.summary = case.changed(plan.set, plan.delete).summary(now)
        return plan

    # --- timers -------------------------------------------------------------
    def fire(self, case: Case, timer: Timer, due_ms: int, now: int, *, late_after_ms: int,
             lead: str | None) -> Plan:
        """What a due timer of a running case on its clock's generation does: the light or
        the escalation level, a timeline entry, the holder's (or the department's) warning,
        the escalation's target and the screen event. ``lead``: the department's lead.

        This is the rule. The clock fires timers in bulk with its Lua twin (lua.py,
        ``FIRE_DUE``, every name in it generated from here) because planning each timer
        in Python costs about 190 us of CPU against 8 us (bench_clock); the parity tests
        hold the two to the same outcome for every timer, light and state."""
        k = self.keys
        kind, state = timer.kind, case.state.value
        plan = Plan(now, states=[state], ver=case.ver)
        entry: dict[str, Any] = {"ts": now, "by": SYSTEM, "action": TIMER_ACTIONS[kind],
                                 "from": state, "to": state, "due": due_ms}
        message: dict[str, Any] = {"type": TIMER_MESSAGES[kind], "kind": kind.value}
        notify = None
        if kind is TimerKind.YELLOW:
            if case.stored_light != Light.RED.value:
                plan.set["light"] = Light.YELLOW.value
            entry["light"] = Light.YELLOW.value
        elif kind is TimerKind.RED:
            plan.set["light"] = entry["light"] = Light.RED.value
        else:
            plan.set.update({"escalation_level": str(timer.level), "light": Light.RED.value})
            levels = case.clock.esc_notify if case.clock else ()
            notify = levels[timer.level - 1] if 0 < timer.level <= len(levels) else None
            entry["level"] = message["level"] = timer.level
            if notify is not None:
                entry["notify"] = message["notify"] = notify
        late = now - due_ms
        if late > late_after_ms:
            entry["late_ms"] = message["late_ms"] = late
        plan.entry(entry)
        target = (k.user_channel(case.assignee) if case.assignee
                  else k.dept_channel(case.department) if case.department
                  else k.role_channel(DESK_ROLE))
        plan.send(target, message)
        if case.assignee and case.department:
            plan.send(k.dept_channel(case.department), {"type": JOB_UPDATED})
        if kind is TimerKind.ESCALATE:
            for channel in self._escalated_to(case.department, notify, lead):
                if channel != target:
                    plan.send(channel, message)
        plan.after = case.changed(plan.set)
        plan.summary = plan.after.summary(now)
        return plan

    def _escalated_to(self, department: str | None, notify: str | None,
                      lead: str | None) -> list[str]:
        """Who an escalation level tells: the department's lead, the leadership (the
        dispatchers and the admins) or, by default and when there is no lead, the desk."""
        roles: tuple[str, ...] = (DESK_ROLE,)
        if notify == Notify.LEAD.value and department and lead:
            return [self.keys.user_channel(lead)]
        if notify == Notify.LEADERSHIP.value:
            roles = LEADERSHIP_ROLES
        return [self.keys.role_channel(role) for role in roles]

    def _told(self, plan: Plan, case: Case, change: Change) -> None:
        """A change's own notice (a supervision) to its people, else to the department."""
        if change.notice is None:
            return
        if change.notify:
            for user in change.notify:
                plan.send(self.keys.user_channel(user), dict(change.notice))
        elif case.department:  # the lead is on the department's channel too
            plan.send(self.keys.dept_channel(case.department), dict(change.notice))

    def _parts(self, plan: Plan, case: Case, change: Change, score: str) -> None:
        """The assisting departments' offers, listing index and messages."""
        k = self.keys
        for department in change.part_offers_ended:
            plan.zrem.append((k.case_part_offers(department), case.id))
        for department in change.part_offers:
            plan.zadd.append((k.case_part_offers(department), score, case.id))
        for department in change.assisting_removed:
            plan.zrem.append((k.cases_assisted_by(department), case.id))
        for department in change.assisting_added:
            plan.zadd.append((k.cases_assisted_by(department), score, case.id))
        for due, member in change.part_timers:
            plan.zadd.append((k.case_part_timers(), str(due), member))
        if change.whistle_due is not None:
            due, member = change.whistle_due
            plan.zadd.append((k.case_whistles_due(), str(due), member))
        for department, message in change.dept_messages:  # one naming its case: as it is
            plan.send(k.dept_channel(department), dict(message), with_case="case" not in message)
        for user, message in change.user_messages:
            plan.send(k.user_channel(user), dict(message), with_case="case" not in message)

    def _linked(self, plan: Plan, change: Change) -> None:
        """Entries on other cases' timelines (they change too: their version moves on)."""
        k = self.keys
        for link in change.linked:
            plan.rpush.append((k.case_timeline(link.case_id),
                               orjson.dumps(link.entry).decode()))
            plan.hincrby.append((k.case(link.case_id), "ver", 1))
            if link.counter:
                plan.hincrby.append((k.case(link.case_id), link.counter, 1))

    @staticmethod
    def _department(case: Case, change: Change) -> str | None:
        if "department" in change.fields:
            return change.fields["department"] or None
        return case.department

    @staticmethod
    def _timeline(plan: Plan, case: Case, change: Change, actor: Principal) -> None:
        entry: dict[str, Any] = {"ts": plan.now, "by": actor.username,
                                 "action": change.entry_action or change.action.value,
                                 "from": case.state.value,
                                 "to": change.target.value, "note": change.note}
        if change.media:
            entry["media"] = list(change.media)
        entry.update({k: v for k, v in change.extras.items() if v is not None})
        plan.entry(entry)

    def _attach(self, plan: Plan, case: Case, change: Change) -> None:
        for media_id in change.media:
            plan.sadd.append((self.keys.media_cases(media_id), case.id))

    def _move(self, plan: Plan, cid: str, score: str, before: Where, after: Where) -> None:
        """Index and offer set changes from ``before`` to ``after``."""
        k = self.keys
        if after.state != before.state:
            if before.state is not S.REPORTED:
                plan.zrem.append((k.cases_in_state(before.state.value), cid))
            plan.zadd.append((k.cases_in_state(after.state.value), score, cid))
        if after.department != before.department:
            if before.department:
                plan.zrem.append((k.cases_in_department(before.department), cid))
            if after.department:
                plan.zadd.append((k.cases_in_department(after.department), score, cid))
        if after.assignee != before.assignee:
            if before.assignee:
                plan.zrem.append((k.cases_held_by(before.assignee), cid))
            if after.assignee:
                plan.zadd.append((k.cases_held_by(after.assignee), score, cid))
        was_offered = before.state is S.DISPATCHED and before.department
        now_offered = after.state is S.DISPATCHED and after.department
        if was_offered and (not now_offered or after.department != before.department):
            plan.zrem.append((k.case_offers(before.department or ""), cid))
        if now_offered and (not was_offered or after.department != before.department):
            plan.zadd.append((k.case_offers(after.department or ""), score, cid))
        if before.state is S.REOPENED and before.assignee:
            plan.zrem.append((k.case_user_offers(before.assignee), cid))
        if after.state is S.REOPENED and after.assignee:
            plan.zadd.append((k.case_user_offers(after.assignee), score, cid))

    def _clock(self, plan: Plan, case: Case, change: Change) -> None:
        k = self.keys
        if change.clock_op is ClockOp.KEEP:
            return
        old = members(case.id, case.gen, len(case.escalations))
        plan.zrem.extend((k.case_timers(), m) for m in old)
        gen = case.gen + 1
        plan.set["gen"] = str(gen)
        if change.clock_op is ClockOp.STOP:
            if case.times is not None:
                plan.set["light"] = case.light(plan.now)
            return
        times: Times | None = change.times
        if times is None:
            return
        plan.set.update({
            "deadline": str(times.deadline), "yellow_at": str(times.yellow_at),
            "esc_at": csv_ints(times.escalations), "light": times.light(plan.now),
            "escalation_level": str(times.level(plan.now)),
        })
        if change.clock is not None:
            c = change.clock
            plan.set.update({
                "start": str(c.start_ms), "limit_s": str(c.limit_s), "clock": c.clock.value,
                "esc_after": csv_ints(c.esc_after_s), "esc_notify": ",".join(c.esc_notify),
            })
            for name, value in (("yellow_share", c.yellow_share),
                                ("yellow_lead_s", c.yellow_lead_s)):
                if value is None:
                    plan.delete.append(name)
                else:
                    plan.set[name] = str(value)
        for timer, due in pending(case.id, gen, times, plan.now):
            plan.zadd.append((k.case_timers(), str(due), timer.member))

    def _notify(self, plan: Plan, cid: str, before: Where, after: Where,
                actor: Principal | None = None) -> None:
        """job.* messages to the departments and people a change concerns."""
        k = self.keys
        if after.state is S.DISPATCHED and after.department and (
                before.state is not S.DISPATCHED or before.department != after.department):
            plan.send(k.dept_channel(after.department), {"type": "job.offered"})
        if after.state is S.REOPENED and after.assignee:
            plan.send(k.user_channel(after.assignee), {"type": "job.offered"})
        if (actor is not None and before.state in (S.DISPATCHED, S.REOPENED)
                and after.state is S.ACCEPTED and before.department):
            plan.send(k.dept_channel(before.department),
                      {"type": "job.taken", "case": cid, "by": actor.username}, with_case=False)
        if before.state is S.REPORTED:
            if after.department and after.state is not S.DISPATCHED:
                plan.send(k.dept_channel(after.department), {"type": "job.updated"})
            return
        channels = [k.dept_channel(d) for d in dict.fromkeys((after.department,
                                                              before.department)) if d]
        if not after.department and after.assignee:
            channels.append(k.user_channel(after.assignee))
        for channel in channels:
            plan.send(channel, {"type": "job.updated"})
