"""Working-time arithmetic: lunch, weekends, holidays, make-up days, off-hours starts."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dispatch.rules import WorkCalendar, add_working, working_seconds_between
from dispatch.rules.calendar import add_working_ms

TZ = ZoneInfo("Asia/Shanghai")
HOUR = 3600
MINUTE = 60
#: National Day 2024: 1-7 October off, Sunday 29 September and Saturday 12 October worked.
NATIONAL_DAY = frozenset(date(2024, 10, d) for d in range(1, 8))
MAKEUP = frozenset({date(2024, 9, 29), date(2024, 10, 12)})
CAL = WorkCalendar(holidays=NATIONAL_DAY, makeup_days=MAKEUP)


def ms(day: date, hour: int = 0, minute: int = 0) -> int:
    """UTC epoch ms of a Shanghai local time."""
    return round(datetime.combine(day, time(hour, minute), tzinfo=TZ).timestamp() * 1000)


MON = date(2024, 9, 23)
FRI = date(2024, 9, 20)


def test_default_calendar() -> None:
    assert CAL.tz == "Asia/Shanghai"
    assert CAL.periods == ((time(9), time(12)), (time(13, 30), time(17, 30)))
    assert CAL.is_working_day(MON)
    assert not CAL.is_working_day(date(2024, 9, 21))
    assert CAL.is_working_day(date(2024, 9, 29))
    assert not CAL.is_working_day(date(2024, 10, 2))


def test_across_lunch() -> None:
    assert add_working(ms(MON, 11), 2 * HOUR, CAL) == ms(MON, 14, 30)
    assert working_seconds_between(ms(MON, 11), ms(MON, 14, 30), CAL) == 2 * HOUR


def test_ending_exactly_at_a_period_end() -> None:
    assert add_working(ms(MON, 11), HOUR, CAL) == ms(MON, 12)
    assert add_working(ms(MON, 9), 7 * HOUR, CAL) == ms(MON, 17, 30)


def test_across_a_weekend() -> None:
    assert add_working(ms(FRI, 16, 30), 2 * HOUR, CAL) == ms(MON, 10)
    assert working_seconds_between(ms(FRI, 16, 30), ms(MON, 10), CAL) == 2 * HOUR


def test_across_a_holiday() -> None:
    start = ms(date(2024, 9, 30), 17)
    assert add_working(start, HOUR, CAL) == ms(date(2024, 10, 8), 9, 30)


def test_make_up_saturday_and_sunday_are_worked() -> None:
    assert add_working(ms(date(2024, 10, 11), 17), HOUR, CAL) == ms(date(2024, 10, 12), 9, 30)
    assert add_working(ms(date(2024, 9, 27), 17), HOUR, CAL) == ms(date(2024, 9, 29), 9, 30)
    plain = WorkCalendar()
    assert add_working(ms(date(2024, 10, 11), 17), HOUR, plain) == ms(date(2024, 10, 14), 9, 30)


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (ms(MON, 7), ms(MON, 10)),
        (ms(MON, 12, 45), ms(MON, 14, 30)),
        (ms(MON, 20), ms(MON + timedelta(days=1), 10)),
        (ms(date(2024, 9, 21), 10), ms(MON, 10)),
    ],
)
def test_starting_outside_work_hours(start: int, expected: int) -> None:
    assert add_working(start, HOUR, CAL) == expected


def test_a_working_week() -> None:
    assert add_working(ms(MON, 9), 35 * HOUR, CAL) == ms(date(2024, 9, 27), 17, 30)
    week = ms(MON), ms(MON + timedelta(days=7))
    assert working_seconds_between(*week, WorkCalendar()) == 35 * HOUR
    assert working_seconds_between(*week, CAL) == 42 * HOUR  # Sunday 29 September is worked


def test_zero_negative_and_reversed() -> None:
    assert add_working(ms(MON, 20), 0, CAL) == ms(MON, 20)
    assert add_working(ms(MON, 14), -HOUR, CAL) == ms(MON, 11, 30)
    assert add_working(ms(MON, 9, 30), -HOUR, CAL) == ms(FRI, 17)
    assert working_seconds_between(ms(MON, 14, 30), ms(MON, 11), CAL) == -2 * HOUR
    assert working_seconds_between(ms(MON, 12), ms(MON, 13, 30), CAL) == 0


def test_custom_periods_and_weekend() -> None:
    cal = WorkCalendar(periods=((time(8), time(20)),), weekend=frozenset({6}))
    saturday = date(2024, 9, 21)
    assert add_working(ms(FRI, 19), 2 * HOUR, cal) == ms(saturday, 9)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"periods": ((time(9), time(12)), (time(11), time(13)))},
        {"periods": ((time(12), time(9)),)},
        {"periods": ()},
        {"weekend": frozenset({7})},
        {"holidays": frozenset({MON}), "makeup_days": frozenset({MON})},
    ],
)
def test_calendar_validation(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        WorkCalendar(**kwargs)  # type: ignore[arg-type]


def test_a_calendar_without_working_days_fails_instead_of_looping() -> None:
    cal = WorkCalendar(weekend=frozenset(range(7)))
    with pytest.raises(ValueError, match="no working time"):
        add_working_ms(ms(MON), 1000, cal)


START_MIN = ms(date(2024, 1, 1))
START_MAX = ms(date(2026, 1, 1))
MAX_SECONDS = 300 * HOUR


@settings(max_examples=200, deadline=None)
@given(
    start=st.integers(min_value=START_MIN, max_value=START_MAX),
    seconds=st.integers(min_value=0, max_value=MAX_SECONDS),
)
def test_working_seconds_between_inverts_add_working(start: int, seconds: int) -> None:
    end = add_working(start, seconds, CAL)
    assert end >= start
    assert working_seconds_between(start, end, CAL) == seconds
