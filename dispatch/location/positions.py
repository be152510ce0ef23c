"""Live positions for the screens: sent at once when the process is idle, coalesced under load.

Every accepted newest fix replaces the worker's pending item. A position that arrives
when no ``positions`` event went out in the last ``max_wait_ms`` goes out in the next
loop turn (with the fixes that arrived in the same turn). Otherwise it waits for the
end of that interval and shares the event with everything that arrived meanwhile: a
position never waits longer than ``max_wait_ms``, and however many phones ping, a
process sends at most one event per interval, so the fan-out to every screen socket
(the cost that grows with phones x screens) stays bounded.
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
            self._next = time.monotonic() + self.max_gap_s
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
