"""Prometheus metrics of one process, in a registry of its own."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    start_http_server,
)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
PREFIX = "dispatch_"
#: A worker or clock whose metrics port is taken tries the next ones (several on a host).
PORT_TRIES = 16
#: The label naming the street a figure is of (a clock or worker serves several streets).
STREET_LABEL = "street"
log = logging.getLogger("dispatch.metrics")


class Metrics:
    """Get-or-create access to counters, gauges and histograms by name."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._made: dict[str, Any] = {}

    def _get(self, kind: type, name: str, doc: str, labels: Sequence[str], **kw: Any) -> Any:
        full = PREFIX + name
        found = self._made.get(full)
        if found is None:
            found = kind(full, doc, list(labels), registry=self.registry, **kw)
            self._made[full] = found
        return found

    def counter(self, name: str, doc: str, labels: Sequence[str] = ()) -> Counter:
        return self._get(Counter, name, doc, labels)  # type: ignore[no-any-return]

    def gauge(self, name: str, doc: str, labels: Sequence[str] = ()) -> Gauge:
        return self._get(Gauge, name, doc, labels)  # type: ignore[no-any-return]

    def histogram(
        self, name: str, doc: str, labels: Sequence[str] = (), buckets: Sequence[float] = ()
    ) -> Histogram:
        extra = {"buckets": list(buckets)} if buckets else {}
        return self._get(Histogram, name, doc, labels, **extra)  # type: ignore[no-any-return]

    def render(self) -> bytes:
        return bytes(generate_latest(self.registry))

    def serve(self, host: str, port: int, tries: int = PORT_TRIES) -> int | None:
        """Export this registry over HTTP (``/metrics``) from a thread, on ``port`` or, when
        it is taken (another worker on this host), the next free one; None when port is 0
        or none is free."""
        if port == 0:
            return None
        for candidate in range(port, port + tries):
            try:
                start_http_server(candidate, addr=host, registry=self.registry)
            except OSError:
                continue
            log.info("metrics on http://%s:%d/metrics", host, candidate)
            return candidate
        log.warning("no free metrics port in %d-%d; metrics not exported", port,
                    port + tries - 1)
        return None
