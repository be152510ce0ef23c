"""A WebSocket session: reader loop, writer task fed by the hub, errors and flood control.

Every socket endpoint (phone, team, screen) is one of these with its own handler:
a bad message gets ``{"type":"error",...}`` and the connection stays open; a flood
closes it with 1008, an oversized frame is closed by the server with 1009.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import orjson
from redis.exceptions import RedisError
from starlette import status
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from dispatch.bootstrap import WebRuntime
from dispatch.errors import BadRequest, DispatchError, Unavailable
from dispatch.identity.principal import Principal
from dispatch.observe import socket_metrics
from dispatch.realtime.hub import Subscription
from dispatch.validation import parse_json

log = logging.getLogger("dispatch.ws")
FLOOD_FACTOR = 2  # past this multiple of the rate in one second, the socket is closed
WINDOW_S = 1.0

Reply = dict[str, Any] | list[dict[str, Any]] | None
MessageHandler = Callable[["Session", dict[str, Any]], Awaitable[Reply]]
#: A handler's shortcut for its hot messages: (the seq errors refer to, the handling), or
#: None to take the general path (parse, validate, ``MessageHandler``).
FastPath = Callable[["Session", str | bytes], tuple[Any, Awaitable[Reply]] | None]


def error_message(exc: DispatchError, ref: Any = None) -> dict[str, Any]:
    """The contract's error message on a socket (``ref``: the seq it answers, if any)."""
    msg: dict[str, Any] = {"type": "error", "code": exc.code, "message": exc.message}
    if exc.field:
        msg["field"] = exc.field
    if ref is not None:
        msg["ref"] = ref
    return msg


async def _closed(data: bytes) -> None:
    """What a closed session does with a hub message: nothing."""


class Flood(Exception):
    pass


class RateWindow:
    """Messages per one-second window: over the rate is refused, far over it is a flood."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self.started = time.monotonic()
        self.count = 0

    def admit(self) -> bool:
        now = time.monotonic()
        if now - self.started >= WINDOW_S:
            self.started, self.count = now, 0
        self.count += 1
        if self.count > self.rate * FLOOD_FACTOR:
            raise Flood
        return self.count <= self.rate


class Session:
    def __init__(self, websocket: WebSocket, principal: Principal, runtime: WebRuntime,
                 topics: Iterable[str], handler: MessageHandler,
                 fast: FastPath | None = None) -> None:
        self.ws = websocket
        self.principal = principal
        self.runtime = runtime
        self.container = runtime.container
        self.handler = handler
        self.fast = fast
        settings = self.container.settings
        self.sub: Subscription = runtime.hub.subscribe(topics, settings.ws_queue_len)
        self.sub.notify = self._wake
        self._writer_task: asyncio.Task[None] | None = None
        self._open_done = False
        self.rate = RateWindow(settings.ws_rate_per_s)
        self._send_lock = asyncio.Lock()
        kind = websocket.scope.get("path", "/ws/other").rsplit("/", 1)[-1]
        self._open, self._in, self._out = socket_metrics(self.container.metrics).of(kind)
        self.on_overflow: Callable[[Session], Awaitable[None]] | None = None
        #: What the writer does with each hub message (default: forward it as is).
        self.deliver: Callable[[bytes], Awaitable[None]] = self.send_raw

    async def send(self, message: dict[str, Any]) -> None:
        await self.send_raw(orjson.dumps(message))

    async def send_raw(self, data: bytes) -> None:
        async with self._send_lock:
            await self.ws.send_text(data.decode())
        self._out.inc()

    async def send_error(self, exc: DispatchError, ref: Any = None) -> None:
        await self.send(error_message(exc, ref))

    def _wake(self) -> None:
        """A hub message is queued: start the writer unless it runs (or the socket is
        still opening; its messages wait in order)."""
        if self._writer_task is None and self._open_done:
            self._writer_task = asyncio.create_task(self._writer(), name="ws-writer")

    async def _writer(self) -> None:
        """Send what is queued, then end (an idle socket keeps no task). A queue can
        only overflow while it is full, that is while this loop is busy sending, so
        checking the flag after each message is enough."""
        queue = self.sub.queue
        try:
            while not queue.empty():
                await self.deliver(queue.get_nowait())
                if self.sub.dropped and self.sub.overflowed.is_set():
                    self.sub.drain()
                    if self.on_overflow is not None:
                        await self.on_overflow(self)
        finally:
            self._writer_task = None

    async def _handle(self, raw: str | bytes) -> None:
        ref = None
        self._in.inc()
        try:
            if not self.rate.admit():
                raise DispatchError("too many messages; slow down", code="rate_limited")
            shortcut = self.fast(self, raw) if self.fast is not None else None
            if shortcut is not None:
                ref, handling = shortcut
                reply = await handling
            else:
                message = parse_json(raw)
                if not isinstance(message, dict) or not isinstance(message.get("type"), str):
                    raise BadRequest("a message is a JSON object with a string 'type'",
                                     code="invalid_message")
                ref = message.get("seq")
                reply = await self.handler(self, message)
        except DispatchError as exc:
            await self.send_error(exc, ref)
            return
        except RedisError:
            await self.send_error(Unavailable("the store is not reachable; try again shortly",
                                              code="redis_unreachable"), ref)
            return
        await self._reply(reply)

    async def _reply(self, reply: Reply) -> None:
        for item in [reply] if isinstance(reply, dict) else (reply or []):
            await self.send(item)

    async def run(self, on_open: Callable[[Session], Awaitable[None]] | None = None) -> None:
        """Accept, then serve until the client leaves; every task is cancelled on the way out."""
        if self.ws.application_state is WebSocketState.CONNECTING:
            await self.ws.accept()  # (already accepted when it authenticated by message)
        self._open.inc()
        try:
            if on_open is not None:  # hub messages queue up meanwhile, in order
                await on_open(self)
            self._open_done = True
            if self.sub._queue is not None and not self.sub.queue.empty():
                self._wake()
            while True:
                message = await self.ws.receive()
                if message["type"] == "websocket.disconnect":
                    break
                await self._handle(message.get("text") or message.get("bytes") or b"")
        except Flood:
            await self.ws.close(status.WS_1008_POLICY_VIOLATION, "message flood")
        except WebSocketDisconnect:
            pass
        finally:
            self.sub.notify = None
            writer = self._writer_task
            if writer is not None:
                writer.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await writer
            self._open.dec()
            self.runtime.heap.socket_closed()
            self.runtime.hub.unsubscribe(self.sub)
            # the socket's reference cycles (bound methods of itself and of its stream)
            # broken: its objects go when it closes, not at some later full collection
            self.deliver = _closed
            self.on_overflow = None
            if self.ws.application_state == WebSocketState.CONNECTED:
                with contextlib.suppress(Exception):
                    await self.ws.close()
