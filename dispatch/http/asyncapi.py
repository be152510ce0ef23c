"""The AsyncAPI 2.6 description of the WebSocket endpoints, generated from the message
models (:mod:`dispatch.http.models.sockets`) and the sockets' policies."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec
from starlette.routing import BaseRoute, WebSocketRoute

import dispatch
from dispatch.authz import policy_of
from dispatch.http.models.sockets import SOCKETS

REF = "#/components/schemas/{name}"
AUTH = ("Authenticate with `?token=<token>` on the URL, or (keeping the token out of URLs "
        "and logs) with a first message `{\"type\":\"auth\",\"token\"}` within "
        "DISPATCH_WS_AUTH_TIMEOUT seconds, answered `auth.ok`. A refused token closes the "
        "socket with 1008 after an `error` message (before the handshake: HTTP 401/403).")


def _messages(models: list[type]) -> dict[str, Any]:
    return {"oneOf": [{"$ref": f"#/components/messages/{m.__name__}"} for m in models]}


def asyncapi_document(routes: Sequence[BaseRoute]) -> dict[str, Any]:
    types = list(dict.fromkeys(t for q, i, o in SOCKETS.values() for t in (q, *i, *o)))
    _, schemas = msgspec.json.schema_components(types, ref_template=REF)
    channels: dict[str, Any] = {}
    for route in routes:
        if not isinstance(route, WebSocketRoute) or route.path not in SOCKETS:
            continue
        query, sent, received = SOCKETS[route.path]
        policy = policy_of(route.endpoint)
        roles = sorted(r.value for r in policy.roles) if policy and policy.roles else []
        channels[route.path] = {
            "description": f"{policy.summary if policy else ''} {AUTH}".strip(),
            "x-roles": roles,
            "bindings": {"ws": {"method": "GET",
                                "query": {"$ref": REF.format(name=query.__name__)}}},
            "publish": {"summary": "what the client sends", "message": _messages(sent)},
            "subscribe": {"summary": "what the server sends", "message": _messages(received)},
        }
    messages = {t.__name__: {"name": t.__name__, "payload": {"$ref": REF.format(
        name=t.__name__)}} for q, i, o in SOCKETS.values() for t in (*i, *o)}
    return {
        "asyncapi": "2.6.0",
        "info": {"title": "dispatch sockets", "version": dispatch.__version__},
        "defaultContentType": "application/json",
        "channels": channels,
        "components": {"schemas": schemas, "messages": messages},
    }
