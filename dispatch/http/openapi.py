"""The OpenAPI 3.1 description, generated from the routes, their policies and their typed
operations (:mod:`dispatch.http.typed`): request bodies, query and path parameters, every
response with its status code and schema, the errors in the contract's shape, security.

The WebSocket endpoints are described beside it as AsyncAPI (:mod:`dispatch.http.asyncapi`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from http import HTTPStatus
from typing import Any

import msgspec
from starlette.routing import BaseRoute, Route

import dispatch
from dispatch.authz import Policy, policy_of
from dispatch.http.models.common import Error
from dispatch.http.typed import Op, op_of

PATH_PARAM = re.compile(r"{([^}:]+)(?::[^}]+)?}")
REF = "#/components/schemas/{name}"
ERROR_REF = {"$ref": REF.format(name="Error")}
#: Routes that need no Redis: they never answer 503.
NO_REDIS = frozenset({"/healthz", "/metrics", "/openapi.json", "/asyncapi.json", "/", "/app",
                      "/reports", "/report", "/app/sw.js", "/app/manifest.webmanifest"})
BODY_ERRORS = (400, 413, 415)
DESCRIPTION = (
    "The HTTP API of dispatch (CONTRACT.md). Every time is Unix milliseconds, every "
    "coordinate WGS-84. Every 4xx/5xx body is `{\"error\": {\"code\", \"message\", "
    "\"field\"?}}`. Sign in with `POST /api/v1/login` and send `Authorization: Bearer "
    "<token>`. The WebSocket endpoints are described in `/asyncapi.json`."
)


def _model_ref(model: type) -> dict[str, Any]:
    return {"$ref": REF.format(name=model.__name__)}


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _models(ops: Iterable[Op]) -> list[type]:
    found: dict[str, type] = {"Error": Error}
    for spec in ops:
        for model in (spec.body, spec.query, *spec.responses.values(), *spec.models):
            if model is not None:
                found.setdefault(model.__name__, model)
    return list(found.values())


def _query_parameters(spec: Op, components: dict[str, Any]) -> list[dict[str, Any]]:
    if spec.query is None:
        return []
    schema = components[spec.query.__name__]
    required = set(schema.get("required", ()))
    return [{"name": name, "in": "query", "required": name in required, "schema": prop}
            for name, prop in schema.get("properties", {}).items()]


def _responses(spec: Op | None, policy: Policy | None, path: str,
               method: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    successes = spec.responses if spec else {200: None}
    for status, model in successes.items():
        entry: dict[str, Any] = {"description": _phrase(status)}
        content: dict[str, Any] = {"application/json": {"schema": _model_ref(model)}} \
            if model else {}
        content.update(spec.content if spec else {})
        if content:
            entry["content"] = content
        out[str(status)] = entry
    errors: set[int] = set(spec.errors) if spec else set()
    if spec and (spec.body is not None or spec.request is not None):
        errors.update(BODY_ERRORS)
    if spec and spec.query is not None:
        errors.add(400)
    if policy is not None and not policy.public:
        errors.update((401, 403))
    if PATH_PARAM.search(path):
        errors.add(404)
    if path not in NO_REDIS and not path.startswith("/static"):
        errors.add(503)
    error_content = spec.error_content if spec and spec.error_content else {
        "application/json": {"schema": ERROR_REF}}
    for status in sorted(errors):
        out[str(status)] = {"description": _phrase(status), "content": dict(error_content)}
    return out


def _operation(route: Route, method: str, components: dict[str, Any]) -> dict[str, Any]:
    policy = policy_of(route.endpoint)
    spec = op_of(route.endpoint)
    path_schemas = spec.paths if spec else {}
    params: list[dict[str, Any]] = [
        {"name": n, "in": "path", "required": True,
         "schema": dict(path_schemas.get(n, {"type": "string"}))}
        for n in PATH_PARAM.findall(route.path)]
    if spec is not None:
        params += _query_parameters(spec, components)
    operation: dict[str, Any] = {
        "operationId": f"{method}_{route.endpoint.__name__}",
        "summary": policy.summary if policy else route.endpoint.__name__,
        "parameters": params,
        "responses": _responses(spec, policy, route.path, method),
    }
    if spec is not None and spec.description:
        operation["description"] = spec.description
    if policy is not None and not policy.public and policy.roles is not None:
        operation["security"] = [{"bearer": []}]
        operation["x-roles"] = sorted(r.value for r in policy.roles)
    else:
        operation["security"] = []
    if spec is not None and spec.request is not None:
        operation["requestBody"] = dict(spec.request)
    elif spec is not None and spec.body is not None:
        operation["requestBody"] = {
            "required": not spec.body_optional,
            "content": {"application/json": {"schema": _model_ref(spec.body)}}}
    return operation


def http_routes(routes: Sequence[BaseRoute]) -> list[tuple[Route, str]]:
    """(route, method) of every HTTP operation (HEAD left out)."""
    return [(r, m.lower()) for r in routes if isinstance(r, Route)
            for m in sorted(r.methods or ()) if m != "HEAD"]


def openapi_document(routes: Sequence[BaseRoute]) -> dict[str, Any]:
    operations = http_routes(routes)
    ops = [spec for route, _ in operations if (spec := op_of(route.endpoint)) is not None]
    _, components = msgspec.json.schema_components(_models(ops), ref_template=REF)
    paths: dict[str, dict[str, Any]] = {}
    seen: Counter[str] = Counter()
    for route, method in operations:
        operation = _operation(route, method, components)
        seen[operation["operationId"]] += 1
        if seen[operation["operationId"]] > 1:  # one endpoint on two paths (/osmand/)
            operation["operationId"] += f"_{seen[operation['operationId']]}"
        paths.setdefault(route.path, {})[method] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "dispatch", "version": dispatch.__version__,
                 "description": DESCRIPTION},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
