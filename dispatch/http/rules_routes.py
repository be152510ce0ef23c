"""The catalogue, the rules in force, a dry run of routing, and reloading the rules."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from dispatch.authz import guard
from dispatch.clock import at_or_now
from dispatch.errors import BadRequest
from dispatch.http.body import read_json, read_object
from dispatch.http.context import container
from dispatch.http.responses import json
from dispatch.identity.principal import Principal
from dispatch.identity.roles import Role
from dispatch.rules import RulesError
from dispatch.rules_service import initial_rules_text

MAX_RULES_TEXT = 512 * 1024


@guard()
async def catalogue(request: Request, principal: Principal) -> Response:
    """The catalogue: categories and items with names, default limits and tiers."""
    cat = container(request).rules.catalogue
    return json({
        "version": cat.version,
        "categories": [{"code": c.code, "name": c.name_zh, "name_en": c.name_en,
                        "items": [i.code for i in cat.items_of(c.code)]}
                       for c in cat.categories],
        "items": [{"code": i.code, "name": i.name_zh, "name_en": i.name_en,
                   "category": i.category, "limit_hours": i.limit_hours, "tier": i.tier,
                   "department": i.department} for i in cat.items],
    })


@guard()
async def rules(request: Request, principal: Principal) -> Response:
    """The rule set in force, with its version."""
    rs = await container(request).rules.ruleset()
    return json({
        "version": rs.version,
        "source": rs.source,
        "rules": [{"id": r.id, "priority": r.priority, "line": r.line} for r in rs.rules],
    })


@guard()
async def dry_run(request: Request, principal: Principal) -> Response:
    """Where a report would go: department, tier, limit, deadline, rule."""
    body = await read_object(request)
    at = at_or_now(body.integer("at", None, lo=0))
    routing = await container(request).rules.route(
        body.text("item", max_len=32), body.number("lat", lo=-90, hi=90),
        body.number("lon", lo=-180, hi=180), body.text("severity", None, max_len=16), at)
    return json(routing.public())


@guard(Role.ADMIN)
async def reload(request: Request, principal: Principal) -> Response:
    """Swap the rules in force: the posted text, or the configured file; a bad one is refused."""
    c = container(request)
    raw = await request.body()
    if raw.strip():
        body = await read_json(request)
        if not isinstance(body, dict) or not isinstance(body.get("text"), str):
            raise BadRequest("expected {\"text\": rules file text}", field="text")
        text, source = body["text"], str(body.get("source") or "posted")
        if len(text) > MAX_RULES_TEXT:
            raise BadRequest("the rules text is too long", field="text")
    else:
        text, source = initial_rules_text(c.settings)
    try:
        rs = await c.rules.install(text, source)
    except RulesError as exc:
        raise BadRequest(f"rules refused: {len(exc.problems)} problem(s); the old rules stay",
                         code="invalid_rules",
                         problems=[str(p) for p in exc.problems]) from exc
    return json({"version": rs.version, "source": source, "rules": len(rs.rules)})


routes: list[BaseRoute] = [
    Route("/api/v1/catalogue", catalogue, methods=["GET"]),
    Route("/api/v1/rules", rules, methods=["GET"]),
    Route("/api/v1/rules/dry-run", dry_run, methods=["POST"]),
    Route("/api/v1/rules/reload", reload, methods=["POST"]),
]
