"""Live positions for the screens: sent at once when the process is idle, coalesced under load.

Every accepted newest fix replaces the worker's pending item. When the process is
idle a position goes out in the next loop turn as its own ``positions`` event (the
fixes that arrived in the same turn share it). Under load the gap between two events
grows with what the last one cost (its emit round trip, which includes the time the
event loop was busy fanning the previous one out to the screens), bounded by
``max_wait_ms``: a position never waits longer than that to be sent, and with many
phones the events carry many items each instead of one event per fix.
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
#: The gap after an event is this many times what the event cost to emit.
LOAD_FACTOR = 4.0


class PositionsCoalescer:
    def __init__(self, events: Events, max_wait_ms: int, metrics: Metrics) -> None:
        self.events = events
        self.max_gap_s = max_wait_ms / MS_PER_S
        self._pending: dict[str, dict[str, Any]] = {}
        self._wake = asyncio.Event()
        self._next = 0.0  # monotonic time before which the next event waits
        self._task: asyncio.Task[None] | None = None
        self.flushed = metrics.counter("positions_events_total", "positions events emitted")
        self.items = metrics.counter("positions_items_total", "worker positions in them")

    def offer(self, item: dict[str, Any]) -> None:
        """Queue a worker's newest position (replacing one not yet sent)."""
        self._pending[item["worker"]] = item
        if not self._wake.is_set():
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
            delay = self._next - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                await asyncio.sleep(0)  # the fixes of this loop turn join the event
            started = time.monotonic()
            try:
                await self.flush()
            except Exception:  # Redis away: these positions are lost, newer ones follow
                log.exception("positions flush failed")
            ended = time.monotonic()
            self._next = ended + min(self.max_gap_s, LOAD_FACTOR * (ended - started))

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
