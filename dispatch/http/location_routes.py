"""Fixes over HTTP (late uploads, OsmAnd / Traccar Client, OwnTracks) and live workers.

The OsmAnd and OwnTracks endpoints are public routes: the apps cannot send our bearer
token, so each authenticates its own way (a registered device id; HTTP Basic with
the user's password, or the ``X-Limit-U`` header with a bearer token).
"""

from __future__ import annotations

import base64
import binascii
from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from dispatch.authz import BEARER, guard, public
from dispatch.errors import BadRequest, DispatchError, Forbidden, NotFound, Unauthorized
from dispatch.http.body import parse_json, read_json, read_object
from dispatch.http.context import container
from dispatch.http.models.common import Feature
from dispatch.http.models.location import (
    EMPTY_LIST,
    OSMAND_BODY,
    OWNTRACKS_BODY,
    Ingested,
    LocationsBody,
    OsmandQuery,
    TrackQuery,
    Uploaded,
    Workers,
)
from dispatch.http.responses import error_response, json
from dispatch.http.track_query import track_query
from dispatch.http.typed import op
from dispatch.identity.principal import Principal
from dispatch.identity.roles import SCREEN_ROLES, Role
from dispatch.location.directory import WorkerRef
from dispatch.location.protocols import (
    DeviceFix,
    osmand_fix,
    osmand_json_fixes,
    owntracks_ping,
    ping_from_json,
)
from dispatch.location.service import IngestResult, now_ms
from dispatch.patrol.filters import Ping, Verdict
from dispatch.patrol.judge import STORED_VERDICTS

BASIC = "basic "
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
JSON_TYPE = "application/json"
BASIC_CHALLENGE = 'Basic realm="dispatch"'
TRACK_ROLES = (*SCREEN_ROLES, Role.GRID_WORKER)


def _check_owner(named: Any, principal: Principal) -> None:
    if named is not None and named != principal.username:
        raise Forbidden("a worker sends only their own location", code="not_your_location",
                        field="worker")


def _refuse_invalid(result: IngestResult) -> None:
    """A fix the apps sent with an impossible position is bad input (400)."""
    if result.verdicts and all(v is Verdict.INVALID for v in result.verdicts):
        raise BadRequest("the position is not a valid fix", code="ping_invalid")


@guard(Role.GRID_WORKER)
@op(body=LocationsBody, ok=Uploaded)
async def upload_locations(request: Request, principal: Principal) -> Response:
    """Late upload of buffered pings (idempotent: the same timestamp is stored once)."""
    c = container(request)
    body = await read_object(request)
    _check_owner(body.data.get("worker"), principal)
    items = body.items("items", max_items=c.settings.max_batch)
    pings: list[Ping] = []
    errors: list[dict[str, Any]] = []
    for n, item in enumerate(items):
        if isinstance(item, dict):
            _check_owner(item.get("worker"), principal)
        try:
            pings.append(ping_from_json(item, f"items[{n}]"))
        except DispatchError as exc:
            errors.append({"index": n, **exc.to_dict()})
    worker = await c.location.directory.of_principal(principal)
    result = await c.location.ingest(worker, pings, "http")
    c.location.count("http", [Verdict.INVALID] * len(errors))
    counts = result.counts()
    if errors:
        counts[Verdict.INVALID.value] = counts.get(Verdict.INVALID.value, 0) + len(errors)
    stored = sum(v in STORED_VERDICTS for v in result.verdicts)
    return json({"received": len(items), "stored": stored, "verdicts": counts,
                 "errors": errors})


async def _osmand_fixes(request: Request) -> list[DeviceFix]:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == JSON_TYPE or ctype.endswith("+json"):
        return osmand_json_fixes(parse_json(await request.body() or b"null"))
    params = dict(request.query_params)
    if ctype in FORM_TYPES:
        async with request.form() as form:
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
    return [osmand_fix(params, now_ms())]


@public
@op(query=OsmandQuery, request=OSMAND_BODY, ok=Ingested, errors=(404,))
async def osmand(request: Request) -> Response:
    """OsmAnd / Traccar Client fixes (query string, form or JSON); the device id identifies."""
    c = container(request)
    fixes = await _osmand_fixes(request)
    worker = await c.location.directory.by_device(fixes[0].device)
    if worker is None:
        raise NotFound(f"no device {fixes[0].device}", code="unknown_device", field="id")
    result = await c.location.ingest(worker, [f.ping for f in fixes], "osmand")
    _refuse_invalid(result)
    return json({"ok": True, "verdicts": result.counts()})


