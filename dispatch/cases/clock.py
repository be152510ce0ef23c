"""A case's time limit: when it runs out, turns yellow and escalates, and how that moves.

The limit is kept as the decision that set it (start, limit, clock, yellow rule,
escalation levels), so an approved extension (延期) or a resume after a pause (挂账)
recomputes every instant the same way the report did.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from dispatch.clock import S_PER_H
from dispatch.rules import (
    Decision,
    Escalation,
    LimitClock,
    Notify,
    Tier,
    WorkCalendar,
    deadline_ms,
    escalation_level_at,
    escalation_times,
    light_at,
    yellow_at_ms,
)
from dispatch.rules.calendar import add_working_ms, working_ms_between


@dataclass(frozen=True)
class Times:
    """The absolute instants (UTC ms) of a case's clock."""

    deadline: int
    yellow_at: int
    escalations: tuple[int, ...]

    def light(self, now_ms: int) -> str:
        return light_at(now_ms, self.yellow_at, self.deadline).value

    def level(self, now_ms: int) -> int:
        return escalation_level_at(now_ms, self.escalations)


@dataclass(frozen=True)
class CaseClock:
    start_ms: int
    limit_s: int
    clock: LimitClock
    yellow_share: float | None
    yellow_lead_s: int | None
    esc_after_s: tuple[int, ...]
    esc_notify: tuple[str, ...]

    @classmethod
    def of(cls, start_ms: int, decision: Decision) -> CaseClock:
        return cls(start_ms, decision.limit_s, decision.clock, decision.yellow_share,
                   decision.yellow_lead_s, tuple(e.after_s for e in decision.escalation),
                   tuple(e.notify.value for e in decision.escalation))

    def decision(self) -> Decision:
        levels = tuple(Escalation(after, Notify(notify), "", "")
                       for after, notify in zip(self.esc_after_s, self.esc_notify, strict=True))
        return Decision(None, Tier.COMPLEX, self.limit_s, self.clock, self.yellow_share,
                        self.yellow_lead_s, levels, "", "")

    def times(self, cal: WorkCalendar) -> Times:
        d = self.decision()
        deadline = deadline_ms(self.start_ms, d, cal)
        yellow = yellow_at_ms(self.start_ms, deadline, d, cal)
        return Times(deadline, yellow, tuple(escalation_times(deadline, d, cal)))

    def extended(self, hours: int) -> CaseClock:
        """The clock with ``hours`` more (counted in its own clock: working hours or not)."""
        return replace(self, limit_s=self.limit_s + hours * S_PER_H)

    def paused(self, from_ms: int, to_ms: int, cal: WorkCalendar) -> CaseClock:
        """The clock after a pause: its start moves on by the time the pause took."""
        if self.clock is LimitClock.WORKING:
            pause = working_ms_between(from_ms, to_ms, cal)
            return replace(self, start_ms=add_working_ms(self.start_ms, pause, cal))
        return replace(self, start_ms=self.start_ms + (to_ms - from_ms))


def csv_ints(values: Sequence[int]) -> str:
    return ",".join(str(v) for v in values)


def parse_csv_ints(raw: str | None) -> tuple[int, ...]:
    return tuple(int(v) for v in (raw or "").split(",") if v)


def parse_csv(raw: str | None) -> tuple[str, ...]:
    return tuple(v for v in (raw or "").split(",") if v)
