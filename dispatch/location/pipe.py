"""A Redis connection of its own for the ingest hot path.

Script calls made during one turn of the event loop go out as one write, and their
replies are read in order with hiredis. redis-py costs about 100 us of CPU per
command here (pool checkout, timeouts, encoding, parsing): more than the rest of a
ping's path. Through this pipe a call costs a few microseconds, and all the pings
that arrived in the same loop turn share one round trip.

Why it is kept beside redis-py: bench_ingest measures the whole path of a phone's ping
(socket, filter, store, positions) at 170 us of server CPU through this pipe against
372 us through redis-py (2.6x and 5.6x a bare WebSocket endpoint's 66 us, 50 phones x
100 pings, same run). Only the web runtime uses it (``web_runtime`` opens and closes it;
``DISPATCH_INGEST_PIPE=false`` turns it off) and the ingest tests run through both.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import ssl
from collections import deque
from collections.abc import Sequence
from typing import Any

import hiredis
from redis.connection import parse_url
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from dispatch.scripts import LuaScript, R, ScriptCall

READ_CHUNK = 256 * 1024
NOSCRIPT = "NOSCRIPT"
CONNECT_TIMEOUT_S = 5.0


def encode_command(parts: Sequence[Any]) -> bytes:
    """One command in RESP (an array of bulk strings): str, bytes, int or float parts
    (hiredis's encoder: a third of the CPU of doing it in Python, same bytes)."""
    try:
        return bytes(hiredis.pack_command(tuple(parts)))
    except TypeError as exc:
        raise TypeError(f"cannot send to redis: {exc}") from None


class ScriptPipe:
    def __init__(self, url: str) -> None:
        self.params = parse_url(url)
        self.tls = url.startswith("rediss://")
        self._shas: dict[str, str] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._reader_task: asyncio.Task[None] | None = None
        self._waiting: deque[asyncio.Future[Any]] = deque()
        self._outbox: list[bytes] = []
        self._connecting: asyncio.Lock | None = None

    @property
    def connected(self) -> bool:
        return self._writer is not None

    def _sha(self, script: LuaScript) -> str:
        sha = self._shas.get(script.name)
        if sha is None:
            sha = self._shas[script.name] = hashlib.sha1(script.source.encode()).hexdigest()
        return sha

    async def run(self, call: ScriptCall[R]) -> R:
        """Run a typed script call (see ``dispatch.scripts``) and read its reply."""
        return call.from_reply(await self.call(call.script, call.to_keys(), call.to_argv()))

    async def call(self, script: LuaScript, keys: Sequence[str], args: Sequence[Any]) -> Any:
        """EVALSHA ``script`` (loaded on the first NOSCRIPT), as a script call of redis-py."""
        command = ["EVALSHA", self._sha(script), len(keys), *keys, *args]
        try:
            return await self.execute(command)
        except ResponseError as exc:
            if not str(exc).startswith(NOSCRIPT):
                raise
        await self.execute(["SCRIPT", "LOAD", script.source])
        return await self.execute(command)

    async def execute(self, command: Sequence[Any]) -> Any:
        """Queue one command for this loop turn's write; its reply."""
        loop = asyncio.get_running_loop()
        if self._writer is None or self._loop is not loop:
            await self._ensure_connected()
        future: asyncio.Future[Any] = loop.create_future()
        if not self._outbox:
            loop.call_soon(self._flush)
        self._outbox.append(encode_command(command))
        self._waiting.append(future)
        return await future

    def _flush(self) -> None:
        if self._writer is None or not self._outbox:
            return
        data, self._outbox = b"".join(self._outbox), []
        self._writer.write(data)

    async def _ensure_connected(self) -> None:
        loop = asyncio.get_running_loop()
        if self._writer is not None and self._loop is loop:
            return
        if self._loop is not loop:  # a new event loop (tests): start afresh
            self._forget(RedisConnectionError("the event loop changed"))
            self._loop, self._connecting = loop, asyncio.Lock()
        assert self._connecting is not None
        async with self._connecting:
            if self._writer is None:
                await self._connect()

    async def _connect(self) -> None:
        p = self.params
        if "path" in p:
            opened = asyncio.open_unix_connection(p["path"])
        else:
            opened = asyncio.open_connection(p.get("host", "localhost"), p.get("port", 6379),
                                             ssl=ssl.create_default_context() if self.tls
                                             else None)
        reader, writer = await asyncio.wait_for(opened, CONNECT_TIMEOUT_S)
        self._writer = writer
        self._reader_task = asyncio.create_task(self._read(reader), name="script-pipe-reader")
        if p.get("password"):
            user = [p["username"]] if p.get("username") else []
            await self.execute(["AUTH", *user, p["password"]])
        if p.get("db"):
            await self.execute(["SELECT", p["db"]])

    async def _read(self, reader: asyncio.StreamReader) -> None:
        parser = hiredis.Reader(encoding="utf-8", replyError=ResponseError)
        try:
            while True:
                data = await reader.read(READ_CHUNK)
                if not data:
                    raise RedisConnectionError("redis closed the connection")
                parser.feed(data)
                reply = parser.gets()
                while reply is not False:
                    future = self._waiting.popleft()
                    if not future.done():
                        if isinstance(reply, ResponseError):
                            future.set_exception(reply)
                        else:
                            future.set_result(reply)
                    reply = parser.gets()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the connection is gone: fail what waits, reconnect later
            self._forget(exc)

    def _forget(self, exc: BaseException) -> None:
        writer, self._writer = self._writer, None
        self._outbox = []
        while self._waiting:
            future = self._waiting.popleft()
            if not future.done():
                future.set_exception(RedisConnectionError(str(exc)))
        if writer is not None:
            with contextlib.suppress(Exception):
                writer.close()

    async def aclose(self) -> None:
        task, self._reader_task = self._reader_task, None
        writer = self._writer
        self._forget(RedisConnectionError("closed"))
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if writer is not None:
            with contextlib.suppress(Exception):
                await writer.wait_closed()
