"""``WS /ws/phone``: a grid worker's phone streams fixes and starts and ends patrols.

Each message with fixes (``ping`` or a ``pings`` batch) is stored in one Redis round
trip and answered ``{"type":"ack","seq":n}`` with the highest seq stored on this
socket; every refused fix gets an error with its seq as ``ref`` (the good ones of a
batch are kept). The phone receives its user channel: alerts and tasks. Fixes go through
the web runtime's ingest (its own Redis connection, positions coalesced per process).
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from typing import Annotated, Any

import msgspec
from starlette.routing import BaseRoute, WebSocketRoute
from starlette.websockets import WebSocket

from dispatch.access import check_location_owner
from dispatch.authz import guard_ws
from dispatch.bootstrap import WebRuntime
from dispatch.errors import BadRequest, DispatchError
from dispatch.identity.principal import Principal
from dispatch.identity.roles import Role
from dispatch.location.directory import WorkerRef
from dispatch.location.protocols import MAX_SEQ, ping_from_json
from dispatch.location.service import ACCEPTED, IngestResult
from dispatch.location.sos import sos_message
from dispatch.patrol.filters import Ping, Verdict
from dispatch.realtime.session import Reply, Session, error_message

SOURCE = "ws"
SOS = "sos"
#: What the phone is told about a fix the filter refused.
REFUSED = {
    Verdict.INVALID: "the position is not a valid fix",
    Verdict.FUTURE: "the fix's time is ahead of the server's clock",
    Verdict.TOO_OLD: "the fix is older than the server keeps",
}


class WireFix(Ping, frozen=True, gc=False):
    """A fix as a phone sends it, when it is well formed (see ``ping_from_json``): a
    ``Ping`` as it is decoded, with the worker it names."""

    seq: Annotated[int, msgspec.Meta(ge=0, lt=MAX_SEQ)] | None = None
    worker: str | None = None


class WirePing(WireFix, frozen=True, gc=False, tag_field="type", tag="ping"):
    pass


class WirePings(msgspec.Struct, tag_field="type", tag="pings"):
    items: list[WireFix]
    worker: str | None = None


#: The phone's hot messages decoded straight into typed values (no dict, no per-field
#: checks in Python); anything else, or anything wrong, takes the general path, which
#: names the field in its error.
FAST = msgspec.json.Decoder(WirePing | WirePings)


def refusal(verdict: Verdict, field: str | None = None) -> DispatchError:
    return BadRequest(REFUSED[verdict], code=f"ping_{verdict.value}", field=field)


class PhoneHandler:
    """One phone socket's messages; remembers the highest seq stored."""

    def __init__(self, worker: WorkerRef) -> None:
        self.worker = worker
        self.acked: int | None = None

    async def __call__(self, session: Session, message: dict[str, Any]) -> Reply:
        kind = message["type"]
        if kind == "ping":
            return await self.ping(session, message)
        if kind == "pings":
            return await self.batch(session, message)
        if kind == "patrol.start":
            record, _ = await session.container.patrols.start(self.worker)
            return {"type": "patrol.started", "patrol": record.public()}
        if kind == "patrol.end":
            record = await session.container.patrols.end_open(self.worker)
            return {"type": "patrol.ended", "patrol": record.public()}
        if kind == SOS:
            return await sos_message(session.container, self.worker, message)
        raise BadRequest("the phone sends ping, pings, patrol.start, patrol.end and sos",
                         code="unknown_type", field="type")

    def fast(self, session: Session, raw: str | bytes) -> tuple[Any, Awaitable[Reply]] | None:
        """A well-formed ``ping`` or ``pings`` of this worker: its seq and its handling;
        None for the general path."""
        try:
            message = FAST.decode(raw)
        except (msgspec.DecodeError, UnicodeEncodeError):
            return None
        me = session.principal.username
        if isinstance(message, WirePing):
            if message.seq is None or message.worker not in (None, me):
                return None
            return message.seq, self.store_ping(session, message)
        items = message.items
        if (message.worker not in (None, me) or len(items) > session.container.settings.max_batch
                or any(f.seq is None or f.worker not in (None, me) for f in items)):
            return None
        return None, self.store_batch(session, items, [])  # the decoded fixes are Pings

    async def store_ping(self, session: Session, ping: Ping) -> Reply:
        result = await session.runtime.ingest(self.worker, [ping], SOURCE)
        verdict = result.verdicts[0]
        if verdict in REFUSED:
            raise refusal(verdict)
        return self._ack([ping], result)

    async def store_batch(self, session: Session, pings: Sequence[Ping],
                          errors: list[dict[str, Any]]) -> Reply:
        result = await session.runtime.ingest(self.worker, pings, SOURCE)
        for ping, verdict in zip(pings, result.verdicts, strict=True):
            if verdict in REFUSED:
                errors.append(error_message(refusal(verdict), ping.seq))
        reply = self._ack(pings, result)
        return ([reply] if reply else []) + errors

    async def ping(self, session: Session, message: dict[str, Any]) -> Reply:
        check_location_owner(session.principal, message.get("worker"), field=None)
        ping = ping_from_json(message)
        if ping.seq is None:
            raise BadRequest("seq is required", code="missing_field", field="seq")
        return await self.store_ping(session, ping)

    async def batch(self, session: Session, message: dict[str, Any]) -> Reply:
        check_location_owner(session.principal, message.get("worker"), field=None)
        items = message.get("items")
        limit = session.container.settings.max_batch
        if not isinstance(items, list):
            raise BadRequest("items must be a list of pings", code="invalid_field", field="items")
        if len(items) > limit:
            raise BadRequest(f"a batch has at most {limit} pings", code="too_many_items",
                             field="items")
        errors: list[dict[str, Any]] = []
        pings: list[Ping] = []
        for n, item in enumerate(items):
            path = f"items[{n}]"
            try:
                named = item.get("worker") if isinstance(item, dict) else None
                check_location_owner(session.principal, named, field=None)
                ping = ping_from_json(item, path)
                if ping.seq is None:
                    raise BadRequest(f"{path}.seq is required", code="missing_field",
                                     field=f"{path}.seq")
                pings.append(ping)
            except DispatchError as exc:
                ref = item.get("seq") if isinstance(item, dict) else None
                errors.append(error_message(exc, ref))
        return await self.store_batch(session, pings, errors)

    def _ack(self, pings: Sequence[Ping], result: IngestResult) -> dict[str, Any] | None:
        accepted = ACCEPTED
        stored = [p.seq for p, v in zip(pings, result.verdicts, strict=True)
                  if v in accepted and p.seq is not None]
        if stored:
            self.acked = max(stored) if self.acked is None else max(self.acked, *stored)
        return None if self.acked is None or not stored else {"type": "ack", "seq": self.acked}


@guard_ws(Role.GRID_WORKER, Role.GRID_ASSISTANT)
async def phone_socket(websocket: WebSocket, principal: Principal, rt: WebRuntime) -> None:
    """A grid worker's phone: fixes and patrols in; acks, alerts and tasks out."""
    c = rt.container
    worker = await c.location.directory.of_principal(principal)
    handler = PhoneHandler(worker)
    session = Session(websocket, principal, rt, [c.keys.user_channel(principal.username)],
                      handler, fast=handler.fast)
    await session.run()


routes: list[BaseRoute] = [WebSocketRoute("/ws/phone", phone_socket)]
