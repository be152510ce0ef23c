"""Scope: which cases, departments, grids, stations, workers, photos, reports and screens a
caller may see or act on. Every scope rule of HTTP and the sockets is here.

``authz.py`` decides which roles reach an endpoint at all (401, 403 by role); the entry
points and services then ask this module about the thing itself (403 by scope). Pure: a
principal and the parties of a thing in, a yes or no, a narrowed view or a filter out.

Scopes (docs/contract.md, "Who is calling"): a grid worker has their grid, a disposal member and a
department lead their department; the desk (dispatchers, admins) is the centre's
department; assessors and screens see the whole street, read-only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from dispatch.cases.actions import REPORTER_CANCEL_SOURCES, TRANSITIONS, Action
from dispatch.cases.states import CaseState
from dispatch.errors import Forbidden
from dispatch.identity.principal import Principal
from dispatch.identity.roles import DEPARTMENT_ROLES, PATROL_ROLES, Role
from dispatch.rules import CENTRE

S = CaseState
#: Roles that run the command centre's desk: members and leads of the ``centre`` department.
DESK_ROLES: frozenset[Role] = frozenset({Role.DISPATCHER, Role.ADMIN})
#: Roles that see every case of the street.
STREET_WIDE_ROLES: frozenset[Role] = frozenset(
    {Role.DISPATCHER, Role.ADMIN, Role.ASSESSOR, Role.SCREEN}
)
#: Roles that see every grid worker's position, track and patrols (the others: their own).
WORKER_WATCHERS: frozenset[Role] = frozenset(
    {Role.DISPATCHER, Role.ASSESSOR, Role.ADMIN, Role.SCREEN, Role.DEPT_LEAD}
)


# --- cases -------------------------------------------------------------------------------

class Relation(StrEnum):
    DESK = "desk"  # dispatcher or admin
    MEMBER = "member"  # of the case's department
    LEAD = "lead"  # of the case's department
    HOLDER = "holder"  # the case's assignee
    REPORTER = "reporter"
    GRID_WORKER = "grid_worker"  # the worker of the case's grid
    ASSESSOR = "assessor"
    ASSISTING = "assisting"  # of an assisting department (协办), or holding its part
    STATION = "station"  # the lead of the case's grid station (网格站站长)


@dataclass(frozen=True)
class Parties:
    """The people and places of a case that scope looks at."""

    department: str | None
    assignee: str | None
    reporter: str | None
    grid: str | None
    #: The grid's station.
    station: str | None = None
    #: The assisting departments (协办) and the members holding their parts.
    assisting: tuple[str, ...] = ()
    helpers: tuple[str, ...] = ()


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
    team = team_of(actor)
    if (team is not None and team in case.assisting) or actor.username in case.helpers:
        found.add(Relation.ASSISTING)
    if actor.in_station(case.station):
        found.add(Relation.STATION)
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
    Action.ASSIST: {R.DESK: _all(Action.ASSIST), R.LEAD: _all(Action.ASSIST)},
    Action.UNASSIST: {R.DESK: _all(Action.UNASSIST), R.LEAD: _all(Action.UNASSIST)},
    Action.WHISTLE: {R.DESK: _all(Action.WHISTLE), R.STATION: _all(Action.WHISTLE)},
})


def allowed_sources(action: Action, actor: Principal, case: Parties) -> frozenset[CaseState]:
    """States from which ``actor`` may do ``action`` to ``case``; Forbidden if none: no
    relation to the case grants the action (a state outside the result is a 409)."""
    grants = GRANTS[action]
    sources: frozenset[CaseState] = frozenset()
    for relation in relations(actor, case):
        sources |= grants.get(relation, frozenset())
    if not sources:
        raise Forbidden(f"{actor.username} may not {action.value} this case",
                        code="scope_forbidden")
    return sources


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


def may_see_case(actor: Principal, case: Parties) -> bool:
    """Members and leads see their department's cases, grid workers their grid's and their
    own reports (and what they hold); the centre's roles and the screens see everything."""
    if actor.role in STREET_WIDE_ROLES:
        return True
    return bool(relations(actor, case) & {R.MEMBER, R.HOLDER, R.REPORTER, R.GRID_WORKER,
                                          R.ASSISTING, R.STATION})


