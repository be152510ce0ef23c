"""``WS /ws/team``: the disposal force's socket (and the desk's, for the centre's jobs).

It follows the user's own channel, the team's department channel and, for the desk,
the role channel escalations go to. On connect (and after falling behind) it sends
every job still offered to the team or offered back to the user. Members accept,
report progress and reject jobs on it as well as over HTTP; each gets an ``ack``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.websockets import WebSocket

from dispatch.access import DESK_ROLES, team_of
from dispatch.authz import guard_ws
from dispatch.bootstrap import Container, WebRuntime
from dispatch.cases.actions import Action
from dispatch.cases.commands import parse_command
from dispatch.cases.service import OFFERED_PART
from dispatch.errors import BadRequest
from dispatch.identity.principal import Principal
from dispatch.identity.roles import Role
from dispatch.realtime.session import Reply, Session
from dispatch.validation import Fields

TEAM_ROLES = (Role.DISPOSAL_MEMBER, Role.DEPT_LEAD, Role.DISPATCHER, Role.ADMIN)
SOCKET_ACTIONS = frozenset({Action.ACCEPT, Action.PROGRESS, Action.REJECT})
TAKEN = b'"job.taken"'
MAX_CASE_ID = 32


def topics(principal: Principal, c: Container) -> list[str]:
    k = c.keys
    found = [k.user_channel(principal.username)]
    team = team_of(principal)
    if team:
        found.append(k.dept_channel(team))
    if principal.role in DESK_ROLES:
        found.append(k.role_channel(principal.role.value))
    return found


async def send_offers(session: Session) -> None:
    """Every job still offered to this socket's user."""
    for summary in await session.container.cases.pending_offers(session.principal):
        part = summary.pop(OFFERED_PART, None)
        message = {"type": "job.offered", "case": summary, "pending": True}
        if part:
            message["part"] = part  # an assisting department's part (协办)
        await session.send(message)


def skip_own_taken(session: Session) -> Callable[[bytes], Awaitable[None]]:
    """A deliver hook: the winner of a job is not told that someone took it."""
    me = session.principal.username

    async def deliver(data: bytes) -> None:
        if TAKEN in data and orjson.loads(data).get("by") == me:
            return
        await session.send_raw(data)

    return deliver


async def on_message(session: Session, message: dict[str, Any]) -> Reply:
    kind = message["type"]
    if kind not in {a.value for a in SOCKET_ACTIONS}:
        raise BadRequest("the team socket takes accept, progress and reject",
                         code="unknown_type", field="type")
    body = Fields.of(message)
    cid = body.text("case", min_len=1, max_len=MAX_CASE_ID)
    c = session.container
    cmd = parse_command(Action(kind), body, max_extension_hours=c.settings.max_extension_hours)
    case = await c.cases.act(session.principal, cid, cmd)
    return {"type": "ack", "ref": message.get("seq"), "case": cid, "action": kind,
            "state": case["state"]}


@guard_ws(*TEAM_ROLES)
async def team_socket(websocket: WebSocket, principal: Principal, rt: WebRuntime) -> None:
    """Jobs of the team: offers, taken, warnings, overdue, updates; accept/progress/reject."""
    session = Session(websocket, principal, rt, topics(principal, rt.container), on_message)
    session.deliver = skip_own_taken(session)
    session.on_overflow = send_offers
    await session.run(on_open=send_offers)
