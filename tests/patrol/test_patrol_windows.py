"""Patrol windows in Asia/Shanghai (UTC+8): 08:00 local is 00:00 UTC."""

from datetime import UTC, date, datetime, time

import pytest

from dispatch.patrol.windows import PatrolWindow, parse_windows, window_for, windows_of_day

SPEC = "08:00-12:00,14:00-18:00"


def _utc_ms(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    return int(datetime(year, month, day, hour, minute, tzinfo=UTC).timestamp() * 1000)


def test_parse() -> None:
    morning, afternoon = parse_windows(SPEC)
    assert morning == PatrolWindow("08:00-12:00", time(8), time(12))
    assert afternoon.start == time(14) and afternoon.end == time(18)
    named = parse_windows("pm=14:00-18:00, am=08:00-12:00")
    assert [w.name for w in named] == ["am", "pm"]


@pytest.mark.parametrize(
    "spec",
    [
        "",
        "08:00",
        "8h-12h",
        "08:00-08:00",
        "08:00-12:00,11:00-13:00",
        "a=08:00-09:00,a=10:00-11:00",
        "22:00-02:00,01:00-03:00",
    ],
)
def test_parse_rejects(spec: str) -> None:
    with pytest.raises(ValueError):
        parse_windows(spec)


def test_local_eight_is_utc_midnight() -> None:
    windows = parse_windows(SPEC)
    found = window_for(_utc_ms(2024, 3, 5, 0, 0), windows)
    assert found is not None
    window, day, start_ms, end_ms = found
    assert window.name == "08:00-12:00"
    assert day == date(2024, 3, 5)
    assert start_ms == _utc_ms(2024, 3, 5, 0, 0)
    assert end_ms == _utc_ms(2024, 3, 5, 4, 0)


def test_utc_previous_day_is_local_day() -> None:
    # 23:59 UTC on the 4th is 07:59 local on the 5th: before the morning window.
    windows = parse_windows(SPEC)
    assert window_for(_utc_ms(2024, 3, 4, 23, 59), windows) is None
    # 06:30 UTC on the 5th is 14:30 local on the 5th.
    found = window_for(_utc_ms(2024, 3, 5, 6, 30), windows)
    assert found is not None and found.window.name == "14:00-18:00"
    assert found.date == date(2024, 3, 5)


def test_end_is_exclusive() -> None:
    windows = parse_windows(SPEC)
    assert window_for(_utc_ms(2024, 3, 5, 4, 0) - 1, windows) is not None
    assert window_for(_utc_ms(2024, 3, 5, 4, 0), windows) is None


def test_windows_of_day() -> None:
    days = windows_of_day(date(2024, 3, 5), parse_windows(SPEC))
    assert [(d.window.name, d.start_ms, d.end_ms) for d in days] == [
        ("08:00-12:00", _utc_ms(2024, 3, 5, 0), _utc_ms(2024, 3, 5, 4)),
        ("14:00-18:00", _utc_ms(2024, 3, 5, 6), _utc_ms(2024, 3, 5, 10)),
    ]
    utc_days = windows_of_day(date(2024, 3, 5), parse_windows(SPEC), tz="UTC")
    assert utc_days[0].start_ms == _utc_ms(2024, 3, 5, 8)


def test_window_across_midnight_belongs_to_its_start_date() -> None:
    night = parse_windows("night=22:00-02:00")
    # 01:00 local on the 6th = 17:00 UTC on the 5th.
    found = window_for(_utc_ms(2024, 3, 5, 17, 0), night)
    assert found is not None
    assert found.date == date(2024, 3, 5)
    assert found.start_ms == _utc_ms(2024, 3, 5, 14, 0)
    assert found.end_ms == _utc_ms(2024, 3, 5, 18, 0)
