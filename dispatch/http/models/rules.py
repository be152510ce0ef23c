"""The catalogue and the routing rules."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta, Struct

from dispatch.http.models.common import Lat, Lon, Ms


class Category(Struct, kw_only=True):
    code: str
    name: str
    name_en: str
    items: list[str]


class CatalogueItem(Struct, kw_only=True):
    code: str
    name: str
    name_en: str
    category: str
    limit_hours: float | None
    tier: str | None
    department: str | None


class Catalogue(Struct):
    version: str
    categories: list[Category]
    items: list[CatalogueItem]


class RuleLine(Struct):
    id: str
    priority: int
    line: int


class Rules(Struct):
    version: str
    source: str
    rules: list[RuleLine]


class DryRunBody(Struct, kw_only=True):
    item: Annotated[str, Meta(max_length=32)]
    lat: Lat
    lon: Lon
    severity: Annotated[str, Meta(max_length=16)] | None = None
    at: Annotated[int, Meta(ge=0)] | None = None


class Routing(Struct, kw_only=True):
    item: str
    category: str | None
    grid: str | None
    station: str | None
    department: str | None
    tier: str | None
    limit: int | None
    clock: str | None
    deadline: Ms | None
    yellow_at: Ms | None
    escalation: list[int]
    rule: str | None
    version: str
    triage: bool
    #: Assisting departments (协办) the rule names: each gets its own part.
    assist: list[str] = []


class ReloadBody(Struct, kw_only=True):
    """The rules file's text (an empty body: the configured file again)."""

    text: Annotated[str, Meta(max_length=512 * 1024)] | None = None
    source: Annotated[str, Meta(max_length=256)] | None = None


class Reloaded(Struct):
    version: str
    source: str
    rules: int
