"""Report periods in the street's local time: a day, an ISO week, a month."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from dispatch.clock import MS_PER_S
from dispatch.errors import BadRequest
from dispatch.reports.figures import Period

DAYS_PER_WEEK = 7
DECEMBER = 12


class Kind(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"


def _ms(day: date, zone: ZoneInfo) -> int:
    return int(datetime.combine(day, time(0), zone).timestamp() * MS_PER_S)


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


def period(kind: Kind, day: date, tz: str) -> Period:
    zone = ZoneInfo(tz)
    first, after = bounds(kind, day)
    return Period(_ms(first, zone), _ms(after, zone), label(kind, day))


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
    """``2026-11`` (month), ``2026-W47`` (ISO week) or ``2026-11-21`` (day); default this month."""
    if not raw:
        return Kind.MONTHLY, today
    try:
        if "-W" in raw:
            year, week = raw.split("-W")
            return Kind.WEEKLY, date.fromisocalendar(int(year), int(week), 1)
        if raw.count("-") == 1:
            year, month = raw.split("-")
            return Kind.MONTHLY, date(int(year), int(month), 1)
        return Kind.DAILY, date.fromisoformat(raw)
    except ValueError as exc:
        raise BadRequest("period is YYYY-MM, YYYY-Www or YYYY-MM-DD", field="period") from exc
