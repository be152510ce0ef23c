"""``WS /ws/screen``: a snapshot, then deltas with a growing seq; resumable with ``since``.

The socket subscribes to the live screen channel before it reads the snapshot or the
replay, so nothing falls between them; an event already covered (seq not above the
last one sent) is skipped. A screen that falls behind its bounded queue is told to
resync and gets a fresh snapshot; it never slows ingestion or the other screens.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.routing import BaseRoute, WebSocketRoute
from starlette.websockets import WebSocket

from dispatch.access import ScreenFilter, screen_scope
from dispatch.authz import guard_ws
from dispatch.bootstrap import WebRuntime
from dispatch.errors import BadRequest, DispatchError
from dispatch.identity.principal import Principal
from dispatch.identity.roles import SCREEN_ROLES, Role
from dispatch.realtime.session import Reply, Session

REPLAY_MAX = 10_000
FILTERED_LISTS = ("items",)
#: The thing an event carries (a ``case`` event's case, a ``patrol`` event's record).
NESTED_THINGS = ("case", "patrol")
#: The event that is itself a thing of a station (its ``scope``), not an envelope.
ALERT_EVENT = "alert"


def parse_since(ws: WebSocket) -> int | None:
    raw = ws.query_params.get("since")
    if raw is None or raw == "":
        return None
    if not raw.isdigit():
        raise BadRequest("since is a seq number", field="since")
    return int(raw)


def filtered(event: dict[str, Any], screen: ScreenFilter) -> dict[str, Any] | None:
    """The event as this screen sees it (list items filtered), or None."""
    if not screen.active:
        return event
    if not screen.admits(event, placed=event.get("type") == ALERT_EVENT):
        return None
    for key in NESTED_THINGS:
        thing = event.get(key)
        if isinstance(thing, dict) and not screen.admits(thing):
            return None
    for key in FILTERED_LISTS:
        items = event.get(key)
        if isinstance(items, list):
            kept = [i for i in items if not isinstance(i, dict) or screen.admits(i)]
            if not kept:
                return None
            event = {**event, key: kept}
    return event


#: How every published event starts (``EMIT_LUA`` puts the seq first).
SEQ_PREFIX = b'{"seq":'
SEQ_DIGITS_MAX = 20
_last_decoded: tuple[bytes, dict[str, Any]] | None = None


def seq_of(raw: bytes) -> int | None:
    """The seq of a published event, read from its first field (None when it has none)."""
    if not raw.startswith(SEQ_PREFIX):
        return None
    end = raw.find(b",", len(SEQ_PREFIX), len(SEQ_PREFIX) + SEQ_DIGITS_MAX)
    digits = raw[len(SEQ_PREFIX):end]
    return int(digits) if end > 0 and digits.isdigit() else None


def decoded(raw: bytes) -> dict[str, Any]:
    """The event of a hub message, decoded once for all the filtered screens it reaches
    (the hub hands the same bytes to every socket; screens never change the dict)."""
    global _last_decoded
    cached = _last_decoded
    if cached is not None and cached[0] is raw:
        return cached[1]
    event: dict[str, Any] = orjson.loads(raw)
    _last_decoded = (raw, event)
    return event


class ScreenStream:
    def __init__(self, session: Session, screen: ScreenFilter) -> None:
        self.session = session
        self.screen = screen
        self.last_seq = 0
        session.on_overflow = self.resync
        session.deliver = self.deliver

    async def snapshot(self) -> None:
        c = self.session.container
        seq = await c.events.last_seq(c.redis)
        sections = await self.session.runtime.snapshot.gather(self.screen)
        self.last_seq = seq
        await self.session.send({"type": "snapshot", "seq": seq, **sections,
                                 "filter": {"station": self.screen.station,
                                            "department": self.screen.department}})

    async def replay(self, since: int) -> bool:
        """Send what was missed after ``since``; False when it is no longer kept."""
        c = self.session.container
        missed = await c.events.since(c.redis, since, REPLAY_MAX)
        if missed is None:
            return False
        self.last_seq = since
        for event in missed:
            await self.deliver_event(event)
        return True

    async def deliver_event(self, event: dict[str, Any]) -> None:
        seq = int(event.get("seq", 0))
        if seq <= self.last_seq:
            return
        self.last_seq = seq
        shown = filtered(event, self.screen)
        if shown is not None:
            await self.session.send(shown)

    async def deliver(self, raw: bytes) -> None:
        if not self.screen.active:  # sent as published: no decoding, no encoding
            seq = seq_of(raw)
            if seq is not None:
                if seq > self.last_seq:
                    self.last_seq = seq
                    await self.session.send_raw(raw)
                return
        await self.deliver_event(decoded(raw))

    async def resync(self, session: Session) -> None:
        await session.send({"type": "resync", "reason": "the screen fell behind"})
        await self.snapshot()


async def on_message(session: Session, message: dict[str, Any]) -> Reply:
    if message["type"] == "ping":
        return {"type": "pong", "seq": message.get("seq")}
    raise BadRequest("a screen only sends ping", code="unknown_type")


@guard_ws(*SCREEN_ROLES, Role.STATION_LEAD)
async def screen_socket(websocket: WebSocket, principal: Principal, rt: WebRuntime) -> None:
    """The command screen's live stream: snapshot, then deltas; ``since`` resumes."""
    session = Session(websocket, principal, rt, [rt.container.keys.screen_channel()],
                      on_message)
    q = websocket.query_params
    stream = ScreenStream(session, screen_scope(principal, q.get("station"),
                                                q.get("department")))

    async def start(s: Session) -> None:
        try:
            since = parse_since(websocket)
        except DispatchError as exc:
            await s.send_error(exc)
            since = None
        if since is None or not await stream.replay(since):
            await stream.snapshot()

    await session.run(on_open=start)


routes: list[BaseRoute] = [WebSocketRoute("/ws/screen", screen_socket)]
