"""The ASGI application: routes, middleware, error shape, lifespan.

The lifespan is the web process's composition: a container per street on one set of
clients (``bootstrap_deployment``), then a web runtime per street (``web_runtimes``: one
hub and one ingest pipe for every street, each street's positions and snapshot), all kept
on ``app.state`` for the routes and sockets (``app.state.runtimes[street]``).
"""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from redis.exceptions import RedisError
from starlette import status
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket, WebSocketState
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from dispatch.bootstrap import Container, web_runtimes
from dispatch.district import bootstrap_deployment, single
from dispatch.errors import DispatchError, Unavailable
from dispatch.heap import FULL_GENERATION, MALLOC_TRIM
from dispatch.http.middleware import BodyLimitMiddleware, MetricsMiddleware
from dispatch.http.responses import error_body, error_response, json
from dispatch.http.routes import all_routes, unguarded
from dispatch.http.security import SecurityHeadersMiddleware, tile_origins
from dispatch.metrics import Metrics
from dispatch.settings import Settings

log = logging.getLogger("dispatch")

#: Collector thresholds of the web process: with Python's defaults, full collections over
#: thousands of sockets' objects paused the server for 0.2-0.6 s (p99 ack latency ~1 s).
#: What the process built at startup (modules, the app, caches) is frozen out of the
#: collections, so a full one walks only what sockets and requests made since, and it
#: comes after at most 10 younger ones, or once enough sockets closed (dispatch.heap:
#: their cyclic garbage waited for millions of allocations, and RSS grew with each
#: reconnect storm).
GC_THRESHOLDS = (10_000, 20, 10)
HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed",
              413: "payload_too_large"}
MEDIA_PREFIX = "/api/v1/media"
REDIS_RETRY_S = 5
OPEN311_PREFIX = "/open311/"
#: Room for the multipart framing around a photo of the largest size taken.
MULTIPART_SLACK_BYTES = 64 * 1024


async def on_dispatch_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DispatchError)
    return error_response(exc)


async def on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = HTTP_CODES.get(exc.status_code, "http_error")
    message = {404: f"no route {request.url.path}"}.get(exc.status_code, str(exc.detail))
    return json(error_body(code, message), status_code=exc.status_code,
                headers=dict(exc.headers or {}))


async def on_redis_error(request: Any, exc: Exception) -> Any:
    """Redis down or timing out: 503 in the error shape, on every route (a socket that was
    already open is closed with 1013, try again later)."""
    log.warning("redis error on %s: %s", request.url.path, exc)
    unavailable = Unavailable("the store is not reachable; try again shortly",
                              code="redis_unreachable")
    if isinstance(request, WebSocket):
        with contextlib.suppress(Exception):
            if request.application_state is WebSocketState.CONNECTING:
                await request.send_denial_response(error_response(unavailable))
            else:
                await request.close(status.WS_1013_TRY_AGAIN_LATER)
        return None
    if request.url.path.startswith(OPEN311_PREFIX):  # the GeoReport spec's error shape
        response: Response = json([{"code": unavailable.status,
                                    "description": unavailable.message}], unavailable.status)
    else:
        response = error_response(unavailable)
    response.headers["Retry-After"] = str(REDIS_RETRY_S)
    return response


async def on_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return json(error_body("internal_error", "an internal error occurred"), status_code=500)


def _trim_after_full_collection(phase: str, info: dict[str, Any]) -> None:
    """After a full collection, give the C heap's free pages back to the system: the
    sockets' buffers (WebSocket frames, compression state) are freed in between live
    objects, and without it the process's RSS climbed with every reconnect storm although
    its Python objects did not (bench_reconnect)."""
    if phase == "stop" and info.get("generation") == FULL_GENERATION and MALLOC_TRIM:
        MALLOC_TRIM(0)


@contextlib.contextmanager
def collector_thresholds(thresholds: tuple[int, int, int]) -> Iterator[None]:
    before = gc.get_threshold()
    gc.set_threshold(*thresholds)
    gc.callbacks.append(_trim_after_full_collection)
    try:
        yield
    finally:
        gc.callbacks.remove(_trim_after_full_collection)
        gc.unfreeze()  # (what was frozen at startup is collectable again)
        gc.set_threshold(*before)


def create_app(container: Container | None = None, settings: Settings | None = None, *,
               clock: Callable[[], int] | None = None) -> Starlette:
    """The application; without a container, one is bootstrapped at startup (with
    ``clock`` for now, when given: tests move time instead of waiting for it)."""
    settings = container.settings if container else (settings or Settings.from_env())
    routes = all_routes()
    missing = unguarded(routes)
    if missing:
        raise RuntimeError(f"routes without an authorization policy: {missing}")

    metrics = container.metrics if container else Metrics()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        streets = (single(container) if container
                   else bootstrap_deployment(settings, metrics=metrics, clock=clock))
        app.state.deployment = streets
        app.state.container = streets.home
        try:
            with collector_thresholds(GC_THRESHOLDS):
                async with web_runtimes(list(streets)) as runtimes:
                    app.state.runtimes = runtimes
                    app.state.runtime = app.state.runtimes[streets.home.keys.street]
                    gc.collect()
                    gc.freeze()  # startup's objects: never garbage, never walked again
                    # a full collection counts the objects it keeps, and the next one waits
                    # until a quarter as many again survived: counted without the frozen
                    # ones, so that the garbage of closed sockets does not wait for
                    # hundreds of thousands of survivors
                    gc.collect()
                    yield
        finally:
            if container is None:
                await streets.aclose()

    proxies = [p.strip() for p in settings.trusted_proxies.split(",") if p.strip()]
    app = Starlette(
        routes=routes,
        middleware=[
            *([Middleware(ProxyHeadersMiddleware, trusted_hosts=proxies)] if proxies else []),
            Middleware(SecurityHeadersMiddleware, img_sources=tile_origins(
                settings.map_tiles_url, settings.map_tiles_subdomains)),
            Middleware(MetricsMiddleware, metrics=metrics),
            Middleware(BodyLimitMiddleware, default=settings.max_body_bytes,
                       by_prefix={MEDIA_PREFIX: settings.max_media_bytes + MULTIPART_SLACK_BYTES}),
        ],
        exception_handlers={
            DispatchError: on_dispatch_error,
            HTTPException: on_http_exception,
            RedisError: on_redis_error,
            Exception: on_unexpected,
        },
        lifespan=lifespan,
    )
    return app