# --- parts of a case (协办) -------------------------------------------------------------

class PartRelation(StrEnum):
    MEMBER = "member"  # of the part's department
    LEAD = "lead"  # the part's department's lead
    HOLDER = "holder"  # the member holding the part
    CASE_LEAD = "case_lead"  # the lead department's holder or lead, or the desk


PR = PartRelation
#: For each part action (``dispatch.cases.parts.PartAction`` values), who may do it.
PART_GRANTS: Mapping[str, frozenset[PartRelation]] = MappingProxyType({
    "accept": frozenset({PR.MEMBER}),
    "progress": frozenset({PR.HOLDER, PR.LEAD}),
    "resolve": frozenset({PR.HOLDER, PR.LEAD}),
    "rework": frozenset({PR.CASE_LEAD}),
})


def part_relations(actor: Principal, case: Parties, department: str,
                   holder: str | None) -> frozenset[PartRelation]:
    found: set[PartRelation] = set()
    if actor.role in DEPARTMENT_ROLES and actor.scope == department:
        found.add(PR.MEMBER)
        if actor.role is Role.DEPT_LEAD:
            found.add(PR.LEAD)
    if holder is not None and holder == actor.username:
        found.add(PR.HOLDER)
    if relations(actor, case) & {R.DESK, R.LEAD, R.HOLDER}:
        found.add(PR.CASE_LEAD)
    return frozenset(found)


def check_part_action(action: str, actor: Principal, case: Parties, department: str,
                      holder: str | None) -> None:
    """Forbidden unless ``actor`` may do ``action`` to the part of ``department``."""
    if not PART_GRANTS[action] & part_relations(actor, case, department, holder):
        raise Forbidden(f"{actor.username} may not {action} the part of {department}",
                        code="scope_forbidden")


def check_listing_department(actor: Principal, asked: str | None) -> None:
    """Members and leads list their own department's cases only."""
    if actor.role in DEPARTMENT_ROLES and asked not in (None, actor.scope):
        raise Forbidden("you see only your department's cases", code="scope_forbidden",
                        field="department")


def check_reporter(actor: Principal, named: str | None) -> bool:
    """Whether a report names someone else as its reporter (only the desk may: a phone
    call); Forbidden for anyone else."""
    if named is None or named == actor.username:
        return False
    if actor.role not in DESK_ROLES:
        raise Forbidden("only the command centre reports for someone else",
                        code="scope_forbidden", field="reporter")
    return True


def check_reassign(actor: Principal, department: str) -> None:
    """A department lead reassigns within their department; the desk anywhere."""
    if actor.role not in DESK_ROLES and department != actor.scope:
        raise Forbidden("a department lead reassigns within the department only",
                        code="scope_forbidden", field="department")


def may_see_photo(actor: Principal, *, uploaded: bool, cases: Iterable[Parties]) -> bool:
    """A photo is seen by its uploader, and by anyone who may see a case it is on."""
    return uploaded or any(may_see_case(actor, case) for case in cases)


# --- grid workers: location, tracks, patrols ------------------------------------------------

def check_location_owner(actor: Principal, named: Any, field: str | None = "worker") -> None:
    """A worker sends only their own location (a message may name its worker)."""
    if named is not None and named != actor.username:
        raise Forbidden("a worker sends only their own location", code="not_your_location",
                        field=field)


def may_see_worker(actor: Principal, worker: str) -> bool:
    """A grid worker sees their own track and patrols; the centre, the screens and the
    department leads see every worker's."""
    return actor.role in WORKER_WATCHERS or actor.username == worker


def check_track(actor: Principal, worker: str) -> None:
    if not may_see_worker(actor, worker):
        raise Forbidden("a worker sees only their own track", code="not_your_track")


