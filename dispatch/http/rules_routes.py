"""The catalogue, the rules in force, a dry run of routing, and reloading the rules."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from dispatch.authz import guard
from dispatch.clock import at_or_now
from dispatch.errors import BadRequest
from dispatch.http.context import container
from dispatch.http.models.rules import (
    Catalogue,
    DryRunBody,
    ReloadBody,
    Reloaded,
    Routing,
    Rules,
)
from dispatch.http.responses import json
from dispatch.http.typed import body_of, op
from dispatch.identity.principal import Principal
from dispatch.identity.roles import Role
from dispatch.rules import RulesError
from dispatch.rules_service import initial_rules_text


@guard()
@op(ok=Catalogue)
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
@op(ok=Rules)
async def rules(request: Request, principal: Principal) -> Response:
    """The rule set in force, with its version."""
    rs = await container(request).rules.ruleset()
    return json({
        "version": rs.version,
        "source": rs.source,
        "rules": [{"id": r.id, "priority": r.priority, "line": r.line} for r in rs.rules],
    })


@guard()
@op(body=DryRunBody, ok=Routing, errors=(404,))
async def dry_run(request: Request, principal: Principal) -> Response:
    """Where a report would go: department, tier, limit, deadline, rule."""
    body = body_of(request, DryRunBody)
    at = at_or_now(body.at)
    routing = await container(request).rules.route(body.item, body.lat, body.lon,
                                                   body.severity, at)
    return json(routing.public())


@guard(Role.ADMIN)
@op(body=ReloadBody, body_optional=True, ok=Reloaded)
async def reload(request: Request, principal: Principal) -> Response:
    """Swap the rules in force: the posted text, or the configured file; a bad one is refused."""
    c = container(request)
    body = body_of(request, ReloadBody)
    if body.text is not None:
        text, source = body.text, body.source or "posted"
    elif (await request.body()).strip() not in (b"", b"{}"):
        raise BadRequest("expected {\"text\": rules file text}", code="missing_field",
                         field="text")
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
