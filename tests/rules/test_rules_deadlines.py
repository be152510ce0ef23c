"""Deadlines, yellow thresholds and escalation times in both clocks."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from dispatch.rules import (
    Decision,
    Escalation,
    Light,
    LimitClock,
    Notify,
    Tier,
    WorkCalendar,
    deadline_ms,
    escalation_times,
    light_at,
    yellow_at_ms,
)

TZ = ZoneInfo("Asia/Shanghai")
CAL = WorkCalendar()
MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS
MON = date(2024, 9, 23)
FRI = date(2024, 9, 20)


def ms(day: date, hour: int = 0, minute: int = 0) -> int:
    return round(datetime.combine(day, time(hour, minute), tzinfo=TZ).timestamp() * 1000)


def _decision(
    clock: LimitClock,
    limit_s: int,
    *,
    share: float | None = 0.75,
    lead_s: int | None = None,
    afters: tuple[int, ...] = (),
) -> Decision:
    levels = tuple(Escalation(a, Notify.LEAD, "督办", "Escalated") for a in afters)
    return Decision("cgj", Tier.COMPLEX, limit_s, clock, share, lead_s, levels, "r", "v")


def test_clock_hour_deadline_ignores_the_calendar() -> None:
    start = ms(FRI, 17)
    decision = _decision(LimitClock.CLOCK, 4 * 3600)
    assert deadline_ms(start, decision, CAL) == ms(FRI, 21)


def test_working_hour_deadline_follows_the_calendar() -> None:
    decision = _decision(LimitClock.WORKING, 4 * 3600)
    assert deadline_ms(ms(FRI, 17), decision, CAL) == ms(MON, 14)


def test_yellow_by_share_in_clock_hours() -> None:
    start = ms(MON, 10)
    decision = _decision(LimitClock.CLOCK, 4 * 3600, share=0.75)
    deadline = deadline_ms(start, decision, CAL)
    assert yellow_at_ms(start, deadline, decision, CAL) == ms(MON, 13)


def test_yellow_by_share_in_working_hours() -> None:
    start = ms(MON, 11)
    decision = _decision(LimitClock.WORKING, 4 * 3600, share=0.5)
    deadline = deadline_ms(start, decision, CAL)
    assert deadline == ms(MON, 16, 30)
    assert yellow_at_ms(start, deadline, decision, CAL) == ms(MON, 14, 30)


def test_yellow_by_lead_in_both_clocks() -> None:
    clock = _decision(LimitClock.CLOCK, 2 * 3600, share=None, lead_s=1800)
    assert yellow_at_ms(ms(MON, 12), ms(MON, 14), clock, CAL) == ms(MON, 13, 30)
    working = replace(clock, clock=LimitClock.WORKING, yellow_lead_s=3600)
    assert yellow_at_ms(ms(MON, 10), ms(MON, 14), working, CAL) == ms(MON, 11, 30)


def test_yellow_lead_longer_than_the_case_starts_yellow() -> None:
    decision = _decision(LimitClock.CLOCK, 3600, share=None, lead_s=7200)
    start = ms(MON, 10)
    assert yellow_at_ms(start, ms(MON, 11), decision, CAL) == start


def test_no_yellow_threshold_means_yellow_at_the_deadline() -> None:
    decision = _decision(LimitClock.CLOCK, 3600, share=None)
    assert yellow_at_ms(ms(MON, 10), ms(MON, 11), decision, CAL) == ms(MON, 11)


def test_escalation_times_in_both_clocks() -> None:
    afters = (1800, 3 * 3600)
    clock = _decision(LimitClock.CLOCK, 3600, afters=afters)
    assert escalation_times(ms(FRI, 17), clock, CAL) == [ms(FRI, 17, 30), ms(FRI, 20)]
    working = replace(clock, clock=LimitClock.WORKING)
    assert escalation_times(ms(FRI, 17), working, CAL) == [ms(FRI, 17, 30), ms(MON, 11, 30)]
    assert escalation_times(ms(FRI, 17), _decision(LimitClock.CLOCK, 60), CAL) == []


def test_light_over_the_life_of_a_case() -> None:
    start = ms(MON, 10)
    decision = _decision(LimitClock.CLOCK, 5 * 60, share=0.6)
    deadline = deadline_ms(start, decision, CAL)
    yellow = yellow_at_ms(start, deadline, decision, CAL)
    assert yellow == start + 3 * MINUTE_MS
    assert light_at(start, yellow, deadline) is Light.GREEN
    assert light_at(yellow - 1, yellow, deadline) is Light.GREEN
    assert light_at(yellow, yellow, deadline) is Light.YELLOW
    assert light_at(deadline - 1, yellow, deadline) is Light.YELLOW
    assert light_at(deadline, yellow, deadline) is Light.RED
