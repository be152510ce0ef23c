"""The phone protocols a grid worker's phone may speak: our socket, OsmAnd, OwnTracks.

Every phone takes live fixes with ``fix`` and fixes buffered in a dead spot with
``upload_late``. Our socket batches fixes every few seconds and waits for acks; what
it could not deliver goes up late (shuffled, now and then twice) through
``POST /api/v1/locations``. OsmAnd / Traccar Client and OwnTracks send one request
per fix, the buffered ones oldest first, as those apps do.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol

from clients.simulator.context import Ctx
from clients.simulator.sockets import Socket
from clients.simulator.stats import (
    ACK_MS,
    ACKS,
    ALERTS,
    LATE_UPLOADED,
    PINGS,
    TASKS,
    pings_of,
)

MS_PER_S = 1000
#: Simulated seconds between two fixes, and between two socket batches.
FIX_SIM_S = 5.0
BATCH_SIM_S = 15.0
MIN_BATCH_REAL_S = 0.5
#: Share of live batches with one fix repeated, and of late uploads with one twice.
LIVE_DUPLICATE_SHARE = 0.02
LATE_DUPLICATE_SHARE = 0.3
#: Most pings in one late upload (the server takes up to 1,000 by default).
MAX_UPLOAD = 500
MPS_PER_KNOT = 1852.0 / 3600.0
KMH_PER_MPS = 3.6
PERCENT = 100.0
#: An HTTP phone sends a fix again this many times after a transport failure (the server
#: stores each fix once).
HTTP_RESENDS = 1
#: Share of OsmAnd phones on the newer Traccar Client with a JSON body.
OSMAND_JSON_SHARE = 0.5
OWNTRACKS_OK: list[Any] = []
#: OwnTracks ``tid``: the two-letter tracker id shown on a map.
TID_LEN = 2
#: Patrol messages on the socket: their replies, and the prefix of their refs.
PATROL_REPLIES = frozenset({"patrol.started", "patrol.ended"})
PATROL_REF = "patrol-"
PATROL_REPLY_TIMEOUT_S = 15.0

Ping = dict[str, Any]
TaskHandler = Callable[[dict[str, Any]], Awaitable[None]]


class PhoneKind(StrEnum):
    SOCKET = "socket"
    OSMAND = "osmand"
    OWNTRACKS = "owntracks"


class Phone(Protocol):
    kind: PhoneKind

    async def run(self) -> None: ...

    async def fix(self, ping: Ping) -> None: ...

    async def upload_late(self, pings: list[Ping]) -> None: ...

    async def lose_signal(self) -> None: ...

    def regain_signal(self) -> None: ...


def _patrol_ref(message: dict[str, Any]) -> bool:
    ref = message.get("ref")
    return isinstance(ref, str) and ref.startswith(PATROL_REF)


def _ts_s(ping: Ping) -> int:
    return int(ping["ts"]) // MS_PER_S


class SocketPhone:
    """``/ws/phone``: batches, acks, reconnects; tasks and alerts come back on it."""

    kind = PhoneKind.SOCKET

    def __init__(self, ctx: Ctx, username: str, token: str, on_task: TaskHandler) -> None:
        self.ctx = ctx
        self.username = username
        self.token = token
        self.on_task = on_task
        self.socket = Socket(ctx.ws_base, "/ws/phone", token, self._message, ctx.stats,
                             ctx.rng, label="phone socket")
        self.socket.on_open = self._opened
        self.socket.on_close = self._closed
        self.batch: list[Ping] = []
        #: Batches sent and not yet acked: (highest seq, sent at, pings).
        self.unacked: deque[tuple[int, float, list[Ping]]] = deque()
        self.undelivered: list[Ping] = []
        self.patrol_reply: asyncio.Future[dict[str, Any]] | None = None
        self.patrol_refs = itertools.count(1)
        #: A random phase, so the street's phones do not all send in the same second.
        self.last_flush = time.monotonic() - ctx.rng.uniform(0.0, self.batch_real_s)

    @property
    def batch_real_s(self) -> float:
        return max(MIN_BATCH_REAL_S, self.ctx.clock.real(BATCH_SIM_S))

    async def run(self) -> None:
        await self.socket.run()

    async def fix(self, ping: Ping) -> None:
        self.batch.append(ping)
        if self.ctx.rng.random() < LIVE_DUPLICATE_SHARE:
            self.batch.append(dict(ping))
        if time.monotonic() - self.last_flush >= self.batch_real_s:
            await self.flush()

    async def flush(self) -> None:
        self.last_flush = time.monotonic()
        batch, self.batch = self.batch, []
        if not batch:
            return
        sent = time.monotonic()
        for ping in batch:
            self.ctx.ledger.record(self.username, int(ping["ts"]), sent)
        self.unacked.append((max(int(p["seq"]) for p in batch), sent, batch))
        if not await self.socket.send({"type": "pings", "items": batch}):
            if self.unacked and self.unacked[-1][2] is batch:  # not moved by _closed yet
                self.unacked.pop()
                self.undelivered.extend(batch)
            return
        self.ctx.stats.add(PINGS, len(batch))
        self.ctx.stats.add(pings_of(self.kind), len(batch))

    async def _message(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "ack":
            self._acked(message.get("seq"))
        elif kind == "task":
            self.ctx.stats.add(TASKS)
            await self.on_task(message)
        elif kind == "alert":
            self.ctx.stats.add(ALERTS)
        elif kind in PATROL_REPLIES or (kind == "error" and _patrol_ref(message)):
            if self.patrol_reply is not None and not self.patrol_reply.done():
                self.patrol_reply.set_result(message)
        elif kind == "error":
            self.ctx.stats.error(f"phone socket {message.get('code')}",
                                 str(message.get("message")))

    async def patrol(self, kind: str) -> dict[str, Any] | None:
        """``patrol.start`` / ``patrol.end`` on the socket: the reply, or None (no answer)."""
        loop = asyncio.get_running_loop()
        self.patrol_reply = reply = loop.create_future()
        ref = f"{PATROL_REF}{next(self.patrol_refs)}"
        try:
            if not await self.socket.send({"type": kind, "seq": ref}):
                return None
            return await asyncio.wait_for(reply, PATROL_REPLY_TIMEOUT_S)
        except TimeoutError:
            return None
        finally:
            self.patrol_reply = None

    def _acked(self, seq: object) -> None:
        """The ack names the highest seq stored: every batch up to it is delivered."""
        if not isinstance(seq, int):
            return
        self.ctx.stats.add(ACKS)
        now = time.monotonic()
        while self.unacked and self.unacked[0][0] <= seq:
            _, sent, _ = self.unacked.popleft()
            self.ctx.stats.time(ACK_MS, now - sent)

    async def _opened(self, socket: Socket) -> None:
        if self.undelivered:
            pending, self.undelivered = self.undelivered, []
            self.ctx.spawn(self.upload_late(pending), f"late:{self.username}")

    async def _closed(self, socket: Socket) -> None:
        """Batches never acked go up again late: the server stores each (worker, ts) once."""
        while self.unacked:
            self.undelivered.extend(self.unacked.popleft()[2])

    async def upload_late(self, pings: list[Ping]) -> None:
        if not pings:
            return
        items = list(pings)
        rng = self.ctx.rng
        rng.shuffle(items)
        if rng.random() < LATE_DUPLICATE_SHARE:
            items.append(dict(rng.choice(items)))
        for start in range(0, len(items), MAX_UPLOAD):
            chunk = items[start:start + MAX_UPLOAD]
            reply = await self.ctx.api.post("late upload", "/api/v1/locations", self.token,
                                            {"items": chunk})
            if reply.ok:
                self.ctx.stats.add(LATE_UPLOADED, len(chunk))

    async def lose_signal(self) -> None:
        self.undelivered.extend(self.batch)
        self.batch = []
        await self.socket.offline()

    def regain_signal(self) -> None:
        self.socket.back_online()


class HttpPhone:
    """One request per fix; the buffered fixes of a dead spot go oldest first."""

    kind = PhoneKind.OSMAND

    def __init__(self, ctx: Ctx, username: str) -> None:
        self.ctx = ctx
        self.username = username

    async def run(self) -> None:
        return None

    async def send_one(self, ping: Ping) -> bool:
        raise NotImplementedError

    async def fix(self, ping: Ping) -> None:
        self.ctx.ledger.record(self.username, _ts_s(ping) * MS_PER_S)
        if await self.send_one(ping):
            self.ctx.stats.add(PINGS)
            self.ctx.stats.add(pings_of(self.kind))

    async def upload_late(self, pings: list[Ping]) -> None:
        for ping in sorted(pings, key=lambda p: int(p["ts"])):
            if await self.send_one(ping):
                self.ctx.stats.add(LATE_UPLOADED)

    async def lose_signal(self) -> None:
        return None

    def regain_signal(self) -> None:
        return None


class OsmAndPhone(HttpPhone):
    """Traccar Client: ``/osmand`` with query parameters, or the newer JSON body."""

    kind = PhoneKind.OSMAND

    def __init__(self, ctx: Ctx, username: str, rng: random.Random) -> None:
        super().__init__(ctx, username)
        self.device = username
        self.json_body = rng.random() < OSMAND_JSON_SHARE

    def _params(self, ping: Ping) -> dict[str, str]:
        return {"id": self.device, "lat": str(ping["lat"]), "lon": str(ping["lon"]),
                "timestamp": str(_ts_s(ping)),
                "speed": f"{float(ping['speed']) / MPS_PER_KNOT:.2f}",
                "bearing": str(ping["heading"]), "accuracy": str(ping["acc"]),
                "batt": str(ping["batt"])}

    def _json(self, ping: Ping) -> dict[str, Any]:
        iso = datetime.fromtimestamp(int(ping["ts"]) / MS_PER_S, UTC).isoformat()
        return {"device_id": self.device, "location": {
            "timestamp": iso,
            "coords": {"latitude": ping["lat"], "longitude": ping["lon"],
                       "accuracy": ping["acc"], "speed": ping["speed"],
                       "heading": ping["heading"]},
            "battery": {"level": float(ping["batt"]) / PERCENT}}}

    async def send_one(self, ping: Ping) -> bool:
        api = self.ctx.api
        if self.json_body:
            reply = await api.post("osmand", "/osmand", None, self._json(ping),
                                   resend=HTTP_RESENDS)
        else:
            reply = await api.call("osmand", "POST", "/osmand", params=self._params(ping),
                                   resend=HTTP_RESENDS)
        return reply.ok


class OwnTracksPhone(HttpPhone):
    """OwnTracks in HTTP mode: Basic auth, ``{"_type":"location",...}``, answer ``[]``."""

    kind = PhoneKind.OWNTRACKS

    def __init__(self, ctx: Ctx, username: str, password: str) -> None:
        super().__init__(ctx, username)
        self.auth = (username, password)
        self.tid = username[-TID_LEN:]

    def _body(self, ping: Ping) -> dict[str, Any]:
        return {"_type": "location", "lat": ping["lat"], "lon": ping["lon"],
                "tst": _ts_s(ping), "acc": round(float(ping["acc"])),
                "batt": ping["batt"], "vel": round(float(ping["speed"]) * KMH_PER_MPS),
                "cog": round(float(ping["heading"])), "tid": self.tid}

    async def send_one(self, ping: Ping) -> bool:
        reply = await self.ctx.api.post("owntracks", "/owntracks", None, self._body(ping),
                                        auth=self.auth, resend=HTTP_RESENDS)
        if reply.ok and reply.body != OWNTRACKS_OK:
            self.ctx.stats.error("owntracks answer", str(reply.body))
        return reply.ok
