"""Local calendar days of UTC-millisecond timestamps, cached for the hot path."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dispatch.clock import MS_PER_S

ONE_DAY = timedelta(days=1)
#: Days remembered: today, yesterday and a few more for late uploads.
CACHED_DAYS = 8


def day_bounds(day: date, zone: ZoneInfo) -> tuple[int, int]:
    """[start, end) of a local date in UTC milliseconds (23 or 25 hours across DST)."""
    start = datetime.combine(day, time(0), tzinfo=zone).timestamp()
    end = datetime.combine(day + ONE_DAY, time(0), tzinfo=zone).timestamp()
    return round(start * MS_PER_S), round(end * MS_PER_S)


class LocalDays:
    """``of(ts_ms)`` -> ISO local date, one zoneinfo conversion per day instead of per call."""

    def __init__(self, tz: str) -> None:
        self.zone = ZoneInfo(tz)
        self._spans: list[tuple[int, int, str]] = []

    def date_of(self, ts_ms: int) -> date:
        return datetime.fromtimestamp(ts_ms / MS_PER_S, self.zone).date()

    def of(self, ts_ms: int) -> str:
        for start, end, label in self._spans:
            if start <= ts_ms < end:
                return label
        day = self.date_of(ts_ms)
        start, end = day_bounds(day, self.zone)
        self._spans = [(start, end, day.isoformat()), *self._spans[: CACHED_DAYS - 1]]
        return day.isoformat()

    def bounds(self, day: date) -> tuple[int, int]:
        return day_bounds(day, self.zone)

    def between(self, start_ms: int, end_ms: int) -> list[str]:
        """Every local date touched by [start_ms, end_ms], oldest first."""
        first, last = self.date_of(start_ms), self.date_of(max(start_ms, end_ms))
        days = []
        while first <= last:
            days.append(first.isoformat())
            first += ONE_DAY
        return days
