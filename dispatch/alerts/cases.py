"""Alerts that follow the cases: near the limit, overdue, each escalation level, rework.

Raised from what a timer batch changed (a yellow light, a red light, an escalation
level) and from rework beyond the configured bound; cleared when the case no longer is
in that situation (resolved, suspended, cancelled, closed, an extension approved...).
"""

from __future__ import annotations

from collections.abc import Sequence

from dispatch.alerts.model import AlertKind, Scope, Subject, escalation_owner, part_member
from dispatch.alerts.service import AlertService
from dispatch.alerts.store import AlertCall
from dispatch.cases.actions import Action
from dispatch.cases.model import Case
from dispatch.cases.parts import Part, find
from dispatch.cases.states import RUNNING_STATES, TERMINAL_STATES
from dispatch.cases.store import Fired
from dispatch.cases.timers import TimerKind
from dispatch.rules import Light

K = AlertKind
LIGHT_KINDS = (K.CASE_NEAR_LIMIT, K.CASE_OVERDUE)
#: Why an alert cleared, by the action that ended its cause.
REASONS = {Action.RESOLVE: "resolved", Action.SUSPEND: "suspended", Action.CANCEL: "cancelled",
           Action.VERIFY: "verified", Action.APPROVE_EXTENSION: "extended",
           Action.RESUME: "resumed"}


def case_scope(case: Case) -> Scope:
    return Scope(station=case.station, department=case.department)


def case_data(case: Case, now_ms: int) -> dict[str, object]:
    return {"item": case.item, "item_name": case.item_name, "grid": case.grid,
            "deadline": case.deadline, "light": case.light(now_ms),
            "state": case.state.value, "assignee": case.assignee}


PART_KINDS = (K.PART_NEAR_LIMIT, K.PART_OVERDUE)
#: Why a part's alert cleared, by the part's state.
PART_REASONS = {"resolved": "part_resolved", "left_open": "part_left_open"}


def part_data(case: Case, part: Part, now_ms: int) -> dict[str, object]:
    """A part's alert names the case and the assisting department (``part``)."""
    return {**case_data(case, now_ms), "part": part.department,
            "part_deadline": part.deadline, "part_light": part.light,
            "part_assignee": part.assignee}


