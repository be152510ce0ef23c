"""The district centre: every street's figures, and the map of the streets."""

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


class StreetOutline(Struct, kw_only=True):
    street: str
    name: str
    name_en: str
    #: GeoJSON Polygon or MultiPolygon (WGS-84): the union of the street's grids.
    geometry: dict[str, Any]
    #: [lon, lat] of a point well inside the outline, where the street's name goes.
    label: list[float] | None
    area_km2: float


class DistrictMap(Struct, kw_only=True):
    district: str | None
    streets: list[StreetOutline]
