"""Every route of the server, gathered from the modules of each area."""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute

from dispatch.authz import policy_of
from dispatch.http import (
    alert_routes,
    case_routes,
    district_routes,
    identity_routes,
    location_routes,
    media_routes,
    open311_routes,
    ops_routes,
    org_routes,
    patrol_routes,
    report_routes,
    rules_routes,
    web_routes,
)
from dispatch.realtime import district, phone, screen

#: In the order a request is matched: the phones' fixes first (the most frequent
#: requests by far; a route's match costs a few microseconds, and none of theirs
#: overlaps another area's path).
AREAS = (phone, location_routes, ops_routes, identity_routes, org_routes, rules_routes,
         media_routes, case_routes, screen, patrol_routes, report_routes, alert_routes,
         open311_routes, district_routes, district, web_routes)


def all_routes() -> list[BaseRoute]:
    routes: list[BaseRoute] = []
    for area in AREAS:
        routes.extend(area.routes)
    return routes


def unguarded(routes: list[BaseRoute]) -> list[str]:
    """Paths whose endpoint has no authorization policy (the app refuses to start)."""
    def target(route: BaseRoute) -> object:
        if isinstance(route, Route | WebSocketRoute):
            return route.endpoint
        return route.app if isinstance(route, Mount) else None

    return [getattr(r, "path", "?") for r in routes if policy_of(target(r)) is None]