def _basic(header: str) -> tuple[str, str] | None:
    if header[: len(BASIC)].lower() != BASIC:
        return None
    try:
        raw = base64.b64decode(header[len(BASIC):].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise Unauthorized("malformed Basic credentials", code="bad_credentials") from None
    username, sep, password = raw.partition(":")
    if not sep:
        raise Unauthorized("malformed Basic credentials", code="bad_credentials")
    return username.strip().lower(), password


async def _owntracks_worker(request: Request) -> WorkerRef:
    c = container(request)
    header = request.headers.get("authorization", "")
    basic = _basic(header)
    if basic is not None:
        worker = await c.location.directory.by_password(*basic)
        if worker is None:
            raise Unauthorized("wrong user name or password", code="bad_credentials")
        return worker
    if header[: len(BEARER)].lower() != BEARER:
        raise Unauthorized("HTTP Basic credentials or a bearer token are required",
                           code="missing_credentials")
    principal = await c.tokens.resolve(header[len(BEARER):].strip())
    if principal is None:
        raise Unauthorized("the token is unknown, expired or revoked", code="invalid_token")
    if principal.role is not Role.GRID_WORKER:
        raise Forbidden(f"role {principal.role.value} sends no location", code="role_forbidden")
    named = request.headers.get("x-limit-u")
    if named is not None and named.strip().lower() != principal.username:
        raise Forbidden("X-Limit-U names another user", code="not_your_location",
                        field="X-Limit-U")
    return await c.location.directory.of_principal(principal)


@public
@op(request=OWNTRACKS_BODY, content=EMPTY_LIST, errors=(401, 403))
async def owntracks(request: Request) -> Response:
    """OwnTracks HTTP mode: location messages stored, every other type ignored; answers []."""
    c = container(request)
    try:
        worker = await _owntracks_worker(request)
    except Unauthorized as exc:
        response = error_response(exc)
        response.headers["WWW-Authenticate"] = BASIC_CHALLENGE
        return response
    ping = owntracks_ping(await read_json(request))
    if ping is not None:
        _refuse_invalid(await c.location.ingest(worker, [ping], "owntracks"))
    return json([])


@guard(*SCREEN_ROLES)
@op(ok=Workers)
async def workers(request: Request, principal: Principal) -> Response:
    """Every grid worker: newest position, presence, patrol, out of grid."""
    at = now_ms()
    return json({"ts": at, "items": await container(request).location.workers(at)})


def parse_day(raw: str | None, today: date) -> date:
    if not raw:
        return today
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadRequest("date is YYYY-MM-DD", code="invalid_field", field="date") from None


@guard(*TRACK_ROLES)
@op(query=TrackQuery, ok=Feature)
async def worker_track(request: Request, principal: Principal) -> Response:
    """A worker's track of a time range (``from``/``to``, ms) or a local day (default
    today): a LineString with a time per vertex, stops and time outside the grid."""
    c = container(request)
    username = request.path_params["username"]
    if principal.role is Role.GRID_WORKER and principal.username != username:
        raise Forbidden("a worker sees only their own track", code="not_your_track")
    worker = await c.location.directory.by_name(username)
    if worker is None:
        raise NotFound(f"no grid worker {username}", code="unknown_worker")
    location = c.location
    at = now_ms()
    query = track_query(request.query_params, c.settings, now_ms=at,
                        today=location.days.date_of(at), day_bounds=location.days.bounds)
    feature = await location.track_feature(username, worker.grid, query.start_ms,
                                           query.end_ms, query.tolerance_m)
    if not request.query_params.get("from"):
        feature["properties"]["date"] = location.days.date_of(query.start_ms).isoformat()
    return json(feature)


routes: list[BaseRoute] = [
    Route("/api/v1/locations", upload_locations, methods=["POST"]),
    Route("/osmand", osmand, methods=["GET", "POST", "PUT"]),
    Route("/owntracks", owntracks, methods=["POST"]),
    Route("/api/v1/workers", workers, methods=["GET"]),
    Route("/api/v1/workers/{username}/track", worker_track, methods=["GET"]),
]
