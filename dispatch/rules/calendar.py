"""The working calendar and time-limit arithmetic (deadline, yellow light, escalations).

Times are UTC epoch milliseconds; work periods, weekends and holidays are local to
``tz``. Working time is counted by jumping over whole periods and days.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from dispatch.clock import MS_PER_S

from .model import Decision, LimitClock

DEFAULT_TZ = "Asia/Shanghai"
DEFAULT_PERIODS: tuple[tuple[time, time], ...] = ((time(9), time(12)), (time(13, 30), time(17, 30)))
SATURDAY, SUNDAY = 5, 6
DAYS_PER_WEEK = 7
DEFAULT_WEEKEND = frozenset({SATURDAY, SUNDAY})
#: Give up looking for working time after this many days (a calendar with none).
MAX_SEARCH_DAYS = 3660
_DAY_CACHE = 8192
_ONE_DAY = timedelta(days=1)

Span = tuple[int, int]


@dataclass(frozen=True)
class WorkCalendar:
    """Work periods of a working day, weekend weekdays, holidays and make-up days (调休)."""

    periods: tuple[tuple[time, time], ...] = DEFAULT_PERIODS
    weekend: frozenset[int] = DEFAULT_WEEKEND
    holidays: frozenset[date] = frozenset()
    makeup_days: frozenset[date] = frozenset()
    tz: str = DEFAULT_TZ

    def __post_init__(self) -> None:
        for name in ("weekend", "holidays", "makeup_days"):
            object.__setattr__(self, name, frozenset(getattr(self, name)))
        object.__setattr__(self, "periods", tuple(self.periods))
        ZoneInfo(self.tz)
        self._validate()

    def _validate(self) -> None:
        if not self.periods:
            raise ValueError("a calendar needs at least one work period")
        ends = [time.min] + [end for _, end in self.periods]
        pairs = zip(ends, self.periods, strict=False)
        if any(not prev <= start < end for prev, (start, end) in pairs):
            raise ValueError("work periods must be ordered, non-empty and not overlap")
        if not self.weekend <= frozenset(range(DAYS_PER_WEEK)):
            raise ValueError("weekend days are weekday numbers 0 (Monday) to 6 (Sunday)")
        if self.holidays & self.makeup_days:
            raise ValueError("a date cannot be both a holiday and a make-up working day")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    def is_working_day(self, day: date) -> bool:
        if day in self.makeup_days:
            return True
        return day.weekday() not in self.weekend and day not in self.holidays


def local_date(ms: int, cal: WorkCalendar) -> date:
    return datetime.fromtimestamp(ms / MS_PER_S, cal.zone).date()


def _epoch_ms(day: date, moment: time, zone: ZoneInfo) -> int:
    return round(datetime.combine(day, moment, tzinfo=zone).timestamp() * MS_PER_S)


@lru_cache(maxsize=_DAY_CACHE)
def day_spans(cal: WorkCalendar, day: date) -> tuple[Span, ...]:
    """Work periods of a local day as UTC ms spans (none on a day off)."""
    if not cal.is_working_day(day):
        return ()
    zone = cal.zone
    return tuple((_epoch_ms(day, s, zone), _epoch_ms(day, e, zone)) for s, e in cal.periods)


def _days(first: date, step: timedelta) -> Iterable[date]:
    day = first
    for _ in range(MAX_SEARCH_DAYS):
        yield day
        day += step
    raise ValueError(f"no working time within {MAX_SEARCH_DAYS} days")


def _forward_ms(start: int, amount: int, cal: WorkCalendar) -> int:
    remaining = amount
    for day in _days(local_date(start, cal), _ONE_DAY):
        for first, end in day_spans(cal, day):
            begin = max(first, start)
            if begin < end:
                if remaining <= end - begin:
                    return begin + remaining
                remaining -= end - begin
    raise AssertionError("unreachable")  # pragma: no cover


def _backward_ms(end_ms: int, amount: int, cal: WorkCalendar) -> int:
    remaining = amount
    for day in _days(local_date(end_ms, cal), -_ONE_DAY):
        for begin, period_end in reversed(day_spans(cal, day)):
            stop = min(period_end, end_ms)
            if begin < stop:
                if remaining <= stop - begin:
                    return stop - remaining
                remaining -= stop - begin
    raise AssertionError("unreachable")  # pragma: no cover


def add_working_ms(start_ms: int, amount_ms: int, cal: WorkCalendar) -> int:
    """The instant after ``amount_ms`` of working time from ``start_ms`` (before, if negative)."""
    if amount_ms == 0:
        return start_ms
    if amount_ms < 0:
        return _backward_ms(start_ms, -amount_ms, cal)
    return _forward_ms(start_ms, amount_ms, cal)


def working_ms_between(a_ms: int, b_ms: int, cal: WorkCalendar) -> int:
    """Working milliseconds from ``a_ms`` to ``b_ms`` (negative if ``b_ms`` is earlier)."""
    if b_ms < a_ms:
        return -working_ms_between(b_ms, a_ms, cal)
    total, day, last = 0, local_date(a_ms, cal), local_date(b_ms, cal)
    while day <= last:
        for begin, end in day_spans(cal, day):
            total += max(0, min(end, b_ms) - max(begin, a_ms))
        day += _ONE_DAY
    return total


def add_working(start_ms: int, seconds: int, cal: WorkCalendar) -> int:
    """The deadline (UTC ms) after ``seconds`` of working time from ``start_ms``."""
    return add_working_ms(start_ms, seconds * MS_PER_S, cal)


def working_seconds_between(a_ms: int, b_ms: int, cal: WorkCalendar) -> int:
    """Whole working seconds between two instants (negative if ``b_ms`` is earlier)."""
    ms = working_ms_between(a_ms, b_ms, cal)
    return ms // MS_PER_S if ms >= 0 else -(-ms // MS_PER_S)


def _add(start_ms: int, amount_ms: int, clock: LimitClock, cal: WorkCalendar) -> int:
    if clock is LimitClock.WORKING:
        return add_working_ms(start_ms, amount_ms, cal)
    return start_ms + amount_ms


def _elapsed(a_ms: int, b_ms: int, clock: LimitClock, cal: WorkCalendar) -> int:
    if clock is LimitClock.WORKING:
        return working_ms_between(a_ms, b_ms, cal)
    return b_ms - a_ms


def deadline_ms(start_ms: int, decision: Decision, cal: WorkCalendar) -> int:
    """When the limit of a decision runs out, in its clock."""
    return _add(start_ms, decision.limit_s * MS_PER_S, decision.clock, cal)


def yellow_at_ms(start_ms: int, deadline_ms: int, decision: Decision, cal: WorkCalendar) -> int:
    """When the light turns yellow: a share of the limit, or a lead before the deadline."""
    clock, end = decision.clock, deadline_ms
    if decision.yellow_lead_s is not None:
        at = _add(end, -decision.yellow_lead_s * MS_PER_S, clock, cal)
        return min(max(start_ms, at), end)
    if decision.yellow_share is not None:
        total = _elapsed(start_ms, end, clock, cal)
        return _add(start_ms, round(total * decision.yellow_share), clock, cal)
    return end


def escalation_times(deadline_ms: int, decision: Decision, cal: WorkCalendar) -> list[int]:
    """When each escalation level is reached, counted past the deadline in the decision's clock."""
    clock = decision.clock
    return [_add(deadline_ms, e.after_s * MS_PER_S, clock, cal) for e in decision.escalation]
