"""Official days off and make-up working days (调休) of a country's calendar, pure.

China's come from the ``chinese-calendar`` package (the State Council's yearly notices, kept
up to date by its maintainers): every official holiday, weekend days of a holiday included,
and every weekend day made a working day. A street's own days (``DISPATCH_HOLIDAYS``,
``DISPATCH_WORKDAYS``) go on top with :func:`with_local`: a local working day wins over an
official holiday and a local holiday over an official make-up day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

SOURCES = ("cn", "none")


@dataclass(frozen=True)
class OfficialDays:
    holidays: frozenset[date]
    workdays: frozenset[date]
    last_year: int | None  # the last year the source knows (None: no source)

    def covers(self, day: date) -> bool:
        return self.last_year is not None and day.year <= self.last_year


NONE = OfficialDays(frozenset(), frozenset(), None)


def official_days(source: str) -> OfficialDays:
    """The official days of ``source``: ``cn`` (China) or ``none``."""
    if source == "none":
        return NONE
    if source != "cn":
        raise ValueError(f"calendar {source!r} is not one of {', '.join(SOURCES)}")
    from chinese_calendar import constants

    holidays = frozenset(constants.holidays)
    return OfficialDays(holidays, frozenset(constants.workdays),
                        max(d.year for d in holidays) if holidays else None)


def with_local(official: OfficialDays, holidays: frozenset[date],
               workdays: frozenset[date]) -> tuple[frozenset[date], frozenset[date]]:
    """(days off, make-up working days) with the street's own days on top."""
    if holidays & workdays:
        raise ValueError("a date cannot be both a local holiday and a local working day")
    off = (official.holidays | holidays) - workdays
    on = (official.workdays | workdays) - holidays
    return off, on