def check_patrol(actor: Principal, worker: str) -> None:
    if not may_see_worker(actor, worker):
        raise Forbidden("this patrol is another worker's", code="not_your_patrol")


def check_patrol_owner(actor: Principal, worker: str) -> None:
    """Only the worker ends their patrol."""
    if actor.username != worker:
        raise Forbidden("only the worker ends their patrol", code="not_your_patrol")


def patrols_listed_for(actor: Principal, asked: str | None) -> str | None:
    """Whose patrols a listing shows: a grid worker's own only (asking for another's is
    Forbidden); the others see the worker asked for, or everyone."""
    if actor.role not in PATROL_ROLES:
        return asked
    if asked is not None and not may_see_worker(actor, asked):
        raise Forbidden("a worker sees only their own patrols", code="not_your_patrol",
                        field="worker")
    return actor.username


# --- alerts ------------------------------------------------------------------------------

def alert_view(actor: Principal) -> ScreenFilter:
    """What ``actor`` sees of the alerts: a lead their department's (and the street's)."""
    if actor.role is Role.DEPT_LEAD:
        return ScreenFilter(department=actor.scope or "")
    return ScreenFilter()


def may_see_alert(actor: Principal, alert: Mapping[str, Any]) -> bool:
    if actor.role in STREET_WIDE_ROLES:
        return True
    return actor.role is Role.DEPT_LEAD and alert_view(actor).admits(dict(alert))


def may_act_on_alert(actor: Principal, alert: Mapping[str, Any]) -> bool:
    """The desk acts on every alert; a department's lead on the department's own."""
    if actor.role in DESK_ROLES:
        return True
    scope = alert.get("scope") or {}
    return (actor.role is Role.DEPT_LEAD and bool(actor.scope)
            and scope.get("department") == actor.scope)


# --- reports and screens -----------------------------------------------------------------

def report_view(actor: Principal, report: dict[str, Any]) -> dict[str, Any]:
    """A department lead sees the street's totals and their own department's row."""
    if actor.role is not Role.DEPT_LEAD:
        return report
    own = {k: v for k, v in report["departments"].items() if k == actor.scope}
    return {**report, "departments": own}


def check_report_department(actor: Principal, department: str | None) -> None:
    """The cases behind a figure: a department lead asks for their own department's."""
    if actor.role is Role.DEPT_LEAD and department != actor.scope:
        raise Forbidden("a department lead sees their own department's figures",
                        code="scope_forbidden", field="department")


@dataclass(frozen=True)
class ScreenFilter:
    """A screen may follow one station and/or one department. A station lead's screen is
    held to the station (``own_station``): a thing that names no station is not shown
    there either (a case without a grid, an alert of the whole street)."""

    station: str | None = None
    department: str | None = None
    own_station: bool = False

    def admits(self, event: dict[str, Any], *, placed: bool = True) -> bool:
        """Whether an event (or an item of one) concerns this screen: its ``station`` and
        ``department``, or those of its ``scope`` (an alert). ``placed``: it is a thing
        (a case, a worker, an alert) rather than an envelope of items."""
        scope = event.get("scope")
        where = scope if isinstance(scope, dict) else event
        station = where.get("station")
        department = where.get("department")
        if self.own_station and placed and station != self.station:
            return False
        if self.station and station and station != self.station:
            return False
        return not (self.department and department and department != self.department)

    @property
    def active(self) -> bool:
        return bool(self.station or self.department or self.own_station)


def screen_scope(actor: Principal, station: str | None, department: str | None) -> ScreenFilter:
    """What a screen follows: what it asked for, except that a department lead watches
    their own department, and a station lead their own station only."""
    if actor.role is Role.DEPT_LEAD:
        department = actor.scope
    if actor.role is Role.STATION_LEAD:
        return ScreenFilter(station=actor.scope or "", department=department or None,
                            own_station=True)
    return ScreenFilter(station=station or None, department=department or None)
