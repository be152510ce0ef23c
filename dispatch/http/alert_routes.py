"""Alerts over HTTP: list, one alert with its log, acknowledge (确认) and resolve."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from dispatch.alerts.model import AlertAction
from dispatch.alerts.query import parse_alert_query
from dispatch.authz import guard
from dispatch.http.body import read_object
from dispatch.http.context import container
from dispatch.http.models.alerts import (
    AckBody,
    Alert,
    AlertDetail,
    AlertPage,
    AlertsQuery,
    ResolveAlertBody,
)
from dispatch.http.responses import json
from dispatch.http.typed import op
from dispatch.identity.principal import Principal
from dispatch.identity.roles import SCREEN_ROLES, Role
from dispatch.validation import Fields

MAX_NOTE = 2000
DEFAULT_PAGE = 100
#: Who acknowledges and resolves (a lead only the department's own alerts).
ACTING_ROLES = (Role.DISPATCHER, Role.ADMIN, Role.DEPT_LEAD)


@guard(*SCREEN_ROLES)
@op(query=AlertsQuery, ok=AlertPage)
async def list_alerts(request: Request, principal: Principal) -> Response:
    """Alerts in your view, newest first: filter by state (default open and acked), kind,
    station, department."""
    c = container(request)
    query = parse_alert_query(request.query_params, default_limit=DEFAULT_PAGE,
                              max_limit=c.settings.page_size_max)
    return json(await c.alerts.listing(principal, query))


@guard(*SCREEN_ROLES)
@op(ok=AlertDetail)
async def get_alert(request: Request, principal: Principal) -> Response:
    """One alert with its log: raises, clears, acknowledgements, who and when."""
    return json(await container(request).alerts.get(principal, request.path_params["id"]))


async def _note(request: Request, *, required: bool) -> str:
    body = await read_object(request) if await request.body() else Fields({})
    if required:
        return str(body.text("note", min_len=1, max_len=MAX_NOTE))
    return str(body.text("note", "", max_len=MAX_NOTE))


@guard(*ACTING_ROLES)
@op(body=AckBody, body_optional=True, ok=Alert, errors=(409,))
async def ack_alert(request: Request, principal: Principal) -> Response:
    """Acknowledge an open alert (确认), with an optional note; on record."""
    note = await _note(request, required=False)
    return json(await container(request).alerts.act(principal, request.path_params["id"],
                                                     AlertAction.ACK, note))


@guard(*ACTING_ROLES)
@op(body=ResolveAlertBody, body_optional=True, ok=Alert, errors=(409,))
async def resolve_alert(request: Request, principal: Principal) -> Response:
    """Resolve an alert by hand (handled, or a false alarm), with a note; it clears."""
    note = await _note(request, required=True)
    return json(await container(request).alerts.act(principal, request.path_params["id"],
                                                     AlertAction.RESOLVE, note))


routes: list[BaseRoute] = [
    Route("/api/v1/alerts", list_alerts, methods=["GET"]),
    Route("/api/v1/alerts/{id}", get_alert, methods=["GET"]),
    Route("/api/v1/alerts/{id}/ack", ack_alert, methods=["POST"]),
    Route("/api/v1/alerts/{id}/resolve", resolve_alert, methods=["POST"]),
]
