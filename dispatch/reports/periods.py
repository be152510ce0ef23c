"""Report periods in the street's local time: a day, an ISO week, a month."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from dispatch.errors import BadRequest

MS = 1000
DAYS_PER_WEEK = 7
DECEMBER = 12


class Kind(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"


#: ``period=day|week|month``: the current period of that kind.
CURRENT = {"day": Kind.DAILY, "week": Kind.WEEKLY, "month": Kind.MONTHLY}
#: How fine each kind is (a report accepts a label of its own kind or a finer one).
FINENESS = {Kind.DAILY: 0, Kind.WEEKLY: 1, Kind.MONTHLY: 2}


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC ms, and the instant T its figures are taken at: the end for a
    finished period, now for the current one (the start for one still to come)."""

    start: int
    end: int
    label: str
    at: int

    def holds(self, ts: int | None) -> bool:
        """``ts`` lies in the period and before T."""
        return ts is not None and self.start <= ts < self.end and ts < self.at

    @property
    def finished(self) -> bool:
        return self.at >= self.end


def instant(start: int, end: int, now_ms: int) -> int:
    """T for a period: now (everything up to and including this millisecond), within it."""
    return min(end, max(start, now_ms + 1))


def _ms(day: date, zone: ZoneInfo) -> int:
    return int(datetime.combine(day, time(0), zone).timestamp() * MS)


def bounds(kind: Kind, day: date) -> tuple[date, date]:
    """First day and the day after the last of the period containing ``day``."""
    if kind is Kind.DAILY:
        return day, day + timedelta(days=1)
    if kind is Kind.WEEKLY:
        monday = day - timedelta(days=day.weekday())
        return monday, monday + timedelta(days=DAYS_PER_WEEK)
    first = day.replace(day=1)
    nxt = first.replace(year=first.year + 1, month=1) if first.month == DECEMBER \
        else first.replace(month=first.month + 1)
    return first, nxt


def label(kind: Kind, day: date) -> str:
    first, _ = bounds(kind, day)
    if kind is Kind.DAILY:
        return first.isoformat()
    if kind is Kind.WEEKLY:
        year, week, _ = first.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{first.year}-{first.month:02d}"


def period(kind: Kind, day: date, tz: str, now_ms: int) -> Period:
    """The period of ``kind`` containing ``day``, with its T as of ``now_ms``."""
    zone = ZoneInfo(tz)
    first, after = bounds(kind, day)
    start, end = _ms(first, zone), _ms(after, zone)
    return Period(start, end, label(kind, day), instant(start, end, now_ms))


def days_of(kind: Kind, day: date) -> list[date]:
    first, after = bounds(kind, day)
    return [first + timedelta(days=n) for n in range((after - first).days)]


def parse_day(raw: str | None, today: date) -> date:
    if not raw:
        return today
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise BadRequest("date is YYYY-MM-DD", field="date") from exc


def parse_period(raw: str | None, today: date) -> tuple[Kind, date]:
    """``day``, ``week`` or ``month`` (the current one), or a label: ``2026-11`` (month),
    ``2026-W47`` (ISO week) or ``2026-11-21`` (day); default this month."""
    if not raw:
        return Kind.MONTHLY, today
    if raw in CURRENT:
        return CURRENT[raw], today
    try:
        if "-W" in raw:
            year, week = raw.split("-W")
            return Kind.WEEKLY, date.fromisocalendar(int(year), int(week), 1)
        if raw.count("-") == 1:
            year, month = raw.split("-")
            return Kind.MONTHLY, date(int(year), int(month), 1)
        return Kind.DAILY, date.fromisoformat(raw)
    except ValueError as exc:
        raise BadRequest("period is day, week, month, YYYY-MM, YYYY-Www or YYYY-MM-DD",
                         field="period") from exc


def report_day(kind: Kind, raw_period: str | None, raw_date: str | None, today: date) -> date:
    """The day whose ``kind`` report is asked: ``period`` (its own kind or a finer label,
    or day/week/month for the current one) or ``date``; default today."""
    if raw_period is None:
        return parse_day(raw_date, today)
    given, day = parse_period(raw_period, today)
    if raw_period in CURRENT and given is not kind:
        raise BadRequest(f"a {kind.value} report's current period is "
                         f"{next(k for k, v in CURRENT.items() if v is kind)}",
                         code="period_mismatch", field="period")
    if FINENESS[given] > FINENESS[kind]:
        raise BadRequest(f"{raw_period} is longer than a {kind.value} report's period",
                         code="period_mismatch", field="period")
    return day
