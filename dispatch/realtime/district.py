"""``WS /ws/district``: the district screen's live stream, for the district centre's users.

On open: a ``snapshot`` of every street's figures, the district's totals and the cases
escalated to the district. Then, live: each ``escalation`` (an alert of a case escalated
to the district, ``notify = "district"``, as it opens, changes or clears) from any street,
and the ``figures`` again every ``DISPATCH_DISTRICT_FIGURES_EVERY`` seconds.

The socket listens on each street's own hub (the web runtime per street) through its
public subscribe API, one bounded queue per street: a street's events reach the socket
whichever street they come from, and a socket that falls behind on one is told to
resync and gets a fresh snapshot. Its two tasks (the forwarder and the figures timer)
are the socket's own, cancelled when it closes, with every subscription.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from typing import Any

import orjson
from redis.exceptions import RedisError
from starlette.requests import HTTPConnection
from starlette.routing import BaseRoute, WebSocketRoute
from starlette.websockets import WebSocket

from dispatch.authz import guard_ws, in_district, refuse
from dispatch.bootstrap import Container, WebRuntime
from dispatch.errors import BadRequest, Forbidden
from dispatch.http.context import deployment, user_container
from dispatch.http.district_routes import READERS
from dispatch.identity.principal import Principal
from dispatch.realtime.hub import Subscription
from dispatch.realtime.session import Reply, Session
from dispatch.reports.district import district_view, escalated_to_district

log = logging.getLogger("dispatch.ws")
#: A published event that may be an escalation names its kind (checked before decoding).
ESCALATED_MARK = b'"case_escalated"'
ALERT_EVENT = "alert"
#: The event's fields that are the street's own stream's, not the alert's.
ENVELOPE = ("type", "seq")
#: Where the app keeps the figures it worked out for every district socket.
FIGURES_STATE = "district_figures"
#: The figures are shared by the process's sockets while younger than this share of the
#: interval (sockets opened at different times still see figures this fresh).
SHARED_AGE_SHARE = 0.5


class SharedFigures:
    """The district's figures, worked out at most once per ``max_age_s`` for every
    district socket of the process (each street's tally is a few round trips)."""

    def __init__(self) -> None:
        self._view: dict[str, Any] | None = None
        self._at = 0.0
        self._lock = asyncio.Lock()

    async def get(self, streets: Sequence[Container], now: int,
                  max_age_s: float) -> dict[str, Any]:
        async with self._lock:
            if self._view is None or time.monotonic() - self._at >= max_age_s:
                self._view = await district_view(streets, now)
                self._at = time.monotonic()
            return self._view


def shared_figures(conn: HTTPConnection) -> SharedFigures:
    found = getattr(conn.app.state, FIGURES_STATE, None)
    if found is None:
        found = SharedFigures()
        setattr(conn.app.state, FIGURES_STATE, found)
    return found  # type: ignore[no-any-return]


def escalation_of(street: str, raw: bytes) -> dict[str, Any] | None:
    """The ``escalation`` message of a street's published event, or None when the event
    is not an alert of a case escalated to the district."""
    if ESCALATED_MARK not in raw:
        return None
    event = orjson.loads(raw)
    if event.get("type") != ALERT_EVENT or not escalated_to_district(event):
        return None
    alert = {k: v for k, v in event.items() if k not in ENVELOPE}
    alert["street"] = street
    return {"type": "escalation", "street": street, "alert": alert}


class DistrictStream:
    def __init__(self, session: Session, runtimes: dict[str, WebRuntime],
                 figures: SharedFigures, district: str | None) -> None:
        self.session = session
        self.streets = [rt.container for rt in runtimes.values()]
        self.figures = figures
        self.district = district
        settings = session.container.settings
        self.every_s = settings.district_figures_every_s
        self.own = session.container
        self._pending = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self.subs: list[tuple[str, WebRuntime, Subscription]] = []
        for code, rt in runtimes.items():  # before the snapshot: nothing falls in between
            sub = rt.hub.subscribe([rt.container.keys.screen_channel()], settings.ws_queue_len)
            sub.notify = self._pending.set
            self.subs.append((code, rt, sub))

    async def snapshot(self) -> None:
        view = await district_view(self.streets, self.own.clock())
        await self.session.send({"type": "snapshot", "district": self.district, **view})

    async def start(self, session: Session) -> None:
        await self.snapshot()
        self._tasks = [asyncio.create_task(self._forward(), name="district-forward"),
                       asyncio.create_task(self._refresh(), name="district-figures")]
        self._pending.set()  # what came while the snapshot was read

    async def _forward(self) -> None:
        """Send each street's escalations as they come; resync one that fell behind."""
        while True:
            await self._pending.wait()
            self._pending.clear()
            behind = False
            for code, _, sub in self.subs:
                queue = sub.queue
                while not queue.empty():
                    message = escalation_of(code, queue.get_nowait())
                    if message is not None:
                        await self.session.send(message)
                if sub.overflowed.is_set():
                    sub.drain()
                    behind = True
            if behind:
                await self.session.send({"type": "resync",
                                         "reason": "the district screen fell behind"})
                await self.snapshot()

    async def _refresh(self) -> None:
        """Every street's figures again, every ``every_s`` seconds."""
        while True:
            await asyncio.sleep(self.every_s)
            try:
                view = await self.figures.get(self.streets, self.own.clock(),
                                              self.every_s * SHARED_AGE_SHARE)
            except RedisError as exc:  # the store is away: the next round tries again
                log.warning("district figures not refreshed: %s", exc)
                continue
            await self.session.send({"type": "figures", "district": self.district,
                                     **{k: v for k, v in view.items() if k != "escalations"}})

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
        for _, rt, sub in self.subs:
            sub.notify = None
            rt.hub.unsubscribe(sub)
        self.subs = []


async def on_message(session: Session, message: dict[str, Any]) -> Reply:
    if message["type"] == "ping":
        return {"type": "pong", "seq": message.get("seq")}
    raise BadRequest("the district screen only sends ping", code="unknown_type")


@guard_ws(*READERS)
async def district_socket(websocket: WebSocket, principal: Principal, rt: WebRuntime) -> None:
    """The district screen's live stream: every street's figures, then escalations to the
    district as they happen and the figures again every few seconds."""
    if not in_district(websocket):
        await refuse(websocket, Forbidden("the district screen is for the district "
                                          "centre's users", code="district_only"))
        return
    d = deployment(websocket)
    runtimes: dict[str, WebRuntime] = websocket.app.state.runtimes
    streets = d.visible_to(user_container(websocket))
    session = Session(websocket, principal, runtimes[user_container(websocket).keys.street],
                      (), on_message)
    stream = DistrictStream(session, {c.keys.street: runtimes[c.keys.street] for c in streets},
                            shared_figures(websocket), d.district)
    try:
        await session.run(on_open=stream.start)
    finally:
        await stream.close()


routes: list[BaseRoute] = [WebSocketRoute("/ws/district", district_socket)]
