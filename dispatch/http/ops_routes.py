"""Operations: liveness, readiness, metrics and the OpenAPI description."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute

from dispatch.authz import public
from dispatch.errors import Unavailable
from dispatch.http.asyncapi import asyncapi_document
from dispatch.http.context import container
from dispatch.http.models.common import Status
from dispatch.http.openapi import openapi_document
from dispatch.http.responses import json
from dispatch.http.typed import op
from dispatch.metrics import CONTENT_TYPE
from dispatch.observe import measure_redis, socket_metrics

PROMETHEUS = {"text/plain": {"schema": {"type": "string"}}}


@public
@op(ok=Status)
async def healthz(request: Request) -> Response:
    """The process is up."""
    return json({"status": "ok"})


@public
@op(ok=Status, errors=(503,))
async def readyz(request: Request) -> Response:
    """Redis is reachable."""
    if not await container(request).ready():
        raise Unavailable("redis is not reachable", code="redis_unreachable")
    return json({"status": "ready"})


@public
@op(content=PROMETHEUS)
async def metrics(request: Request) -> Response:
    """Prometheus metrics of this process (Redis's round trip measured now)."""
    c = container(request)
    sockets = socket_metrics(c.metrics)
    for route in request.app.routes:
        if isinstance(route, WebSocketRoute):
            sockets.of(route.path.rsplit("/", 1)[-1])
    await measure_redis(c.redis, c.metrics)
    return PlainTextResponse(c.metrics.render(), media_type=CONTENT_TYPE)


@public
@op(content={"application/json": {"schema": {"type": "object"}}})
async def openapi(request: Request) -> Response:
    """The OpenAPI description of every HTTP route."""
    return json(openapi_document(request.app.routes))


@public
@op(content={"application/json": {"schema": {"type": "object"}}})
async def asyncapi(request: Request) -> Response:
    """The AsyncAPI description of the WebSocket endpoints and their messages."""
    return json(asyncapi_document(request.app.routes))


routes: list[BaseRoute] = [
    Route("/healthz", healthz, methods=["GET"]),
    Route("/readyz", readyz, methods=["GET"]),
    Route("/metrics", metrics, methods=["GET"]),
    Route("/openapi.json", openapi, methods=["GET"]),
    Route("/asyncapi.json", asyncapi, methods=["GET"]),
]
