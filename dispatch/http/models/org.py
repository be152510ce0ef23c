"""The organisation: the street, grids, stations, departments."""

from __future__ import annotations

from typing import Any

from msgspec import Struct


class PatrolWindow(Struct):
    name: str
    start: str
    end: str


class Street(Struct, kw_only=True, forbid_unknown_fields=False):
    code: str | None = None
    name: str | None = None
    tz: str
    work_hours: str
    patrol_windows: list[PatrolWindow]
    public_url: str
    map: dict[str, Any] | None = None


class Station(Struct, kw_only=True):
    id: str
    name: str
    name_en: str = ""


class Stations(Struct):
    items: list[Station]


class Department(Struct, kw_only=True):
    id: str
    name: str
    name_en: str = ""
    lead: str | None
    members: list[str]


class Departments(Struct):
    items: list[Department]
