"""Prometheus metrics of one process, in a registry of its own."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
PREFIX = "dispatch_"


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
