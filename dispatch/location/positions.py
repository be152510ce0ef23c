"""Live positions for the screens, coalesced per web process.

Every accepted newest fix replaces the worker's pending item; a background task
sends the pending items as ONE ``positions`` screen event, at most every
``interval_ms``. With thousands of phones that is a couple of events a second
instead of a thousand, and a worker moving fast still shows only their latest fix.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from dispatch.clock import MS_PER_S
from dispatch.metrics import Metrics
from dispatch.realtime.events import Events

log = logging.getLogger("dispatch.positions")
POSITIONS = "positions"


class PositionsCoalescer:
    def __init__(self, events: Events, interval_ms: int, metrics: Metrics) -> None:
        self.events = events
        self.interval_s = interval_ms / MS_PER_S
        self._pending: dict[str, dict[str, Any]] = {}
        self._wake = asyncio.Event()
        self._last = 0.0
        self._task: asyncio.Task[None] | None = None
        self.flushed = metrics.counter("positions_events_total", "positions events emitted")
        self.items = metrics.counter("positions_items_total", "worker positions in them")

    def offer(self, item: dict[str, Any]) -> None:
        """Queue a worker's newest position (replacing one not yet sent)."""
        self._pending[item["worker"]] = item
        self._wake.set()

    async def flush(self) -> int:
        """Emit what is pending as one event; returns the number of items."""
        items, self._pending = list(self._pending.values()), {}
        self._wake.clear()
        if not items:
            return 0
        await self.events.emit({"type": POSITIONS, "items": items})
        self.flushed.inc()
        self.items.inc(len(items))
        return len(items)

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            delay = self._last + self.interval_s - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            self._last = time.monotonic()
            try:
                await self.flush()
            except Exception:  # Redis away: these positions are lost, newer ones follow
                log.exception("positions flush failed")

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="positions-flush")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        with contextlib.suppress(Exception):
            await self.flush()
