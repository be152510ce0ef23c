"""Who may do what to a case: the caller's relations to it decide, states narrow it.

Pure: a caller (principal) and the parties of a case in, the states the caller may
start the action from out. No state at all means 403; a state outside it means 409.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from dispatch.cases.actions import REPORTER_CANCEL_SOURCES, TRANSITIONS, Action
from dispatch.cases.states import CaseState
from dispatch.errors import Forbidden
from dispatch.identity.principal import Principal
from dispatch.identity.roles import DEPARTMENT_ROLES, Role
from dispatch.rules import CENTRE

S = CaseState
#: Roles that run the command centre's desk: members and leads of the ``centre`` department.
DESK_ROLES: frozenset[Role] = frozenset({Role.DISPATCHER, Role.ADMIN})
#: Roles that see every case of the street.
STREET_WIDE_ROLES: frozenset[Role] = frozenset(
    {Role.DISPATCHER, Role.ADMIN, Role.ASSESSOR, Role.SCREEN}
)


class Relation(StrEnum):
    DESK = "desk"  # dispatcher or admin
    MEMBER = "member"  # of the case's department
    LEAD = "lead"  # of the case's department
    HOLDER = "holder"  # the case's assignee
    REPORTER = "reporter"
    GRID_WORKER = "grid_worker"  # the worker of the case's grid
    ASSESSOR = "assessor"


@dataclass(frozen=True)
class Parties:
    """The people and places of a case that permissions look at."""

    department: str | None
    assignee: str | None
    reporter: str | None
    grid: str | None


def team_of(actor: Principal) -> str | None:
    """The department whose jobs ``actor`` handles (``centre`` for the desk)."""
    if actor.role in DEPARTMENT_ROLES:
        return actor.scope
    if actor.role in DESK_ROLES:
        return CENTRE
    return None


def relations(actor: Principal, case: Parties) -> frozenset[Relation]:
    found: set[Relation] = set()
    if actor.role in DESK_ROLES:
        found.add(Relation.DESK)
    if actor.role is Role.ASSESSOR:
        found.add(Relation.ASSESSOR)
    if case.department and team_of(actor) == case.department:
        found.add(Relation.MEMBER)
        if actor.role is Role.DEPT_LEAD or actor.role in DESK_ROLES:
            found.add(Relation.LEAD)
    if case.assignee and case.assignee == actor.username:
        found.add(Relation.HOLDER)
    if case.reporter and case.reporter == actor.username:
        found.add(Relation.REPORTER)
    if actor.in_grid(case.grid):
        found.add(Relation.GRID_WORKER)
    return frozenset(found)


def _all(action: Action) -> frozenset[CaseState]:
    return TRANSITIONS[action].sources


def _only(*states: CaseState) -> frozenset[CaseState]:
    return frozenset(states)


R = Relation
#: For each action, the states each relation may start it from.
GRANTS: Mapping[Action, Mapping[Relation, frozenset[CaseState]]] = MappingProxyType({
    Action.ACCEPT: {R.HOLDER: _all(Action.ACCEPT), R.MEMBER: _only(S.DISPATCHED)},
    Action.REJECT: {R.HOLDER: _all(Action.REJECT), R.LEAD: _all(Action.REJECT),
                    R.MEMBER: _only(S.DISPATCHED)},
    Action.PROGRESS: {R.HOLDER: _all(Action.PROGRESS), R.LEAD: _all(Action.PROGRESS)},
    Action.RESOLVE: {R.HOLDER: _all(Action.RESOLVE), R.LEAD: _all(Action.RESOLVE)},
    Action.VERIFY: {R.REPORTER: _all(Action.VERIFY), R.GRID_WORKER: _all(Action.VERIFY),
                    R.DESK: _all(Action.VERIFY)},
    Action.REASSIGN: {R.DESK: _all(Action.REASSIGN), R.LEAD: _all(Action.REASSIGN)},
    Action.EXTEND: {R.HOLDER: _only(S.ACCEPTED, S.REOPENED), R.LEAD: _all(Action.EXTEND)},
    Action.APPROVE_EXTENSION: {R.DESK: _all(Action.APPROVE_EXTENSION)},
    Action.SUSPEND: {R.DESK: _all(Action.SUSPEND), R.LEAD: _all(Action.SUSPEND)},
    Action.RESUME: {R.DESK: _all(Action.RESUME), R.LEAD: _all(Action.RESUME)},
    Action.RATE: {R.REPORTER: _all(Action.RATE), R.GRID_WORKER: _all(Action.RATE),
                  R.ASSESSOR: _all(Action.RATE), R.DESK: _all(Action.RATE)},
    Action.CANCEL: {R.DESK: _all(Action.CANCEL), R.REPORTER: REPORTER_CANCEL_SOURCES},
    Action.DUPLICATE: {R.DESK: _all(Action.DUPLICATE)},
    Action.ASSIGN: {R.DESK: _all(Action.ASSIGN), R.LEAD: _all(Action.ASSIGN)},
    Action.SUPERVISE: {R.DESK: _all(Action.SUPERVISE)},
    Action.RETURN: {R.DESK: _all(Action.RETURN), R.LEAD: _all(Action.RETURN)},
    Action.REOPEN: {R.DESK: _all(Action.REOPEN)},
})


#: The reporter of a case reported by a citizen from outside (Open311, the public page).
CITIZEN = "open311"


class Rater(StrEnum):
    """Who rates a closed case (党群评议): each kind once."""

    CITIZEN = "citizen"
    GRID_WORKER = "grid_worker"
    ASSESSOR = "assessor"
    DESK = "desk"


def rater_kind(actor: Principal, case: Parties) -> Rater:
    """In whose name ``actor`` rates: the citizen who reported, the grid's worker (or the
    worker who reported), an assessor, or the desk."""
    if actor.username == CITIZEN and case.reporter == CITIZEN:
        return Rater.CITIZEN
    rel = relations(actor, case)
    if actor.role is Role.GRID_WORKER and rel & {R.GRID_WORKER, R.REPORTER}:
        return Rater.GRID_WORKER
    if R.ASSESSOR in rel:
        return Rater.ASSESSOR
    return Rater.DESK


def allowed_sources(action: Action, actor: Principal, case: Parties) -> frozenset[CaseState]:
    """States from which ``actor`` may do ``action`` to ``case``; raises Forbidden if none."""
    grants = GRANTS[action]
    sources: frozenset[CaseState] = frozenset()
    for relation in relations(actor, case):
        sources |= grants.get(relation, frozenset())
    if not sources:
        raise Forbidden(f"{actor.username} may not {action.value} this case",
                        code="scope_forbidden")
    return sources


def may_see(actor: Principal, case: Parties) -> bool:
    """Members and leads see their department's cases, grid workers their grid's and their
    own reports (and what they hold); the centre's roles and the screens see everything."""
    if actor.role in STREET_WIDE_ROLES:
        return True
    rel = relations(actor, case)
    return bool(rel & {R.MEMBER, R.HOLDER, R.REPORTER, R.GRID_WORKER})
