"""Patrols over HTTP: start and end (the worker), list, one patrol, its track."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from dispatch.access import WORKER_WATCHERS, patrols_listed_for
from dispatch.authz import guard
from dispatch.clock import MS_PER_H
from dispatch.errors import BadRequest
from dispatch.http.body import read_json
from dispatch.http.context import container
from dispatch.http.location_routes import parse_day
from dispatch.http.models.common import Feature
from dispatch.http.models.location import ToleranceQuery
from dispatch.http.models.patrols import Patrol, Patrols, PatrolsQuery
from dispatch.http.responses import json
from dispatch.http.track_query import tolerance
from dispatch.http.typed import op
from dispatch.identity.principal import Principal
from dispatch.identity.roles import Role
from dispatch.validation import Fields

HTTP_CREATED = 201
HTTP_OK = 200
READ_ROLES = (Role.GRID_WORKER, Role.GRID_ASSISTANT, *sorted(WORKER_WATCHERS))


@dataclass(frozen=True)
class PhoneTime:
    """What a phone may say about a start or an end: when it happened (a phone without
    signal keeps the tap and sends it later) and, for a start, that it has no position."""

    at: int
    without_location: bool = False


async def _phone_time(request: Request, now: int, backdate_max_ms: int,
                      not_before: int | None = None) -> PhoneTime:
    """The optional body ``{"ts"?, "without_location"?}``. A time ahead of the server's
    clock is taken as now; one older than the allowed backdating is refused."""
    if not await request.body():
        return PhoneTime(now)
    body = Fields.of(await read_json(request))
    at = min(int(body.integer("ts", now)), now)
    if at < now - backdate_max_ms:
        raise BadRequest("the time is older than a phone may send it late",
                         code="patrol_too_old", field="ts",
                         limit_h=backdate_max_ms // MS_PER_H)
    if not_before is not None:
        at = max(at, not_before)
    return PhoneTime(at, bool(body.flag("without_location", False)))


@guard(Role.GRID_WORKER, Role.GRID_ASSISTANT)
@op(responses={HTTP_CREATED: Patrol, HTTP_OK: Patrol}, errors=(409,))
async def start_patrol(request: Request, principal: Principal) -> Response:
    """Start a patrol: in the current window, else an extra one (`kind: extra`, toward no
    window); the open one is returned if there is one. Optional body: `ts` (started on
    the phone while offline) and `without_location`."""
    c = container(request)
    worker = await c.location.directory.of_principal(principal)
    told = await _phone_time(request, c.clock(), c.settings.patrol_backdate_max_h * MS_PER_H)
    record, created = await c.patrols.start(worker, now=told.at,
                                            without_location=told.without_location)
    return json(record.public(), status_code=HTTP_CREATED if created else HTTP_OK)


@guard(Role.GRID_WORKER, Role.GRID_ASSISTANT)
@op(ok=Patrol, errors=(409,))
async def end_patrol(request: Request, principal: Principal) -> Response:
    """End the caller's patrol and measure it (optional body `ts`: ended while offline)."""
    c = container(request)
    record = await c.patrols.get(request.path_params["id"], principal)
    told = await _phone_time(request, c.clock(), c.settings.patrol_backdate_max_h * MS_PER_H,
                             not_before=record.start)
    return json((await c.patrols.end(record.id, principal, now=told.at)).public())


@guard(*READ_ROLES)
@op(query=PatrolsQuery, ok=Patrols)
async def list_patrols(request: Request, principal: Principal) -> Response:
    """The patrols of a local day (default today), of one worker or all."""
    c = container(request)
    worker = patrols_listed_for(principal, request.query_params.get("worker") or None)
    day = parse_day(request.query_params.get("date"), c.location.days.date_of(c.clock()))
    records = await c.patrols.find(day.isoformat(), worker)
    return json({"date": day.isoformat(), "items": [r.public() for r in records]})


@guard(*READ_ROLES)
@op(ok=Patrol)
async def get_patrol(request: Request, principal: Principal) -> Response:
    """One patrol; one in progress is measured up to now."""
    patrols = container(request).patrols
    record = await patrols.get(request.path_params["id"], principal)
    return json((await patrols.current(record)).public())


@guard(*READ_ROLES)
@op(query=ToleranceQuery, ok=Feature)
async def patrol_track(request: Request, principal: Principal) -> Response:
    """The patrol's track: a simplified LineString with a time per vertex, its stops and
    its time outside the grid (``tolerance_m`` as for a worker's track)."""
    c = container(request)
    record = await c.patrols.get(request.path_params["id"], principal)
    return json(await c.patrols.track(record,
                                      tolerance_m=tolerance(request.query_params, c.settings)))


routes: list[BaseRoute] = [
    Route("/api/v1/patrols/start", start_patrol, methods=["POST"]),
    Route("/api/v1/patrols/{id}/end", end_patrol, methods=["POST"]),
    Route("/api/v1/patrols", list_patrols, methods=["GET"]),
    Route("/api/v1/patrols/{id}", get_patrol, methods=["GET"]),
    Route("/api/v1/patrols/{id}/track", patrol_track, methods=["GET"]),
]
