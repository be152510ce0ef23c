"""A WebSocket that stays connected: reconnects with backoff, counts every reconnect.

One task per socket reads messages and hands each, decoded, to a handler; sending is
done by whoever holds the :class:`Socket` (``send`` returns False while it is down).
A phone in a dead spot takes it ``offline``: the connection is dropped and not tried
again until the signal is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException

from clients.simulator.stats import RECONNECTS, Stats

BACKOFF_FIRST_S = 0.5
BACKOFF_MAX_S = 30.0
BACKOFF_FACTOR = 2.0
BACKOFF_JITTER = 0.3
OPEN_TIMEOUT_S = 15.0
CLOSE_TIMEOUT_S = 2.0
#: Largest frame accepted (a screen's snapshot of a busy street is large).
MAX_FRAME = 32 * 1024 * 1024

Handler = Callable[[dict[str, Any]], Awaitable[None]]
OpenHook = Callable[["Socket"], Awaitable[None]]
CloseHook = Callable[["Socket"], Awaitable[None]]


class Socket:
    def __init__(self, base: str, path: str, token: str, handler: Handler, stats: Stats,
                 rng: random.Random, *, label: str,
                 query: Callable[[], dict[str, str]] | None = None) -> None:
        self.base = base
        self.path = path
        self.token = token
        self.handler = handler
        self.stats = stats
        self.rng = rng
        self.label = label
        self.query = query
        self.ws: ClientConnection | None = None
        self.online = asyncio.Event()
        self.online.set()
        self.connected = asyncio.Event()
        self.on_open: OpenHook | None = None
        self.on_close: CloseHook | None = None
        self.opened = 0

    def url(self) -> str:
        params = {"token": self.token, **(self.query() if self.query else {})}
        return f"{self.base}{self.path}?{urlencode(params)}"

    async def send(self, message: dict[str, Any]) -> bool:
        ws = self.ws
        if ws is None:
            return False
        try:
            await ws.send(orjson.dumps(message), text=True)
        except (ConnectionClosed, OSError):
            return False
        return True

    async def offline(self) -> None:
        """The phone lost its signal: drop the connection until ``back_online``."""
        self.online.clear()
        ws = self.ws
        if ws is not None:
            with contextlib.suppress(Exception):
                await ws.close()

    def back_online(self) -> None:
        self.online.set()

    def _backoff(self, delay: float) -> float:
        return delay * (1.0 + self.rng.uniform(-BACKOFF_JITTER, BACKOFF_JITTER))

    async def run(self) -> None:
        """Connect, read until closed, reconnect; runs until cancelled."""
        delay = BACKOFF_FIRST_S
        while True:
            await self.online.wait()
            try:
                async with connect(self.url(), open_timeout=OPEN_TIMEOUT_S,
                                   close_timeout=CLOSE_TIMEOUT_S, max_size=MAX_FRAME,
                                   compression=None, proxy=None) as ws:
                    delay = BACKOFF_FIRST_S
                    await self._serve(ws)
            except InvalidStatus as exc:
                self.stats.error(f"{self.label} refused {exc.response.status_code}", str(exc))
            except (ConnectionClosed, WebSocketException, OSError, TimeoutError) as exc:
                if self.online.is_set():
                    self.stats.error(f"{self.label} connection", f"{type(exc).__name__}: {exc}")
            if self.opened:
                self.stats.add(RECONNECTS)
            if self.online.is_set():
                await asyncio.sleep(self._backoff(delay))
                delay = min(BACKOFF_MAX_S, delay * BACKOFF_FACTOR)

    async def _handle(self, raw: str | bytes) -> None:
        try:
            await self.handler(orjson.loads(raw))
        except (ConnectionClosed, asyncio.CancelledError):
            raise
        except Exception as exc:  # one bad message must not kill the socket
            self.stats.error(f"{self.label} handler", f"{type(exc).__name__}: {exc}")

    async def _serve(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.opened += 1
        self.connected.set()
        try:
            if self.on_open is not None:
                await self.on_open(self)
            async for raw in ws:
                await self._handle(raw)
        finally:
            self.ws = None
            self.connected.clear()
            if self.on_close is not None:
                await self.on_close(self)
