"""A Redis connection of its own for the ingest hot path.

Script calls made during one turn of the event loop go out as one write, and their
replies are read in order with hiredis. redis-py costs about 100 us of CPU per
command here (pool checkout, timeouts, encoding, parsing): more than the rest of a
ping's path. Through this pipe a call costs a few microseconds, and all the pings
that arrived in the same loop turn share one round trip.

Why it is kept beside redis-py: bench_ingest measures the whole path of a phone's ping
(socket, filter, store, positions) at 170 us of server CPU through this pipe against
372 us through redis-py (2.6x and 5.6x a bare WebSocket endpoint's 66 us, 50 phones x
100 pings, same run). Only the web process uses it: one per process, shared by every street
it serves (``bootstrap.web_runtimes`` opens and closes it; ``DISPATCH_INGEST_PIPE=false``
turns it off), and the ingest tests run through both.

On a Redis Cluster, :class:`ClusterScriptPipe` keeps one such pipe per master and sends
each call to the master of its first key's slot (every key of a call shares the street's
hash tag), refreshing its slot map from ``CLUSTER SLOTS`` on ``MOVED``, ``CLUSTERDOWN`` or a
lost connection (a replica promoted after a failover takes over).

:meth:`ScriptPipe.call_acked` sends a script call and ``WAIT`` back to back on the one
connection, so the answer says how many replicas have the change (``DISPATCH_WAIT_REPLICAS``).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import ssl
from collections import deque
from collections.abc import Sequence
from typing import Any, Protocol

import hiredis
from redis.connection import parse_url
from redis.crc import REDIS_CLUSTER_HASH_SLOTS, key_slot
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from dispatch.connections import is_cluster, parse_cluster_url
from dispatch.errors import Unavailable
from dispatch.scripts import LuaScript, R, ScriptCall

log = logging.getLogger("dispatch.pipe")
READ_CHUNK = 256 * 1024
NOSCRIPT = "NOSCRIPT"
CONNECT_TIMEOUT_S = 5.0
#: Answers of a cluster node that mean "not run here: ask the slot map again".
REROUTE_ERRORS = ("MOVED", "ASK", "CLUSTERDOWN", "TRYAGAIN")
#: How often a cluster call is sent again after a reroute answer (it was not run), and the
#: pause before each (a failover takes the cluster's node timeout and an election).
REROUTE_TRIES = 40
REROUTE_PAUSE_S = 0.1


class NotReplicated(Unavailable):
    """A change made on the master that no replica confirmed in time."""

    code = "not_replicated"


class AckedPipe(Protocol):
    """What runs a script and then ``WAIT`` on the same connection."""

    async def call_acked(self, script: LuaScript, keys: Sequence[str], args: Sequence[Any],
                         replicas: int, timeout_ms: int) -> tuple[Any, int]: ...

    async def aclose(self) -> None: ...


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

    async def call_acked(self, script: LuaScript, keys: Sequence[str], args: Sequence[Any],
                         replicas: int, timeout_ms: int) -> tuple[Any, int]:
        """The script's reply, and how many replicas had it within ``timeout_ms`` (``WAIT``
        sent right after it on this connection)."""
        command = ["EVALSHA", self._sha(script), len(keys), *keys, *args]
        wait = ["WAIT", replicas, timeout_ms]
        for attempt in range(2):
            reply, acked = await self._send_together([command, wait])
            if isinstance(reply, ResponseError) and str(reply).startswith(NOSCRIPT) \
                    and attempt == 0:
                await self.execute(["SCRIPT", "LOAD", script.source])
                continue
            if isinstance(reply, BaseException):
                raise reply
            if isinstance(acked, BaseException):
                raise acked
            return reply, int(acked)
        raise AssertionError("unreachable")

    async def execute(self, command: Sequence[Any]) -> Any:
        """Queue one command for this loop turn's write; its reply."""
        (reply,) = await self._send_together([command])
        if isinstance(reply, BaseException):
            raise reply
        return reply

    async def _send_together(self, commands: Sequence[Sequence[Any]]) -> list[Any]:
        """Queue ``commands`` one after the other in this loop turn's write; their replies
        (an error reply as the exception, not raised)."""
        loop = asyncio.get_running_loop()
        if self._writer is None or self._loop is not loop:
            await self._ensure_connected()
        if not self._outbox:
            loop.call_soon(self._flush)
        futures: list[asyncio.Future[Any]] = []
        for command in commands:
            future: asyncio.Future[Any] = loop.create_future()
            self._outbox.append(encode_command(command))
            self._waiting.append(future)
            futures.append(future)
        if len(futures) == 1:  # the common call: its reply without a gathering future
            try:
                return [await futures[0]]
            except Exception as exc:
                return [exc]
        return list(await asyncio.gather(*futures, return_exceptions=True))

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
        try:
            reader, writer = await asyncio.wait_for(opened, CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError) as exc:  # refused, unreachable: Redis is not there
            raise RedisConnectionError(f"cannot connect to redis: {exc}") from exc
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


def reroute(exc: BaseException) -> bool:
    """Whether a cluster's answer means the call was not run and the slot map changed."""
    return isinstance(exc, ResponseError) and str(exc).startswith(REROUTE_ERRORS)


