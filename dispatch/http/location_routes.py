"""Fixes over HTTP (late uploads, OsmAnd / Traccar Client, OwnTracks) and live workers.

The OsmAnd and OwnTracks endpoints are public routes: the apps cannot send our bearer
token, so each authenticates its own way (a registered device id; HTTP Basic with
the user's password, or the ``X-Limit-U`` header with a bearer token).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
from datetime import date
from typing import Any
from urllib.parse import parse_qsl, unquote

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from dispatch.access import check_location_owner, check_track
from dispatch.authz import BEARER, guard, public
from dispatch.clock import now_ms
from dispatch.errors import BadRequest, DispatchError, Forbidden, NotFound, Unauthorized
from dispatch.http.body import read_object
from dispatch.http.context import container, deployment, runtime, use_street
from dispatch.http.models.common import Feature
from dispatch.http.models.location import (
    EMPTY_LIST,
    OSMAND_BODY,
    OWNTRACKS_BODY,
    Ingested,
    LocationsBody,
    OsmandQuery,
    TrackingSetup,
    TrackQuery,
    Uploaded,
    Workers,
)
from dispatch.http.responses import error_response, json
from dispatch.http.track_query import track_query
from dispatch.http.typed import op
from dispatch.identity.principal import Principal
from dispatch.identity.roles import DEPARTMENT_ROLES, SCREEN_ROLES, Role
from dispatch.location.apps import (
    AppReport,
    osmand_json_reports,
    osmand_report,
    owntracks_message,
)
from dispatch.location.devices import device_worker
from dispatch.location.directory import WorkerRef
from dispatch.location.protocols import ping_from_json
from dispatch.location.setup import is_local, owntracks_setup, traccar_setup
from dispatch.location.sos import alarms
from dispatch.patrol.filters import Ping, Verdict
from dispatch.patrol.judge import STORED_VERDICTS

BASIC = "basic "
MULTIPART = "multipart/"
JSON_TYPE = "application/json"
OSMAND = "osmand"
OWNTRACKS = "owntracks"
BASIC_CHALLENGE = 'Basic realm="dispatch"'
TRACK_ROLES = (*SCREEN_ROLES, Role.GRID_WORKER, Role.GRID_ASSISTANT)


@guard(Role.GRID_WORKER, Role.GRID_ASSISTANT, Role.DISPOSAL_MEMBER, Role.DEPT_LEAD)
@op(body=LocationsBody, ok=Uploaded)
async def upload_locations(request: Request, principal: Principal) -> Response:
    """Late upload of buffered pings (idempotent: the same timestamp is stored once); a
    disposal member's phone sends its fixes here too (only the newest accepted one is kept,
    for the check-in of a whistle)."""
    c = container(request)
    body = await read_object(request)
    check_location_owner(principal, body.data.get("worker"))
    items = body.items("items", max_items=c.settings.max_batch)
    pings: list[Ping] = []
    errors: list[dict[str, Any]] = []
    for n, item in enumerate(items):
        if isinstance(item, dict):
            check_location_owner(principal, item.get("worker"))
        try:
            pings.append(ping_from_json(item, f"items[{n}]"))
        except DispatchError as exc:
            errors.append({"index": n, **exc.to_dict()})
    if principal.role in DEPARTMENT_ROLES and c.cases.positions is not None:
        verdicts = await c.cases.positions.ingest(principal.username, pings)
        c.location.count("http", [*verdicts, *[Verdict.INVALID] * len(errors)])
        return json({"received": len(items),
                     "stored": sum(v is Verdict.OK for v in verdicts),
                     "verdicts": verdict_counts(verdicts, len(errors)), "errors": errors})
    worker = await c.location.directory.of_principal(principal)
    result = await runtime(request).ingest(worker, pings, "http")
    c.location.count("http", [Verdict.INVALID] * len(errors))
    counts = result.counts()
    if errors:
        counts[Verdict.INVALID.value] = counts.get(Verdict.INVALID.value, 0) + len(errors)
    stored = sum(v in STORED_VERDICTS for v in result.verdicts)
    return json({"received": len(items), "stored": stored, "verdicts": counts,
                 "errors": errors})


def verdict_counts(verdicts: list[Verdict], invalid: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    for v in verdicts:
        counts[v.value] = counts.get(v.value, 0) + 1
    if invalid:
        counts[Verdict.INVALID.value] = counts.get(Verdict.INVALID.value, 0) + invalid
    return counts


def _content_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def _looks_like_json(raw: bytes) -> bool:
    head = raw.lstrip()[:1]
    return head in (b"{", b"[")


def query_dict(raw: bytes) -> dict[str, str]:
    """The query string as ``dict(request.query_params)`` reads it (the last of a repeated
    name wins, a name without ``=`` is blank), without its multi-dict: a part is unquoted
    only when it has something to unquote."""
    params: dict[str, str] = {}
    for part in raw.decode("latin-1").split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        if "%" in part or "+" in part:
            name, value = unquote(name.replace("+", " ")), unquote(value.replace("+", " "))
        params[name] = value
    return params


async def _osmand_reports(request: Request, now: int) -> list[AppReport]:
    """Every request shape of the OsmAnd protocol: parameters in the query string, a form
    body (whatever its Content-Type says, Traccar reads it), a multipart form, or JSON."""
    ctype = _content_type(request)
    params = query_dict(request.scope.get("query_string", b""))
    if ctype.startswith(MULTIPART):
        async with request.form(max_files=0) as form:
            params = {**{k: v for k, v in form.items() if isinstance(v, str)}, **params}
        return [osmand_report(params, now)]
    raw = await request.body()
    if raw and (ctype == JSON_TYPE or ctype.endswith("+json") or _looks_like_json(raw)):
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return [osmand_report(params, now)]  # the query string may still name the device
        reports = osmand_json_reports(body, now)
        if params and all(r.device is None for r in reports):
            return [osmand_report(params, now)]
        return reports
    if raw:
        text = raw.decode("utf-8", "replace")
        params = {**dict(parse_qsl(text, keep_blank_values=True)), **params}
    return [osmand_report(params, now)]


@public
# The query model describes only: every parameter is an optional string, so there is
# nothing to refuse (the handler reads what it needs; checking cost a tenth of a request).
@op(query=OsmandQuery, request=OSMAND_BODY, ok=Ingested, errors=(404,), validate=False)
async def osmand(request: Request) -> Response:
    """OsmAnd / Traccar Client: fixes, heartbeats and alarms; the device id identifies.

    Answers 2xx to everything but an unknown device (404): the app retries a refused
    request forever and sends nothing newer meanwhile."""
    now = now_ms()
    reports = await _osmand_reports(request, now)
    device = next((r.device for r in reports if r.device), None)
    if device is None:
        raise NotFound("the request names no device (id or deviceid)", code="unknown_device",
                       field="id")
    worker = await device_worker(request, device)  # in the street that registered it
    if worker is None:
        raise NotFound(f"no device {device}", code="unknown_device", field="id")
    c = container(request)  # the device's street
    results = [await runtime(request).report(worker, r, OSMAND, now=now) for r in reports]
    await alarms(c, worker, reports, OSMAND)
    if len(results) == 1:
        return json(results[0].public())
    return json({"ok": True, "items": [r.public() for r in results]})


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
    header = request.headers.get("authorization", "")
    basic = _basic(header)
    if basic is not None:
        street, name = await deployment(request).for_login(basic[0])
        worker = await street.location.directory.by_password(name, basic[1])
        if worker is None:
            raise Unauthorized("wrong user name or password", code="bad_credentials")
        use_street(request, street.keys.street)
        return worker
    if header[: len(BEARER)].lower() != BEARER:
        raise Unauthorized("HTTP Basic credentials or a bearer token are required",
                           code="missing_credentials")
    owner, secret = deployment(request).by_token(header[len(BEARER):].strip())
    principal = await owner.tokens.resolve(secret) if owner is not None else None
    if principal is None or owner is None:
        raise Unauthorized("the token is unknown, expired or revoked", code="invalid_token")
    if principal.role is not Role.GRID_WORKER:
        raise Forbidden(f"role {principal.role.value} sends no location", code="role_forbidden")
    named = request.headers.get("x-limit-u")
    if named is not None and named.strip().lower() != principal.username:
        raise Forbidden("X-Limit-U names another user", code="not_your_location",
                        field="X-Limit-U")
    use_street(request, owner.keys.street)
    return await container(request).location.directory.of_principal(principal)


def _owntracks_body(raw: bytes) -> Any:
    """The JSON payload whatever the Content-Type (the booklet's own test posts it as a
    form); None for an empty or unreadable body."""
    if not raw.strip():
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None


@public
@op(request=OWNTRACKS_BODY, content=EMPTY_LIST, errors=(401, 403))
async def owntracks(request: Request) -> Response:
    """OwnTracks HTTP mode: locations stored, transitions of the worker's grid recorded,
    every other type (waypoint, lwt, card, ...) answered and ignored; answers []."""
    try:
        worker = await _owntracks_worker(request)
    except Unauthorized as exc:
        response = error_response(exc)
        response.headers["WWW-Authenticate"] = BASIC_CHALLENGE
        return response
    c = container(request)  # the worker's street
    now = now_ms()
    body = _owntracks_body(await request.body())
    if body is None:
        c.location.count_message(OWNTRACKS, "empty")
        return json([])
    for message in (body if isinstance(body, list) else [body]):
        decoded = owntracks_message(message, now)
        c.location.count_message(OWNTRACKS, decoded.kind)
        if decoded.report is not None:
            await runtime(request).report(worker, decoded.report, OWNTRACKS, now=now)
            await alarms(c, worker, [decoded.report], OWNTRACKS)
        if decoded.transition is not None:
            await c.location.transition(worker, decoded.transition)
    return json([])


@guard(Role.GRID_WORKER)
@op(ok=TrackingSetup)
async def tracking_setup(request: Request, principal: Principal) -> Response:
    """How to set up Traccar Client and OwnTracks on your phone: URLs, ids, QR codes."""
    c = container(request)
    base = (c.settings.public_url or str(request.base_url)).rstrip("/")
    devices = await c.org.devices_of(principal.username)
    grid = None
    if principal.scope:
        with contextlib.suppress(NotFound):
            grid = await c.org.grid(principal.scope)
    created_s = int((await c.org.meta()).get("seeded_ms") or 0) // 1000
    return json({
        "public_url": base, "configured": bool(c.settings.public_url),
        "reachable": not is_local(base),
        "traccar": traccar_setup(base, devices[0] if devices else principal.username),
        "owntracks": owntracks_setup(base, principal.username, grid, created_s),
    })


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
    today): a LineString with a time per vertex, stops and time outside the grid; with
    `since` (ms), only the day's fixes after it, so that a page adds what is new."""
    c = container(request)
    username = request.path_params["username"]
    check_track(principal, username)
    worker = await c.location.directory.by_name(username)
    if worker is None:
        raise NotFound(f"no grid worker {username}", code="unknown_worker")
    location = c.location
    at = now_ms()
    since = request.query_params.get("since")
    if since is not None:
        if not since.isdigit():
            raise BadRequest("since is a time in ms", code="invalid_field", field="since")
        day = parse_day(request.query_params.get("date"), location.days.date_of(at))
        return json(await location.day_feature_since(username, day.isoformat(), int(since)))
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
    # A server URL typed with a trailing slash: a redirect would lose the POST body.
    Route("/osmand/", osmand, methods=["GET", "POST", "PUT"]),
    Route("/owntracks", owntracks, methods=["POST"]),
    Route("/owntracks/", owntracks, methods=["POST"]),
    Route("/api/v1/workers", workers, methods=["GET"]),
    Route("/api/v1/me/tracking", tracking_setup, methods=["GET"]),
    Route("/api/v1/workers/{username}/track", worker_track, methods=["GET"]),
]
