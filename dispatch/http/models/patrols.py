"""Patrols."""

from __future__ import annotations

from msgspec import Struct

from dispatch.http.models.common import Day, Ms


class Window(Struct, kw_only=True):
    name: str | None
    start: Ms | None
    end: Ms | None


class Patrol(Struct, kw_only=True, forbid_unknown_fields=False):
    id: str
    worker: str
    grid: str | None
    station: str | None
    date: str
    window: Window
    start: Ms | None
    end: Ms | None
    status: str
    distance_m: float
    duration_s: float
    coverage: float
    outside_grid_s: float
    points: int
    ended_by: str | None


class PatrolStarted(Struct, kw_only=True, forbid_unknown_fields=False):
    patrol: Patrol
    created: bool | None = None


class Patrols(Struct, kw_only=True, forbid_unknown_fields=False):
    items: list[Patrol]


class PatrolsQuery(Struct, kw_only=True, forbid_unknown_fields=False):
    worker: str | None = None
    date: Day | None = None
