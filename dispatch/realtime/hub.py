"""One listener task per process fans Redis pub/sub messages out to a bounded queue per socket.

The process's one pub/sub connection subscribes to a pattern per street it serves (every
street's channels carry the street, ``keys.py``), so a process serving 27 streets listens
on one connection, as one serving a single street does; a socket subscribes to channels of
its own street only, and receives that street's messages only.

Publishers anywhere (any web process, a worker, the clock, a Lua script) PUBLISH on a
channel built by ``keys.py``; every socket subscribed to that channel in any process
receives it. On a Redis Cluster a PUBLISH on any node reaches every node, so the hub
listens on one (the master of the pattern's slot) and hears them all. A socket that
cannot keep up overflows its own queue only: the subscription is marked and the socket
decides (resync, re-deliver) without slowing the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import orjson
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from dispatch.metrics import Metrics

log = logging.getLogger("dispatch.hub")
RECONNECT_S = 1.0
READY_TIMEOUT_S = 5.0


def encode(payload: dict[str, Any]) -> bytes:
    return orjson.dumps(payload)


async def publish(client: Redis | Pipeline, channel: str, payload: dict[str, Any]) -> None:
    """Publish ``payload`` as JSON (queued when ``client`` is a pipeline)."""
    await client.publish(channel, encode(payload))


class Subscription:
    """A socket's view of the hub: a bounded queue of raw JSON messages.

    The queue and the overflow flag are made on first use (an idle socket costs neither),
    and ``notify`` is called after each message is offered (the socket's writer starts)."""

    __slots__ = ("_overflowed", "_queue", "dropped", "maxsize", "notify", "topics")

    def __init__(self, topics: Iterable[str], maxsize: int) -> None:
        self.topics = frozenset(topics)
        self.maxsize = maxsize
        self._queue: asyncio.Queue[bytes] | None = None
        self._overflowed: asyncio.Event | None = None
        self.dropped = 0
        self.notify: Callable[[], None] | None = None

    @property
    def queue(self) -> asyncio.Queue[bytes]:
        if self._queue is None:
            self._queue = asyncio.Queue(self.maxsize)
        return self._queue

    @property
    def overflowed(self) -> asyncio.Event:
        if self._overflowed is None:
            self._overflowed = asyncio.Event()
        return self._overflowed

    def offer(self, data: bytes) -> None:
        try:
            self.queue.put_nowait(data)
        except asyncio.QueueFull:
            self.dropped += 1
            self.overflowed.set()
        if self.notify is not None:
            self.notify()

    def drain(self) -> int:
        """Empty the queue (after a resync); returns how many were dropped."""
        count = 0
        queue = self.queue
        while not queue.empty():
            queue.get_nowait()
            count += 1
        self.overflowed.clear()
        return count


class Hub:
    """The listener of ``patterns`` (one street's, or every street's of a deployment) on
    one pub/sub connection of ``redis``."""

    def __init__(self, redis: Redis, patterns: str | Sequence[str], metrics: Metrics) -> None:
        self.redis = redis
        # (once each: a message matching a pattern twice would be delivered twice)
        self.patterns = tuple(dict.fromkeys([patterns] if isinstance(patterns, str)
                                            else patterns))
        if not self.patterns:
            raise ValueError("a hub listens to at least one pattern")
        self._subs: dict[str, set[Subscription]] = defaultdict(set)
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self.delivered = metrics.counter("hub_messages_total", "Messages fanned out to sockets")
        self.overflows = metrics.counter("hub_overflows_total", "Messages dropped: queue full")

    def subscribe(self, topics: Iterable[str], maxsize: int) -> Subscription:
        sub = Subscription(topics, maxsize)
        for topic in sub.topics:
            self._subs[topic].add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        for topic in sub.topics:
            subs = self._subs.get(topic)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._subs[topic]

    def deliver(self, channel: str, data: bytes) -> None:
        for sub in self._subs.get(channel, ()):
            before = sub.dropped
            sub.offer(data)
            if sub.dropped != before:
                self.overflows.inc()
            else:
                self.delivered.inc()

    async def start(self, ready_timeout_s: float = READY_TIMEOUT_S) -> None:
        """Start listening; wait a moment for the subscription (it retries without Redis)."""
        self._task = asyncio.create_task(self._run(), name="hub-listener")
        try:
            await asyncio.wait_for(self._ready.wait(), timeout=ready_timeout_s)
        except TimeoutError:
            log.warning("hub not subscribed yet (is Redis up?); it keeps retrying")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                await self._listen()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a dropped connection: resubscribe after a pause
                log.warning("hub listener failed (%s); reconnecting", exc)
                await asyncio.sleep(RECONNECT_S)

    async def _listen(self) -> None:
        # a cluster client picks the pubsub's node from its slot map: have it read first
        await self.redis.initialize()
        pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        try:
            # one command: a cluster's pubsub picks its node from the first pattern
            await pubsub.psubscribe(*self.patterns)
            self._ready.set()
            while True:
                message = await pubsub.get_message(timeout=None)
                if message is None:
                    continue
                data = message["data"]
                raw = data.encode() if isinstance(data, str) else data
                self.deliver(message["channel"], raw)
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()
