"""The district centre: every street's figures."""

from __future__ import annotations

from typing import Any

from msgspec import Struct

#: A street's row (or the totals): counts and rates, as in dispatch/reports/district.py.
StreetFigures = dict[str, Any]


class District(Struct, kw_only=True):
    district: str | None
    date: str
    at: int
    streets: list[StreetFigures]
    totals: StreetFigures
    #: The active alerts of cases escalated to the district, each with its ``street``.
    escalations: list[dict[str, Any]]
