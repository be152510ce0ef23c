"""Duration strings, time-of-day windows and the traffic light."""

from __future__ import annotations

import pytest

from dispatch.rules import Light, escalation_level_at, format_duration, light_at, parse_duration
from dispatch.rules.hours import parse_window, window_contains, window_minutes


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("4h", 14400), ("30m", 1800), ("2d", 172800), ("1h30m", 5400), ("45s", 45), ("0m", 0)],
)
def test_parse_duration(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "4", "h", "30m4h", "1.5h", "4 h", "-1h", "4H"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="bad duration"):
        parse_duration(text)


def test_format_duration_round_trips() -> None:
    for text in ("4h", "30m", "2d", "1h30m", "1d2h3m4s"):
        assert format_duration(parse_duration(text)) == text
    assert format_duration(0) == "0s"


def test_window_across_midnight() -> None:
    night = parse_window("22:00-06:00")
    assert night == (1320, 360)
    assert window_contains(night, 22 * 60)
    assert window_contains(night, 23 * 60 + 59)
    assert window_contains(night, 0)
    assert window_contains(night, 5 * 60 + 59)
    assert not window_contains(night, 6 * 60)
    assert not window_contains(night, 21 * 60 + 59)
    assert len(window_minutes([night])) == 8 * 60


def test_window_within_a_day_and_to_midnight() -> None:
    assert window_contains(parse_window("08:00-12:00"), 8 * 60)
    assert not window_contains(parse_window("08:00-12:00"), 12 * 60)
    assert len(window_minutes([parse_window("00:00-24:00")])) == 24 * 60
    assert window_contains(parse_window("20:00-24:00"), 23 * 60 + 59)


@pytest.mark.parametrize("text", ["8:00-12:00", "08:00-08:00", "24:00-02:00", "10:60-11:00", "x"])
def test_window_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_window(text)


def test_light_at_boundaries() -> None:
    yellow, deadline = 1_000, 2_000
    assert light_at(999, yellow, deadline) is Light.GREEN
    assert light_at(1_000, yellow, deadline) is Light.YELLOW
    assert light_at(1_999, yellow, deadline) is Light.YELLOW
    assert light_at(2_000, yellow, deadline) is Light.RED
    assert light_at(10_000, yellow, deadline) is Light.RED
    assert light_at(2_000, deadline, deadline) is Light.RED
    assert str(Light.RED) == "red"


def test_escalation_level_at() -> None:
    times = [100, 200, 300]
    assert [escalation_level_at(t, times) for t in (99, 100, 250, 300, 999)] == [0, 1, 2, 3, 3]
    assert escalation_level_at(5, []) == 0
