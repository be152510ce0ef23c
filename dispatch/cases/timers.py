"""Timers of a case: members of one sorted set scored by when they are due.

A member is ``<case>|<kind>|<level>|<gen>``. The generation changes whenever the
case's clock is rescheduled or stopped, so a timer left over from an older clock is
recognised and dropped when it comes due.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from dispatch.cases.clock import Times

SEPARATOR = "|"
NO_LEVEL = 0
FIRST_LEVEL = 1


class TimerKind(StrEnum):
    YELLOW = "yellow"  # 临期提醒
    RED = "red"  # overdue
    ESCALATE = "esc"  # 过期督办, one per level


@dataclass(frozen=True)
class Timer:
    case: str
    kind: TimerKind
    level: int
    gen: int

    @property
    def member(self) -> str:
        return SEPARATOR.join((self.case, self.kind.value, str(self.level), str(self.gen)))

    @classmethod
    def parse(cls, member: str) -> Timer:
        case, kind, level, gen = member.split(SEPARATOR)
        return cls(case, TimerKind(kind), int(level), int(gen))


def timers_of(case_id: str, gen: int, times: Times) -> list[tuple[Timer, int]]:
    """Every timer of a clock with its due instant (no yellow when it is the deadline)."""
    found: list[tuple[Timer, int]] = []
    if times.yellow_at < times.deadline:
        found.append((Timer(case_id, TimerKind.YELLOW, NO_LEVEL, gen), times.yellow_at))
    found.append((Timer(case_id, TimerKind.RED, NO_LEVEL, gen), times.deadline))
    for level, due in enumerate(times.escalations, start=FIRST_LEVEL):
        found.append((Timer(case_id, TimerKind.ESCALATE, level, gen), due))
    return found


def pending(case_id: str, gen: int, times: Times, now_ms: int) -> list[tuple[Timer, int]]:
    """The timers still ahead at ``now_ms``: what is already due is not fired on schedule,
    the light and level are set to their value at ``now_ms`` instead."""
    return [(t, due) for t, due in timers_of(case_id, gen, times) if due > now_ms]


def members(case_id: str, gen: int, levels: int) -> list[str]:
    """Every member a clock of ``levels`` escalation levels may have left in the set."""
    kinds = [Timer(case_id, TimerKind.YELLOW, NO_LEVEL, gen),
             Timer(case_id, TimerKind.RED, NO_LEVEL, gen)]
    kinds += [Timer(case_id, TimerKind.ESCALATE, n, gen)
              for n in range(FIRST_LEVEL, levels + 1)]
    return [t.member for t in kinds]
