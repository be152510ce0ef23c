"""Waiting in tests: always for a condition, polled, never for a set time."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable

POLL_S = 0.02
TIMEOUT_S = 10.0


def wait_until(check: Callable[[], object], what: str, timeout_s: float = TIMEOUT_S) -> None:
    """Poll ``check`` until it is true; fail naming ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(POLL_S)


async def until(check: Callable[[], object | Awaitable[object]], what: str,
                timeout_s: float = TIMEOUT_S) -> None:
    """The asynchronous twin of :func:`wait_until` (``check`` may be a coroutine function)."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = check()
        if inspect.isawaitable(found):
            found = await found
        if found:
            return
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(POLL_S)


def wait_for(check: Callable[[], object], what: str, timeout_s: float = TIMEOUT_S,
             ignoring: tuple[type[BaseException], ...] = ()) -> object:
    """Poll ``check`` until it gives something true and return that; an exception of
    ``ignoring`` (a process not answering yet) counts as not yet."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            found = check()
        except ignoring:
            found = None
        if found:
            return found
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(POLL_S)
