"""The district centre's figures: one row per street the caller sees (every street for
the district centre's users, their own for a street's), the district's totals, and the
cases escalated to the district (the third tier, ``notify = "district"`` in the rules)."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from dispatch.alerts.model import AlertKind
from dispatch.authz import guard
from dispatch.bootstrap import Container
from dispatch.http.context import deployment, user_container
from dispatch.http.models.district import District
from dispatch.http.responses import json
from dispatch.http.typed import op
from dispatch.identity.principal import Principal
from dispatch.identity.roles import Role
from dispatch.observe import count_cases
from dispatch.reports.district import district_totals, street_row
from dispatch.rules.model import Notify

READERS = (Role.DISPATCHER, Role.ASSESSOR, Role.ADMIN, Role.SCREEN)


async def street_figures(c: Container, now: int
                         ) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """A street's row, its day's figures as of ``now``, and its cases escalated to the
    district (their active escalation alerts)."""
    today = await c.reports.today_figures(now)
    _, lights = await count_cases(c.redis, c.keys)
    name = (await c.org.meta()).get("name") or c.keys.street
    escalated = [a for a in await c.alerts.active() if escalated_to_district(a)]
    row = street_row(c.keys.street, name, today, lights)
    row["escalated"] = len(escalated)
    return row, today, escalated


def escalated_to_district(alert: dict[str, Any]) -> bool:
    return (alert.get("kind") == AlertKind.CASE_ESCALATED.value
            and alert.get("data", {}).get("notify") == Notify.DISTRICT.value)


@guard(*READERS)
@op(ok=District)
async def district_figures(request: Request, principal: Principal) -> Response:
    """Every street's figures (open, red, closure, on-time and patrol rates) and the
    district's totals; a street's users see their own street only."""
    d = deployment(request)
    own = user_container(request)
    streets = d.visible_to(own)
    now = own.clock()
    found = await asyncio.gather(*(street_figures(c, now) for c in streets))
    rows = [row for row, _, _ in found]
    day = found[0][1]["date"] if found else ""
    totals = district_totals(rows)
    totals["escalated"] = sum(r["escalated"] for r in rows)
    escalations = [{**a, "street": row["street"]} for row, _, alerts in found for a in alerts]
    return json({"district": d.district, "date": day, "at": now, "streets": rows,
                 "totals": totals, "escalations": escalations})


routes: list[BaseRoute] = [
    Route("/api/v1/district", district_figures, methods=["GET"]),
]
