"""Daily patrol windows (e.g. 08:00-12:00 and 14:00-18:00 local time).

Timestamps are UTC milliseconds; windows are wall-clock times in a zoneinfo zone.
A window whose end is not after its start runs past midnight into the next day
and belongs to the date it starts on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from typing import NamedTuple
from zoneinfo import ZoneInfo

from dispatch.clock import MS_PER_S

DEFAULT_TZ = "Asia/Shanghai"
WINDOW_SEPARATOR = ","
RANGE_SEPARATOR = "-"
NAME_SEPARATOR = "="
ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class PatrolWindow:
    """A named daily window [start, end) of local wall-clock time."""

    name: str
    start: time
    end: time

    @property
    def crosses_midnight(self) -> bool:
        """True when the window ends on the next day."""
        return self.end <= self.start


class WindowSpan(NamedTuple):
    """One window on one local date: (window, date, start_ms, end_ms)."""

    window: PatrolWindow
    date: date
    start_ms: int
    end_ms: int


class DayWindow(NamedTuple):
    """A window of a given day: (window, start_ms, end_ms)."""

    window: PatrolWindow
    start_ms: int
    end_ms: int


def _parse_time(text: str) -> time:
    try:
        return time.fromisoformat(text.strip())
    except ValueError as exc:
        raise ValueError(f"bad time {text!r}, expected HH:MM") from exc


def _parse_window(spec: str) -> PatrolWindow:
    name, sep, times = spec.partition(NAME_SEPARATOR)
    if not sep:
        name, times = "", spec
    start_text, sep, end_text = times.partition(RANGE_SEPARATOR)
    if not sep:
        raise ValueError(f"bad window {spec!r}, expected HH:MM-HH:MM")
    start, end = _parse_time(start_text), _parse_time(end_text)
    if start == end:
        raise ValueError(f"empty window {spec!r}")
    label = name.strip() or f"{start:%H:%M}-{end:%H:%M}"
    return PatrolWindow(label, start, end)


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def _check_disjoint(windows: list[PatrolWindow]) -> None:
    """Reject overlapping windows (compared on a two-day minute line)."""
    day = 24 * 60
    spans = []
    for w in windows:
        start, end = _minutes(w.start), _minutes(w.end)
        end += day if w.crosses_midnight else 0
        spans += [(start, end, w.name), (start + day, end + day, w.name)]
    spans.sort()
    for (_, end_a, name_a), (start_b, _, name_b) in pairwise(spans):
        if start_b < end_a and name_a != name_b:
            raise ValueError(f"windows {name_a} and {name_b} overlap")


def parse_windows(spec: str) -> tuple[PatrolWindow, ...]:
    """Parse ``"08:00-12:00,14:00-18:00"``; each item may be named: ``"am=08:00-12:00"``.

    Unnamed windows are named after their range, e.g. ``"08:00-12:00"``.
    """
    items = [s for s in spec.split(WINDOW_SEPARATOR) if s.strip()]
    if not items:
        raise ValueError("no patrol windows")
    windows = [_parse_window(item) for item in items]
    names = [w.name for w in windows]
    if len(set(names)) != len(names):
        raise ValueError("duplicate window name")
    _check_disjoint(windows)
    return tuple(sorted(windows, key=lambda w: w.start))


def _epoch_ms(day: date, at: time, zone: ZoneInfo) -> int:
    return round(datetime.combine(day, at, tzinfo=zone).timestamp() * MS_PER_S)


def windows_of_day(
    day: date, windows: Sequence[PatrolWindow], tz: str = DEFAULT_TZ
) -> list[DayWindow]:
    """The windows starting on a local date, as UTC-millisecond ranges, by start time."""
    zone = ZoneInfo(tz)
    out = []
    for w in windows:
        end_day = day + ONE_DAY if w.crosses_midnight else day
        out.append(DayWindow(w, _epoch_ms(day, w.start, zone), _epoch_ms(end_day, w.end, zone)))
    return sorted(out, key=lambda d: d.start_ms)


def window_for(
    ts_ms: int, windows: Sequence[PatrolWindow], tz: str = DEFAULT_TZ
) -> WindowSpan | None:
    """The window (and its local date) that a UTC-millisecond timestamp falls in, if any."""
    local_day = datetime.fromtimestamp(ts_ms / MS_PER_S, ZoneInfo(tz)).date()
    for day in (local_day - ONE_DAY, local_day):
        for w, start_ms, end_ms in windows_of_day(day, windows, tz):
            if start_ms <= ts_ms < end_ms:
                return WindowSpan(w, day, start_ms, end_ms)
    return None
