"""Pure ASGI middleware: the request body limit and per-endpoint metrics."""

from __future__ import annotations

import time
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dispatch.errors import PayloadTooLarge
from dispatch.http.responses import error_response
from dispatch.metrics import Metrics


class BodyLimitMiddleware:
    """Refuse request bodies over a limit (per path prefix) with 413, before they are read."""

    def __init__(self, app: ASGIApp, *, default: int, by_prefix: Mapping[str, int]) -> None:
        self.app = app
        self.default = default
        self.by_prefix = sorted(by_prefix.items(), key=lambda kv: -len(kv[0]))

    def limit_for(self, path: str) -> int:
        for prefix, limit in self.by_prefix:
            if path.startswith(prefix):
                return limit
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        too_large = PayloadTooLarge(f"the request body is larger than {limit} bytes",
                                    limit_bytes=limit)
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await error_response(too_large)(scope, receive, send)
                return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise too_large
            return message

        await self.app(scope, limited, send)


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

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
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
            endpoint = getattr(scope.get("endpoint"), "__name__", "unmatched")
            self.requests.labels(endpoint, scope["method"], str(status)).inc()
            self.seconds.labels(endpoint).observe(time.perf_counter() - started)