class ClusterScriptPipe:
    """One :class:`ScriptPipe` per master of a Redis Cluster; a call goes to the master of
    its first key's slot. A call answered ``MOVED``/``CLUSTERDOWN`` was not run and is sent
    again after the map is refreshed; a call whose connection broke is not (it may have run):
    it fails, and the map is refreshed for the next ones."""

    def __init__(self, url: str) -> None:
        address = parse_cluster_url(url)
        self._scheme = "rediss" if address.tls else "redis"
        self._auth = (f"{address.username or ''}:{address.password}@"
                      if address.password is not None else "")
        self._seeds = list(address.nodes)
        self._pipes: dict[tuple[str, int], ScriptPipe] = {}
        self._slots: list[tuple[str, int] | None] = [None] * REDIS_CLUSTER_HASH_SLOTS
        self._mapped = False
        #: Nodes whose connection failed last: asked for the map after the others.
        self._failed: set[tuple[str, int]] = set()
        self._refreshing: asyncio.Lock | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _pipe(self, node: tuple[str, int]) -> ScriptPipe:
        pipe = self._pipes.get(node)
        if pipe is None:
            host, port = node
            pipe = self._pipes[node] = ScriptPipe(f"{self._scheme}://{self._auth}{host}:{port}/0")
        return pipe

    async def refresh(self) -> None:
        """Read the slot map from the first node that answers (known masters, then seeds)."""
        loop = asyncio.get_running_loop()
        if self._refreshing is None or self._loop is not loop:
            self._refreshing, self._loop = asyncio.Lock(), loop
        async with self._refreshing:
            known = list(dict.fromkeys([*self._pipes, *self._seeds]))
            candidates = sorted(known, key=lambda node: node in self._failed)
            last: BaseException | None = None
            for node in candidates:
                try:
                    ranges = await self._pipe(node).execute(["CLUSTER", "SLOTS"])
                except (RedisConnectionError, OSError, ResponseError) as exc:
                    last = exc
                    self._failed.add(node)
                    continue
                self._failed.discard(node)
                slots: list[tuple[str, int] | None] = [None] * REDIS_CLUSTER_HASH_SLOTS
                for start, end, master, *_ in ranges:
                    owner = (str(master[0]) or node[0], int(master[1]))
                    for slot in range(int(start), int(end) + 1):
                        slots[slot] = owner
                self._slots, self._mapped = slots, True
                return
            raise RedisConnectionError(f"no cluster node answers CLUSTER SLOTS ({last})")

    async def _route(self, key: str) -> tuple[tuple[str, int], ScriptPipe]:
        if not self._mapped:
            await self.refresh()
        node = self._slots[key_slot(key.encode())]
        if node is None:
            await self.refresh()
            node = self._slots[key_slot(key.encode())]
            if node is None:
                raise RedisConnectionError(f"no master serves the slot of {key}")
        return node, self._pipe(node)

    async def _routed(self, key: str, send: Any) -> Any:
        for _ in range(REROUTE_TRIES):
            node, pipe = await self._route(key)
            try:
                return await send(pipe)
            except (RedisConnectionError, OSError):
                self._mapped = False  # a dead master: ask again next time, others first
                self._failed.add(node)
                raise
            except ResponseError as exc:
                if not reroute(exc):
                    raise
                log.info("cluster answered %s; refreshing the slot map", str(exc)[:40])
                await asyncio.sleep(REROUTE_PAUSE_S)
                with contextlib.suppress(RedisConnectionError):
                    await self.refresh()
        raise RedisConnectionError(f"the slot of {key} did not settle")

    async def run(self, call: ScriptCall[R]) -> R:
        return call.from_reply(await self.call(call.script, call.to_keys(), call.to_argv()))

    async def call(self, script: LuaScript, keys: Sequence[str], args: Sequence[Any]) -> Any:
        return await self._routed(keys[0], lambda pipe: pipe.call(script, keys, args))

    async def call_acked(self, script: LuaScript, keys: Sequence[str], args: Sequence[Any],
                         replicas: int, timeout_ms: int) -> tuple[Any, int]:
        return await self._routed(  # type: ignore[no-any-return]
            keys[0], lambda pipe: pipe.call_acked(script, keys, args, replicas, timeout_ms))

    async def aclose(self) -> None:
        pipes, self._pipes = list(self._pipes.values()), {}
        for pipe in pipes:
            await pipe.aclose()


def make_pipe(url: str) -> ScriptPipe | ClusterScriptPipe:
    """The ingest's own connection(s) to the store at ``url``."""
    return ClusterScriptPipe(url) if is_cluster(url) else ScriptPipe(url)


class AckedScripts:
    """A script runner whose every call is acknowledged only once ``replicas`` replicas
    have it (``WAIT`` on the same connection, at most ``timeout_ms``): a change the caller
    was told about survives the loss of its master. Fewer replicas in time: the call
    raises :class:`NotReplicated` (the change is made, but not promised)."""

    def __init__(self, pipe: AckedPipe, replicas: int, timeout_ms: int) -> None:
        self.pipe = pipe
        self.replicas = replicas
        self.timeout_ms = timeout_ms

    async def run(self, call: ScriptCall[R]) -> R:
        reply, acked = await self.pipe.call_acked(call.script, call.to_keys(), call.to_argv(),
                                                  self.replicas, self.timeout_ms)
        if acked < self.replicas:
            raise NotReplicated(
                f"the change reached {acked} of {self.replicas} replicas in "
                f"{self.timeout_ms} ms; it is not confirmed, try again shortly",
                code="not_replicated")
        return call.from_reply(reply)

    async def aclose(self) -> None:
        await self.pipe.aclose()
