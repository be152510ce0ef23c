"""The alert model, pure: kinds, severities, owners, scopes, grouping and the state machine.

An alert is one situation the command centre (or a station, or a department) must see
and acknowledge: a worker out of their grid, a phone silent on patrol, a case past its
limit, an SOS. Raises of one kind and owner scope close together in time (a burst) are
one alert with a ``count`` and its ``members`` (workers or cases); a kind that is about
one subject (an SOS, an escalation, a rework) keeps one alert per subject and counts
its repeats. An alert is ``open`` until someone acknowledges it (``acked``) and
``cleared`` when every member's cause has ended or someone resolved it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from types import MappingProxyType

GROUP_SEPARATOR = "|"
NO_VALUE = ""


class AlertKind(StrEnum):
    OUT_OF_GRID = "out_of_grid"  # 离开责任网格
    SIGNAL_LOST = "signal_lost"  # 信号丢失 (on patrol)
    OFFLINE_ON_PATROL = "offline_on_patrol"  # 巡查中离线 (silent for long on patrol)
    PATROL_MISSED = "patrol_missed"  # 漏巡
    CASE_NEAR_LIMIT = "case_near_limit"  # 临期
    CASE_OVERDUE = "case_overdue"  # 超期
    CASE_ESCALATED = "case_escalated"  # 督办升级, one level after another
    SOS = "sos"  # 紧急求助
    REWORK_LIMIT = "rework_limit"  # 返工超限
    CHECKIN_LATE = "checkin_late"  # 吹哨未按时报到: a summoned department not on site in time
    PART_NEAR_LIMIT = "part_near_limit"  # 协办临期: an assisting part near its own limit
    PART_OVERDUE = "part_overdue"  # 协办超期: an assisting part past its own limit


class Severity(IntEnum):
    """Ordered: a group takes the highest severity of its raises."""

    INFO = 1
    WARNING = 2
    MAJOR = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def of(cls, label: str) -> Severity:
        return cls[label.upper()]


class Owner(StrEnum):
    """Who must act on an alert: the worker's station, the case's department, the centre."""

    STATION = "station"
    DEPARTMENT = "department"
    CENTRE = "centre"


class AlertState(StrEnum):
    OPEN = "open"
    ACKED = "acked"
    CLEARED = "cleared"


class AlertAction(StrEnum):
    ACK = "ack"  # 确认
    RESOLVE = "resolve"  # 处理完毕: cleared by a person, with a note


class Grouping(StrEnum):
    BURST = "burst"  # one alert per kind, owner scope (and bucket) while raises keep coming
    SUBJECT = "subject"  # one alert per kind and subject; repeats are counted


@dataclass(frozen=True)
class KindPolicy:
    severity: Severity
    owner: Owner
    grouping: Grouping
    subject: str  # "worker" or "case"


WORKER, CASE = "worker", "case"
_P = KindPolicy
POLICIES: Mapping[AlertKind, KindPolicy] = MappingProxyType({
    AlertKind.OUT_OF_GRID: _P(Severity.WARNING, Owner.STATION, Grouping.BURST, WORKER),
    AlertKind.SIGNAL_LOST: _P(Severity.WARNING, Owner.STATION, Grouping.BURST, WORKER),
    AlertKind.OFFLINE_ON_PATROL: _P(Severity.MAJOR, Owner.STATION, Grouping.BURST, WORKER),
    AlertKind.PATROL_MISSED: _P(Severity.WARNING, Owner.STATION, Grouping.BURST, WORKER),
    AlertKind.CASE_NEAR_LIMIT: _P(Severity.INFO, Owner.DEPARTMENT, Grouping.BURST, CASE),
    AlertKind.CASE_OVERDUE: _P(Severity.MAJOR, Owner.DEPARTMENT, Grouping.BURST, CASE),
    AlertKind.CASE_ESCALATED: _P(Severity.MAJOR, Owner.DEPARTMENT, Grouping.SUBJECT, CASE),
    AlertKind.SOS: _P(Severity.CRITICAL, Owner.CENTRE, Grouping.SUBJECT, WORKER),
    AlertKind.REWORK_LIMIT: _P(Severity.MAJOR, Owner.CENTRE, Grouping.SUBJECT, CASE),
    AlertKind.CHECKIN_LATE: _P(Severity.MAJOR, Owner.STATION, Grouping.SUBJECT, CASE),
    # about one part of a case: the member is "<case>|<department>" (see part_member)
    AlertKind.PART_NEAR_LIMIT: _P(Severity.INFO, Owner.DEPARTMENT, Grouping.BURST, CASE),
    AlertKind.PART_OVERDUE: _P(Severity.MAJOR, Owner.DEPARTMENT, Grouping.BURST, CASE),
})

#: The states each person's action may start from.
ACTION_SOURCES: Mapping[AlertAction, frozenset[AlertState]] = MappingProxyType({
    AlertAction.ACK: frozenset({AlertState.OPEN}),
    AlertAction.RESOLVE: frozenset({AlertState.OPEN, AlertState.ACKED}),
})
#: Where each action leads.
ACTION_TARGETS: Mapping[AlertAction, AlertState] = MappingProxyType({
    AlertAction.ACK: AlertState.ACKED,
    AlertAction.RESOLVE: AlertState.CLEARED,
})


@dataclass(frozen=True)
class Scope:
    """Where an alert belongs: the street, and the station and department when known."""

    street: str = NO_VALUE
    station: str | None = None
    department: str | None = None

    def public(self) -> dict[str, str]:
        out = {"street": self.street}
        if self.station:
            out["station"] = self.station
        if self.department:
            out["department"] = self.department
        return out


@dataclass(frozen=True)
class Subject:
    """What an alert is about: one worker or one case."""

    worker: str | None = None
    case: str | None = None

    def __post_init__(self) -> None:
        if (self.worker is None) == (self.case is None):
            raise ValueError("a subject is a worker or a case")

    @property
    def type(self) -> str:
        return WORKER if self.worker is not None else CASE

    @property
    def id(self) -> str:
        return self.worker if self.worker is not None else str(self.case)


def part_member(case_id: str, department: str) -> str:
    """The member of a part's alert: the case and the assisting department (two parts of
    one case are two causes)."""
    return GROUP_SEPARATOR.join((case_id, department))


def owner_value(owner: Owner, scope: Scope) -> str:
    """The part of the scope that names the owner (the centre's is the street)."""
    if owner is Owner.STATION:
        return scope.station or NO_VALUE
    if owner is Owner.DEPARTMENT:
        return scope.department or NO_VALUE
    return scope.street


def group_key(kind: AlertKind, owner: Owner, scope: Scope, subject: Subject,
              bucket: str = NO_VALUE) -> str:
    """Raises with the same key may be one alert: the kind and the owner's scope (plus a
    bucket, e.g. the patrol window) for a burst, the kind and the subject otherwise."""
    if POLICIES[kind].grouping is Grouping.SUBJECT:
        return GROUP_SEPARATOR.join((kind.value, subject.type, subject.id))
    return GROUP_SEPARATOR.join((kind.value, owner.value, owner_value(owner, scope), bucket))


def escalation_owner(notify: str | None) -> tuple[Owner, Severity]:
    """Who an escalation level goes to (the rules' ``notify``), and how severe it is."""
    if notify == "lead":
        return Owner.DEPARTMENT, Severity.MAJOR
    if notify in ("leadership", "district"):
        return Owner.CENTRE, Severity.CRITICAL
    return Owner.CENTRE, Severity.MAJOR


def check_subject(kind: AlertKind, subject: Subject) -> None:
    """A worker kind is about a worker, a case kind about a case."""
    expected = POLICIES[kind].subject
    if subject.type != expected:
        raise ValueError(f"an alert of kind {kind.value} is about a {expected}")
