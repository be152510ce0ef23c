"""Shapes used across areas: the error, ok, a page, GeoJSON, bounded strings."""

from __future__ import annotations

from typing import Annotated, Any

from msgspec import Meta, Struct

Name = Annotated[str, Meta(min_length=1, max_length=64)]
Text = Annotated[str, Meta(max_length=10_000)]
Ms = Annotated[int, Meta(ge=0, description="Unix time in milliseconds")]
Lat = Annotated[float, Meta(ge=-90, le=90)]
Lon = Annotated[float, Meta(ge=-180, le=180)]
#: A day of the street's calendar, YYYY-MM-DD.
Day = Annotated[str, Meta(pattern=r"^\d{4}-\d{2}-\d{2}$")]
#: The success answer's other media types: a spreadsheet as text.
CSV = {"text/csv": {"schema": {"type": "string"}}}


class ErrorDetail(Struct, kw_only=True):
    code: str
    message: str
    field: str | None = None


class Error(Struct):
    """Every 4xx/5xx body (the contract's error shape)."""

    error: ErrorDetail


class Ok(Struct):
    ok: bool


class Status(Struct):
    status: str


class Feature(Struct, kw_only=True):
    """A GeoJSON Feature."""

    type: str
    geometry: dict[str, Any] | None
    properties: dict[str, Any]


class FeatureCollection(Struct):
    type: str
    features: list[Feature]


class Empty(Struct, forbid_unknown_fields=False):
    """A body with nothing to say (an empty object)."""
