"""The organisation: grids as GeoJSON, departments, stations."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from dispatch.authz import guard
from dispatch.http.context import container
from dispatch.http.models.common import FeatureCollection
from dispatch.http.models.org import Department, Departments, Stations, Street
from dispatch.http.responses import json
from dispatch.http.typed import op
from dispatch.http.urls import public_url
from dispatch.identity.principal import Principal
from dispatch.patrol.windows import parse_windows


@guard()
@op(ok=FeatureCollection)
async def grids(request: Request, principal: Principal) -> Response:
    """Every grid as a GeoJSON Feature (id, name, station, worker)."""
    return json(await container(request).org.grids())


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
    """The street this server serves, its time zone, working hours and patrol windows."""
    c = container(request)
    s = c.settings
    windows = [{"name": w.name, "start": w.start.isoformat("minutes"),
                "end": w.end.isoformat("minutes")} for w in parse_windows(s.patrol_windows)]
    return json({**await c.org.meta(), "tz": s.tz, "work_hours": s.work_hours,
                 "patrol_windows": windows, "public_url": public_url(request, s)})


routes: list[BaseRoute] = [
    Route("/api/v1/street", street, methods=["GET"]),
    Route("/api/v1/grids", grids, methods=["GET"]),
    Route("/api/v1/stations", stations, methods=["GET"]),
    Route("/api/v1/departments", departments, methods=["GET"]),
    Route("/api/v1/departments/{dept}", department, methods=["GET"]),
]
