"""Pure ASGI middleware: the request body limit and per-endpoint metrics.

Both sit in front of every request, the trackers' one-fix POSTs included: each keeps its
per-request work to a few dictionary look-ups (limits and metric children found once per
path and label set, the body watched only when its length is not declared)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Mapping
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dispatch.errors import PayloadTooLarge
from dispatch.http.responses import error_response
from dispatch.metrics import Metrics

#: Paths whose limit is remembered before the cache starts again (paths carry ids).
LIMITS_CACHED = 4096


class BodyLimitMiddleware:
    """Refuse request bodies over a limit (per path prefix) with 413, before they are read."""

    def __init__(self, app: ASGIApp, *, default: int, by_prefix: Mapping[str, int]) -> None:
        self.app = app
        self.default = default
        self.by_prefix = sorted(by_prefix.items(), key=lambda kv: -len(kv[0]))
        self._limits: dict[str, int] = {}

    def limit_for(self, path: str) -> int:
        limit = self._limits.get(path)
        if limit is None:
            limit = self.default
            for prefix, value in self.by_prefix:
                if path.startswith(prefix):
                    limit = value
                    break
            if len(self._limits) >= LIMITS_CACHED:
                self._limits.clear()
            self._limits[path] = limit
        return limit

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # not a coroutine itself: a socket's lifetime keeps no frame of this layer
        if scope["type"] != "http":
            return self.app(scope, receive, send)
        return self._http(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.limit_for(scope["path"])
        declared: int | None = None
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                declared = int(value) if value.isdigit() else None
                break
        if declared is not None:
            if declared > limit:
                await error_response(_too_large(limit))(scope, receive, send)
                return
            # the server reads no more than the declared length: nothing to watch
            await self.app(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _too_large(limit)
            return message

        await self.app(scope, limited, send)


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"the request body is larger than {limit} bytes", limit_bytes=limit)


class MetricsMiddleware:
    """Count requests and time them, labelled by endpoint name and status."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.requests = metrics.counter(
            "http_requests_total", "HTTP requests", ["endpoint", "method", "status"]
        )
        self.seconds = metrics.histogram(
            "http_request_seconds", "HTTP request handling time", ["endpoint"]
        )
        # the labelled children, found once (``labels`` validates and locks on every call)
        self._counted: dict[tuple[str, str, int], Any] = {}
        self._timed: dict[str, Any] = {}

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        if scope["type"] != "http":  # (as above: no frame kept for a socket)
            return self.app(scope, receive, send)
        return self._http(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            self._record(scope, status, time.perf_counter() - started)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        endpoint = getattr(scope.get("endpoint"), "__name__", "unmatched")
        key = (endpoint, scope["method"], status)
        counted = self._counted.get(key)
        if counted is None:
            counted = self._counted[key] = self.requests.labels(endpoint, key[1], str(status))
        counted.inc()
        timed = self._timed.get(endpoint)
        if timed is None:
            timed = self._timed[endpoint] = self.seconds.labels(endpoint)
        timed.observe(seconds)