class CaseAlerts:
    """A case observer (see ``CaseService.observers``) raising and clearing case alerts."""

    def __init__(self, alerts: AlertService, rework_limit: int) -> None:
        self.alerts = alerts
        self.rework_limit = rework_limit

    async def timers_fired(self, fired: Sequence[Fired], cases: Sequence[Case],
                           now_ms: int) -> None:
        """The alerts of a timer step's cases, pipelined: each case's calls in order, the
        cases one after another in a few round trips (a burst fires thousands)."""
        by_case = {c.id: c for c in cases}
        kinds: dict[str, set[TimerKind]] = {}
        levels: dict[str, int] = {}
        for f in fired:
            if not f.fired or f.timer is None:
                continue
            kinds.setdefault(f.timer.case, set()).add(f.timer.kind)
            if f.timer.kind is TimerKind.ESCALATE:
                levels[f.timer.case] = max(levels.get(f.timer.case, 0), f.timer.level)
        calls: list[AlertCall] = []
        for cid, fired_kinds in kinds.items():
            case = by_case.get(cid)
            if case is None or case.state not in RUNNING_STATES:
                continue
            calls += self._light(case, fired_kinds, now_ms)
            if cid in levels:
                calls.append(self._escalated(case, levels[cid], now_ms))
        if calls:
            await self.alerts.run_many(calls)

    def _light(self, case: Case, fired: set[TimerKind], now_ms: int) -> list[AlertCall]:
        subject = Subject(case=case.id)
        if fired & {TimerKind.RED, TimerKind.ESCALATE}:
            return [self.alerts.raise_call(K.CASE_OVERDUE, subject=subject,
                                           scope=case_scope(case),
                                           data=case_data(case, now_ms), now_ms=now_ms),
                    self.alerts.clear_call(K.CASE_NEAR_LIMIT, subject, now_ms=now_ms,
                                           reason="overdue")]
        if TimerKind.YELLOW in fired:
            return [self.alerts.raise_call(K.CASE_NEAR_LIMIT, subject=subject,
                                           scope=case_scope(case),
                                           data=case_data(case, now_ms), now_ms=now_ms)]
        return []

    def _escalated(self, case: Case, level: int, now_ms: int) -> AlertCall:
        notify = None
        if case.clock is not None and 0 < level <= len(case.clock.esc_notify):
            notify = case.clock.esc_notify[level - 1]
        owner, severity = escalation_owner(notify)
        data = {**case_data(case, now_ms), "level": level, "notify": notify}
        return self.alerts.raise_call(K.CASE_ESCALATED, subject=Subject(case=case.id),
                                      scope=case_scope(case), data=data, now_ms=now_ms,
                                      owner=owner, severity=severity)

    async def case_changed(self, before: Case, after: Case, action: Action,
                           now_ms: int) -> None:
        if action in (Action.CHECKIN_MISSED, Action.CHECKIN):
            await self._checkin(after, action, now_ms)
            return
        if action in (Action.PART_NEAR_LIMIT, Action.PART_OVERDUE):
            await self._part_light(before, after, now_ms)
            return
        await self._parts_ended(before, after, action, now_ms)
        if self._quiet(before, now_ms) and after.rework_count <= self.rework_limit:
            return  # green before (no timer fired yet): no case alert to clear or move
        subject = Subject(case=after.id)
        running = after.state in RUNNING_STATES
        light = after.light(now_ms)
        reason = REASONS.get(action, action.value)
        if action is Action.VERIFY and after.state not in TERMINAL_STATES:
            reason = "reworked"
        ended: list[AlertKind] = []
        if not running or light != Light.RED.value:
            ended += [K.CASE_OVERDUE, K.CASE_ESCALATED]
        if not running or light == Light.GREEN.value:
            ended.append(K.CASE_NEAR_LIMIT)
        if after.state in TERMINAL_STATES:
            ended.append(K.REWORK_LIMIT)
        if ended:
            await self.alerts.clear(ended, subject, now_ms=now_ms, reason=reason)
        if running and after.department != before.department and light != Light.GREEN.value:
            kind = K.CASE_OVERDUE if light == Light.RED.value else K.CASE_NEAR_LIMIT
            await self.alerts.raise_alert(kind, subject=subject, scope=case_scope(after),
                                          data=case_data(after, now_ms), now_ms=now_ms)
        if after.rework_count > before.rework_count and after.rework_count > self.rework_limit:
            await self.alerts.raise_alert(
                K.REWORK_LIMIT, subject=subject, scope=case_scope(after), now_ms=now_ms,
                data={**case_data(after, now_ms), "rework_count": after.rework_count,
                      "limit": self.rework_limit})

    async def _checkin(self, case: Case, action: Action, now_ms: int) -> None:
        """吹哨报到: a summoned department not on site in time is an alert of the case's
        station (one per department and whistle); the late check-ins of all of them clear
        it."""
        whistle = case.whistle
        if whistle is None:
            return
        subject = Subject(case=case.id)
        if action is Action.CHECKIN:
            if whistle.missed and all(d in whistle.checkins for d in whistle.missed):
                await self.alerts.clear(K.CHECKIN_LATE, subject, now_ms=now_ms,
                                        reason="checked_in")
            return
        for department in whistle.missed:
            if department in whistle.checkins:
                continue
            await self.alerts.raise_alert(
                K.CHECKIN_LATE, subject=subject,
                scope=Scope(station=case.station, department=department), now_ms=now_ms,
                data={**case_data(case, now_ms), "whistle": whistle.n, "due": whistle.due,
                      "summoned": department}, bucket=f"{whistle.n}|{department}")

    async def _part_light(self, before: Case, after: Case, now_ms: int) -> None:
        """协办临期 / 协办超期: the part whose light the clock just turned, an alert of its
        department naming the case and the part (one member per part)."""
        for part in after.parts:
            was = find(before.parts, part.department)
            if was is None or was.light == part.light or part.light == Light.GREEN.value:
                continue
            subject = Subject(case=after.id)
            member = part_member(after.id, part.department)
            red = part.light == Light.RED.value
            await self.alerts.raise_alert(
                K.PART_OVERDUE if red else K.PART_NEAR_LIMIT, subject=subject,
                scope=Scope(station=after.station, department=part.department),
                data=part_data(after, part, now_ms), now_ms=now_ms, member=member)
            if red:
                await self.alerts.clear(K.PART_NEAR_LIMIT, subject, now_ms=now_ms,
                                        reason="overdue", member=member)

    async def _parts_ended(self, before: Case, after: Case, action: Action,
                           now_ms: int) -> None:
        """A part's alerts clear once the part is no longer open on a running case (its
        result reported, left open, removed, or the case ended or suspended)."""
        running = after.state in RUNNING_STATES
        for was in before.parts:
            if was.light == Light.GREEN.value:
                continue  # no alert was raised for it
            now = find(after.parts, was.department)
            if now is not None and now.open and running:
                continue
            reason = (PART_REASONS.get(now.state.value, action.value) if now is not None
                      and running else "part_removed" if now is None
                      else REASONS.get(action, action.value))
            await self.alerts.clear(PART_KINDS, Subject(case=after.id), now_ms=now_ms,
                                    reason=reason, member=part_member(after.id,
                                                                      was.department))

    @staticmethod
    def _quiet(case: Case, now_ms: int) -> bool:
        """Whether the case cannot have a light, escalation or rework alert yet."""
        green = Light.GREEN.value
        return (case.light(now_ms) == green and case.stored_light == green
                and case.escalation_level == 0)
