"""Rules, rule sets and routing decisions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from .match import Match

#: Yellow light at this share of the limit when neither the rule nor the file says.
DEFAULT_YELLOW_SHARE = 0.75


class Tier(StrEnum):
    """Who handles a case: the grid worker, a department, or the command centre."""

    SIMPLE = "simple"
    COMPLEX = "complex"
    HARD = "hard"


class LimitClock(StrEnum):
    """How a time limit is counted: calendar time, or working time of the calendar."""

    CLOCK = "clock"
    WORKING = "working"


class Notify(StrEnum):
    """Who an escalation level notifies."""

    LEAD = "lead"
    DISPATCHER = "dispatcher"
    LEADERSHIP = "leadership"
    #: The third tier of a multi-street deployment: from the street's centre to the
    #: district's (the street's desk is told; the district centre sees it).
    DISTRICT = "district"


@dataclass(frozen=True)
class Escalation:
    """An escalation level (过期督办), ``after_s`` seconds past the deadline."""

    after_s: int
    notify: Notify
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class Outcome:
    """The result fields a rule states; ``None`` means take the default."""

    department: str | None = None
    tier: Tier | None = None
    limit_s: int | None = None
    clock: LimitClock | None = None
    yellow_share: float | None = None
    yellow_lead_s: int | None = None
    escalation: tuple[Escalation, ...] | None = None
    #: Assisting departments (协办), each given its own part of the case.
    assist: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Defaults:
    """File-level defaults (the ``[defaults]`` table)."""

    clock: LimitClock = LimitClock.CLOCK
    yellow_share: float | None = DEFAULT_YELLOW_SHARE
    yellow_lead_s: int | None = None
    escalation: tuple[Escalation, ...] = ()


@dataclass(frozen=True)
class Rule:
    """One ``[[rule]]`` of a rules file; ``order`` is its position, ``line`` its header."""

    id: str
    priority: int
    match: Match
    outcome: Outcome
    order: int
    line: int

    @property
    def specificity(self) -> int:
        return self.match.specificity

    @property
    def rank(self) -> tuple[int, int, int]:
        """Sort key: higher priority, then more specific, then earlier in the file."""
        return (-self.priority, -self.specificity, self.order)


@dataclass(frozen=True)
class Decision:
    """Where a case goes and how long it may take."""

    department: str | None
    tier: Tier
    limit_s: int
    clock: LimitClock
    yellow_share: float | None
    yellow_lead_s: int | None
    escalation: tuple[Escalation, ...]
    rule_id: str
    version: str
    #: Assisting departments (协办): each gets its own part of the case, on its clock.
    assist: tuple[str, ...] = ()


@dataclass(frozen=True)
class Candidate:
    """A rule applicable to one item, with its decision for that item."""

    match: Match
    decision: Decision


@dataclass(frozen=True)
class RuleSet:
    """A loaded rules file; ``index`` maps an item code to its candidates, best first."""

    version: str
    source: str
    rules: tuple[Rule, ...]
    defaults: Defaults
    index: Mapping[str, tuple[Candidate, ...]] = field(
        default_factory=lambda: MappingProxyType({}), compare=False, repr=False
    )
