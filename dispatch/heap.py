"""What closed sockets leave in a web process: their cyclic garbage and the C heap's pages.

The web process's collector thresholds are raised (dispatch.app), so a full collection
comes rarely, and the cyclic garbage of closed sockets waited for it in the oldest
generation: RSS climbed by a third with each reconnect storm of 2,000 phones
(bench_reconnect: 226 -> 304 -> 349 MiB), while a full collection between storms kept it
flat. Sockets' buffers (WebSocket frames, compression state) live in the C heap, whose
free pages glibc keeps unless told. So once ``COLLECT_AFTER`` sockets have closed, a full
collection runs (at most every ``CHECK_EVERY_S``; it walks only what was made after
startup), and after each full collection the heap's free pages go back (``malloc_trim``).
"""

from __future__ import annotations

import asyncio
import ctypes
import gc
from collections.abc import Callable
from typing import cast

#: How often the count of closed sockets is looked at.
CHECK_EVERY_S = 5.0
#: A full collection once this many sockets closed since the last one.
COLLECT_AFTER = 100
FULL_GENERATION = 2


def _libc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim`` (None elsewhere: musl, macOS)."""
    try:
        trim = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return cast(Callable[[int], int], trim)


MALLOC_TRIM = _libc_trim()


class HeapTrim:
    """Counts the sockets that closed; :meth:`run` collects their garbage once enough did."""

    def __init__(self, collect: Callable[[int], int] = gc.collect,
                 every_s: float = CHECK_EVERY_S, after: int = COLLECT_AFTER) -> None:
        self.collect = collect
        self.every_s = every_s
        self.after = after
        self.closed = 0
        self.collected_at = 0  # the count of closed sockets at the last collection
        self.collections = 0

    def socket_closed(self) -> None:
        self.closed += 1

    def step(self) -> bool:
        """A full collection when enough sockets closed since the last; whether it ran."""
        if self.closed - self.collected_at < self.after:
            return False
        self.collected_at = self.closed
        self.collect(FULL_GENERATION)  # (the heap is trimmed after it: dispatch.app)
        self.collections += 1
        return True

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.every_s)
            self.step()
