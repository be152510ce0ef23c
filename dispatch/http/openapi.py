"""The OpenAPI 3.1 description, generated from the routes and their policies."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from starlette.routing import BaseRoute, Route, WebSocketRoute

import dispatch
from dispatch.authz import policy_of

PATH_PARAM = re.compile(r"{([^}:]+)(?::[^}]+)?}")
ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "field": {"type": "string"},
            },
        }
    },
}
ERROR_REF = {"$ref": "#/components/schemas/Error"}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ERROR_REF}}}


def _operation(route: Route | WebSocketRoute, method: str) -> dict[str, Any]:
    policy = policy_of(route.endpoint)
    params = [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
              for n in PATH_PARAM.findall(route.path)]
    op: dict[str, Any] = {
        "operationId": f"{method}_{route.endpoint.__name__}",
        "summary": policy.summary if policy else "",
        "parameters": params,
        "responses": {"200": {"description": "OK"}, "400": _error("Bad input"),
                      "default": _error("Error")},
    }
    if policy and not policy.public and policy.roles is not None:
        op["security"] = [{"bearer": []}]
        op["x-roles"] = sorted(r.value for r in policy.roles)
        op["responses"]["401"] = _error("No valid token")
        op["responses"]["403"] = _error("Outside the role or scope")
    else:
        op["security"] = []
    if method in {"post", "put", "patch"}:
        op["requestBody"] = {"content": {"application/json": {"schema": {"type": "object"}}}}
    return op


def openapi_document(routes: Sequence[BaseRoute]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        if isinstance(route, Route):
            for method in sorted(route.methods or ()):
                if method == "HEAD":
                    continue
                paths.setdefault(route.path, {})[method.lower()] = _operation(route, method.lower())
        elif isinstance(route, WebSocketRoute):
            op = _operation(route, "get")
            op["description"] = "WebSocket endpoint (token in the `token` query parameter)."
            paths.setdefault(route.path, {})["x-websocket"] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "dispatch", "version": dispatch.__version__},
        "paths": paths,
        "components": {
            "schemas": {"Error": ERROR_SCHEMA},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
