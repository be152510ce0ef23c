"""What can be done to a case, from which states, and where each action leads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from dispatch.cases.states import CaseState

S = CaseState


class Action(StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"  # 回退: not ours, back to the centre's triage
    PROGRESS = "progress"
    RESOLVE = "resolve"
    VERIFY = "verify"  # 核查
    REASSIGN = "reassign"  # 改派
    EXTEND = "extend"  # 延期 request
    APPROVE_EXTENSION = "approve_extension"
    SUSPEND = "suspend"  # 挂账
    RESUME = "resume"
    RATE = "rate"  # 党群评议
    CANCEL = "cancel"
    DUPLICATE = "duplicate"  # 判为重复: the same problem as another case
    ASSIGN = "assign"  # 派单到人: to a named member
    SUPERVISE = "supervise"  # 督办: urge the handler and the lead, on record
    RETURN = "return"  # 退回: the desk (or the lead) sends it back to triage
    REOPEN = "reopen"  # 重新办理: a closed case is reopened to its last holder
    ASSIST = "assist"  # 协办: add an assisting department, with its own part
    UNASSIST = "unassist"  # remove an assisting department's part
    #: A step of one assisting department's part (the service's ``act_part``); no route
    #: of its own under the case's actions.
    PART = "part"
    WHISTLE = "whistle"  # 吹哨: summon departments to the site, each within a limit
    CHECKIN = "checkin"  # 报到: a summoned member on site (the service's ``checkin``)
    CHECKIN_MISSED = "checkin_missed"  # the clock: summoned departments late
    PART_OVERDUE = "part_overdue"  # the clock: an assisting part past its own deadline
    PART_NEAR_LIMIT = "part_near_limit"  # the clock: an assisting part near its deadline


@dataclass(frozen=True)
class Transition:
    """The states an action may start from; ``target`` None: decided by the action's body
    (verify, reassign, resume) or the state is kept (progress, extend, rate)."""

    sources: frozenset[CaseState]
    target: CaseState | None


def _t(sources: set[CaseState], target: CaseState | None) -> Transition:
    return Transition(frozenset(sources), target)


_WORKING = {S.DISPATCHED, S.ACCEPTED, S.REOPENED}
_OPEN = set(S) - {S.CLOSED, S.DUPLICATE, S.CANCELLED}

TRANSITIONS: Mapping[Action, Transition] = MappingProxyType({
    Action.ACCEPT: _t({S.DISPATCHED, S.REOPENED}, S.ACCEPTED),
    Action.REJECT: _t(_WORKING, S.TRIAGE),
    Action.PROGRESS: _t({S.ACCEPTED}, None),
    Action.RESOLVE: _t({S.ACCEPTED}, S.RESOLVED),
    Action.VERIFY: _t({S.RESOLVED}, None),
    Action.REASSIGN: _t(_WORKING | {S.TRIAGE}, None),
    Action.EXTEND: _t(_WORKING, None),
    Action.APPROVE_EXTENSION: _t(_WORKING, None),
    Action.SUSPEND: _t(_WORKING | {S.TRIAGE}, S.SUSPENDED),
    Action.RESUME: _t({S.SUSPENDED}, None),
    Action.RATE: _t({S.CLOSED}, None),
    Action.CANCEL: _t(_WORKING | {S.REPORTED, S.TRIAGE, S.RESOLVED, S.SUSPENDED}, S.CANCELLED),
    Action.DUPLICATE: _t(_WORKING | {S.REPORTED, S.TRIAGE, S.SUSPENDED}, S.DUPLICATE),
    Action.ASSIGN: _t(_WORKING | {S.TRIAGE}, S.ACCEPTED),
    Action.SUPERVISE: _t(_WORKING, None),
    Action.RETURN: _t(_WORKING, S.TRIAGE),
    Action.REOPEN: _t({S.CLOSED}, S.REOPENED),
    Action.ASSIST: _t(_WORKING, None),
    Action.UNASSIST: _t(_WORKING | {S.TRIAGE, S.SUSPENDED}, None),
    Action.PART: _t(_WORKING, None),
    Action.WHISTLE: _t(_WORKING | {S.TRIAGE, S.RESOLVED}, None),
    Action.CHECKIN: _t(_OPEN, None),
    Action.CHECKIN_MISSED: _t(_OPEN, None),
    Action.PART_OVERDUE: _t(_WORKING, None),
    Action.PART_NEAR_LIMIT: _t(_WORKING, None),
})
#: Actions that are not a route of their own under /api/v1/cases/{id}/ (or not this one's).
INTERNAL_ACTIONS: frozenset[Action] = frozenset({Action.PART, Action.CHECKIN,
                                                 Action.CHECKIN_MISSED, Action.PART_OVERDUE,
                                                 Action.PART_NEAR_LIMIT})

#: A reporter may withdraw a report only while nobody has taken it.
REPORTER_CANCEL_SOURCES: frozenset[CaseState] = frozenset({S.REPORTED, S.DISPATCHED, S.TRIAGE})


def target_state(action: Action, current: CaseState, *, ok: bool | None = None,
                 to_member: bool = False, resume_to: CaseState | None = None) -> CaseState:
    """Where ``action`` takes a case now in ``current``."""
    fixed = TRANSITIONS[action].target
    if fixed is not None:
        return fixed
    if action is Action.VERIFY:
        return S.CLOSED if ok else S.REOPENED
    if action is Action.REASSIGN:
        return S.ACCEPTED if to_member else S.DISPATCHED
    if action is Action.RESUME:
        return resume_to or S.DISPATCHED
    return current
