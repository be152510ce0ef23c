"""The district centre's figures: one row per street the caller sees (every street for
the district centre's users, their own for a street's), the district's totals, and the
cases escalated to the district (the third tier, ``notify = "district"`` in the rules);
and the map of those streets (each street's outline, from its grids)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from dispatch.authz import guard
from dispatch.bootstrap import Container
from dispatch.geo.outline import Outline, outline_of
from dispatch.http.context import deployment, user_container
from dispatch.http.models.district import District, DistrictMap
from dispatch.http.responses import json
from dispatch.http.typed import op
from dispatch.identity.principal import Principal
from dispatch.identity.roles import Role
from dispatch.reports.district import district_view

READERS = (Role.DISPATCHER, Role.ASSESSOR, Role.ADMIN, Role.SCREEN)
#: Where the app keeps the streets' outlines it worked out (see :class:`Outlines`).
OUTLINES_STATE = "district_outlines"
VERSION_FIELD = "version"


@dataclass
class Outlines:
    """Each street's outline, worked out once per version of its organisation (a new
    seed of a street's grids bumps it) and kept for the process's life."""

    kept: dict[str, tuple[str, Outline]] = field(default_factory=dict)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def of(self, c: Container, meta: dict[str, str]) -> Outline:
        version = meta.get(VERSION_FIELD, "")
        kept = self.kept.get(c.keys.street)
        if kept is not None and kept[0] == version:
            return kept[1]
        async with self._lock:  # screens opening together work it out once
            kept = self.kept.get(c.keys.street)
            if kept is not None and kept[0] == version:
                return kept[1]
            grids = await c.org.grids()
            outline = await asyncio.to_thread(outline_of, grids["features"])
            self.kept[c.keys.street] = (version, outline)
            return outline


def outlines(request: Request) -> Outlines:
    found = getattr(request.app.state, OUTLINES_STATE, None)
    if found is None:
        found = Outlines()
        setattr(request.app.state, OUTLINES_STATE, found)
    return found  # type: ignore[no-any-return]


async def street_outline(cache: Outlines, c: Container) -> dict[str, Any]:
    meta = await c.org.meta()
    outline = await cache.of(c, meta)
    return {"street": c.keys.street, "name": meta.get("name") or c.keys.street,
            "name_en": meta.get("name_en") or "", "geometry": outline.geometry,
            "label": outline.label, "area_km2": round(outline.area_km2, 4)}


@guard(*READERS)
@op(ok=District)
async def district_figures(request: Request, principal: Principal) -> Response:
    """Every street's figures (open, red, closure, on-time and patrol rates) and the
    district's totals; a street's users see their own street only."""
    d = deployment(request)
    own = user_container(request)
    view = await district_view(d.visible_to(own), own.clock())
    return json({"district": d.district, **view})


@guard(*READERS)
@op(ok=DistrictMap)
async def district_map(request: Request, principal: Principal) -> Response:
    """Every street's outline (the union of its grids: a Polygon, or a MultiPolygon for a
    street in parts), a point to label it at and its area; a street's users get their own."""
    d = deployment(request)
    cache = outlines(request)
    streets = await asyncio.gather(*(street_outline(cache, c)
                                     for c in d.visible_to(user_container(request))))
    return json({"district": d.district, "streets": list(streets)})


routes: list[BaseRoute] = [
    Route("/api/v1/district", district_figures, methods=["GET"]),
    Route("/api/v1/district/map", district_map, methods=["GET"]),
]
