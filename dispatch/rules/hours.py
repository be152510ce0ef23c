"""Time-of-day windows such as ``"08:00-12:00"`` or ``"22:00-06:00"`` (crossing midnight)."""

from __future__ import annotations

import re
from collections.abc import Iterable

MINUTES_PER_HOUR = 60
MINUTES_PER_DAY = 24 * MINUTES_PER_HOUR

#: (start, end) in minutes after local midnight; start inclusive, end exclusive.
#: ``end <= start`` means the window crosses midnight.
Window = tuple[int, int]

_WINDOW = re.compile(r"(\d{2}):(\d{2})-(\d{2}):(\d{2})")


def _minute(hour: str, minute: str, *, is_end: bool) -> int:
    value = int(hour) * MINUTES_PER_HOUR + int(minute)
    limit = MINUTES_PER_DAY if is_end else MINUTES_PER_DAY - 1
    if int(minute) >= MINUTES_PER_HOUR or value > limit:
        raise ValueError(f"bad time {hour}:{minute}")
    return value


def parse_window(text: str) -> Window:
    """Parse ``HH:MM-HH:MM``; the end may be ``24:00``; an empty window is an error."""
    found = _WINDOW.fullmatch(text)
    if found is None:
        raise ValueError(f"bad hours {text!r}: use HH:MM-HH:MM, e.g. 22:00-06:00")
    start = _minute(found[1], found[2], is_end=False)
    end = _minute(found[3], found[4], is_end=True)
    if start == end % MINUTES_PER_DAY and end != MINUTES_PER_DAY:
        raise ValueError(f"empty hours window {text!r}")
    return (start, end)


def window_contains(window: Window, minute: int) -> bool:
    """Whether a minute of the day falls inside the window."""
    start, end = window
    if start < end:
        return start <= minute < end
    return minute >= start or minute < end


def window_minutes(windows: Iterable[Window]) -> frozenset[int]:
    """Every minute of the day covered by some window."""
    spans = tuple(windows)
    return frozenset(m for m in range(MINUTES_PER_DAY) if any(window_contains(w, m) for w in spans))
