"""The organisation: grids as GeoJSON, departments, stations."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from dispatch.authz import guard
from dispatch.cases.commands import MAX_MEDIA
from dispatch.http.context import container
from dispatch.http.models.common import FeatureCollection
from dispatch.http.models.org import Department, Departments, Stations, Street
from dispatch.http.responses import json
from dispatch.http.typed import op
from dispatch.http.urls import public_url
from dispatch.identity.principal import Principal
from dispatch.patrol.windows import parse_windows
from dispatch.settings import Settings


@guard()
@op(ok=FeatureCollection)
async def grids(request: Request, principal: Principal) -> Response:
    """Every grid as a GeoJSON Feature (id, name, station, worker, worker_name)."""
    c = container(request)
    collection = await c.org.grids()
    props = [f["properties"] for f in collection["features"] if f["properties"].get("worker")]
    names = {u.username: u.name for u in await c.users.many([p["worker"] for p in props])}
    for p in props:
        p["worker_name"] = names.get(p["worker"]) or None
    return json(collection)


@guard()
@op(ok=Stations)
async def stations(request: Request, principal: Principal) -> Response:
    """The grid stations."""
    found = await container(request).org.stations()
    return json({"items": [s.__dict__ for s in found]})


@guard()
@op(ok=Departments)
async def departments(request: Request, principal: Principal) -> Response:
    """Every disposal department with its lead and members."""
    return json({"items": await container(request).org.departments()})


@guard()
@op(ok=Department)
async def department(request: Request, principal: Principal) -> Response:
    """One department with its lead and members."""
    return json(await container(request).org.department(request.path_params["dept"]))


@guard()
@op(ok=Street)
async def street(request: Request, principal: Principal) -> Response:
    """The street this server serves, its time zone, working hours, patrol windows and the
    limits a phone checks before it sends (photo size, photos per report)."""
    c = container(request)
    s = c.settings
    windows = [{"name": w.name, "start": w.start.isoformat("minutes"),
                "end": w.end.isoformat("minutes")} for w in parse_windows(s.patrol_windows)]
    return json({**await c.org.meta(), "tz": s.tz, "work_hours": s.work_hours,
                 "patrol_windows": windows, "map": map_settings(s),
                 "limits": {"media_bytes": s.max_media_bytes, "photos": MAX_MEDIA},
                 "public_url": public_url(request, s)})


def map_settings(s: Settings) -> dict[str, Any]:
    """What the screen's map needs: the base map (none without a tile URL) and the bounds
    of a track request."""
    tiles = None
    if s.map_tiles_url:
        tiles = {"url": s.map_tiles_url, "crs": s.map_tiles_crs,
                 "attribution": s.map_tiles_attribution,
                 "subdomains": s.map_tiles_subdomains, "max_zoom": s.map_tiles_max_zoom}
    return {"tiles": tiles, "track": {
        "tolerance_min_m": s.track_tolerance_min_m, "tolerance_max_m": s.track_tolerance_max_m,
        "range_max_h": s.track_range_max_h, "stop_radius_m": s.stop_radius_m,
        "stop_min_min": s.stop_min_min}}


routes: list[BaseRoute] = [
    Route("/api/v1/street", street, methods=["GET"]),
    Route("/api/v1/grids", grids, methods=["GET"]),
    Route("/api/v1/stations", stations, methods=["GET"]),
    Route("/api/v1/departments", departments, methods=["GET"]),
    Route("/api/v1/departments/{dept}", department, methods=["GET"]),
]
