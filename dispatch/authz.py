"""Authorization: one mechanism for every HTTP route and WebSocket.

Each endpoint is wrapped by :func:`guard` (HTTP) or :func:`guard_ws` (WebSocket),
which records its :class:`Policy` on the wrapper. The app refuses to start when a
route has no policy, and the authorization matrix test walks the same policies.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from redis.exceptions import RedisError
from starlette import status
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from dispatch.errors import DispatchError, Forbidden, Unauthorized, Unavailable
from dispatch.http.context import deployment, runtime, use_street, user_container
from dispatch.http.responses import error_response
from dispatch.identity.principal import Principal
from dispatch.identity.roles import ALL_ROLES, Role

if TYPE_CHECKING:
    from dispatch.bootstrap import WebRuntime

POLICY_ATTR = "__dispatch_policy__"
BEARER = "bearer "
#: The first message of a socket that did not bring its token on the URL.
AUTH_MESSAGE = "auth"
AUTH_OK = "auth.ok"

HttpHandler = Callable[[Request, Principal], Awaitable[Response]]
#: A socket's handler gets the caller and the web process's runtime (hub, ingest, snapshot).
WsHandler = Callable[[WebSocket, Principal, "WebRuntime"], Awaitable[None]]


@dataclass(frozen=True)
class Policy:
    """Who may call an endpoint: ``roles`` None means anyone, signed in or not."""

    roles: frozenset[Role] | None
    summary: str = ""

    @property
    def public(self) -> bool:
        return self.roles is None


def policy_of(endpoint: Any) -> Policy | None:
    return getattr(endpoint, POLICY_ATTR, None)


#: The query parameter naming the street a district user acts on (drill-down).
STREET_PARAM = "street"


def bearer_token(conn: HTTPConnection) -> str | None:
    header = conn.headers.get("authorization", "")
    if header[: len(BEARER)].lower() == BEARER:
        return header[len(BEARER) :].strip() or None
    return conn.query_params.get("token") if conn.scope["type"] == "websocket" else None


async def authenticate(conn: HTTPConnection, roles: frozenset[Role],
                       token: str | None = None) -> Principal:
    """The caller, or Unauthorized / Forbidden (``token``: one given another way)."""
    token = token or bearer_token(conn)
    if token is None:
        raise Unauthorized("a bearer token is required", code="missing_token")
    c, secret = conn.app.state.deployment.by_token(token)
    principal: Principal | None = await c.tokens.resolve(secret) if c is not None else None
    if principal is None:
        raise Unauthorized("the token is unknown, expired or revoked", code="invalid_token")
    if principal.role not in roles:
        raise Forbidden(f"role {principal.role.value} may not do this", code="role_forbidden")
    acting = conn.app.state.deployment.drill_down(c, conn.query_params.get(STREET_PARAM))
    use_street(conn, acting.keys.street, c.keys.street)
    return principal


def _roles(roles: Iterable[Role]) -> frozenset[Role]:
    found = frozenset(roles)
    return found or ALL_ROLES


def guard(*roles: Role) -> Callable[[HttpHandler], Callable[[Request], Awaitable[Response]]]:
    """Only signed-in users with one of ``roles`` (none given: any role) reach the handler."""
    allowed = _roles(roles)

    def wrap(handler: HttpHandler) -> Callable[[Request], Awaitable[Response]]:
        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            principal = await authenticate(request, allowed)
            request.state.principal = principal
            return await handler(request, principal)

        setattr(endpoint, POLICY_ATTR, Policy(allowed, _summary(handler)))
        return endpoint

    return wrap


def public(handler: Callable[[Request], Awaitable[Response]]) -> Any:
    """Mark an endpoint as open to anyone (login, health, the web pages)."""
    setattr(handler, POLICY_ATTR, Policy(None, _summary(handler)))
    return handler


def guard_ws(*roles: Role) -> Callable[[WsHandler], Callable[[WebSocket], Awaitable[None]]]:
    """The WebSocket twin of :func:`guard`: a refused handshake gets the HTTP error."""
    allowed = _roles(roles)

    def wrap(handler: WsHandler) -> Callable[[WebSocket], Awaitable[None]]:
        @functools.wraps(handler)
        async def endpoint(websocket: WebSocket) -> None:
            principal = await socket_principal(websocket, allowed)
            if principal is not None:
                await handler(websocket, principal, runtime(websocket))

        setattr(endpoint, POLICY_ATTR, Policy(allowed, _summary(handler)))
        return endpoint

    return wrap


async def socket_principal(websocket: WebSocket, roles: frozenset[Role]) -> Principal | None:
    """The caller of a socket, by the token on the URL (or header) or, without one, by a
    first message ``{"type":"auth","token"}`` within the configured time; None when refused
    (before the handshake: the HTTP error; after it: an error message and close 1008)."""
    try:
        if bearer_token(websocket) is not None:
            return await authenticate(websocket, roles)
        await websocket.accept()
        token = await _auth_message(websocket)
        principal = await authenticate(websocket, roles, token)
        await websocket.send_text(orjson.dumps({
            "type": AUTH_OK, "user": principal.username, "role": principal.role.value,
        }).decode())
        return principal
    except RedisError:
        await _refuse(websocket, Unavailable("the store is not reachable; try again shortly",
                                             code="redis_unreachable"))
    except DispatchError as exc:
        await _refuse(websocket, exc)
    except WebSocketDisconnect:
        pass
    return None


async def _auth_message(websocket: WebSocket) -> str:
    timeout = websocket.app.state.container.settings.ws_auth_timeout_s
    try:
        raw = await asyncio.wait_for(websocket.receive_text(), timeout)
    except TimeoutError as exc:
        raise Unauthorized(f"send {{\"type\":\"auth\",\"token\"}} within {timeout} s",
                           code="auth_timeout") from exc
    try:
        message = orjson.loads(raw)
    except orjson.JSONDecodeError:
        message = None
    token = message.get("token") if isinstance(message, dict) else None
    if message is None or message.get("type") != AUTH_MESSAGE or not isinstance(token, str):
        raise Unauthorized('the first message is {"type":"auth","token":"..."}',
                           code="auth_required")
    return token


def in_district(conn: HTTPConnection) -> bool:
    """Whether the signed-in caller is one of the district centre's users (who see every
    street): the district's sockets and pages are theirs only."""
    return deployment(conn).is_district(user_container(conn))


async def refuse(websocket: WebSocket, exc: DispatchError) -> None:
    """Refuse a socket its guard let in (by role) for a reason of scope: the HTTP error
    before the handshake, else an error message and close 1008."""
    await _refuse(websocket, exc)


async def _refuse(websocket: WebSocket, exc: DispatchError) -> None:
    if websocket.application_state is WebSocketState.CONNECTING:
        await websocket.send_denial_response(error_response(exc))
        return
    message = {"type": "error", "code": exc.code, "message": exc.message}
    try:
        await websocket.send_text(orjson.dumps(message).decode())
        await websocket.close(status.WS_1008_POLICY_VIOLATION, exc.code)
    except (WebSocketDisconnect, RuntimeError):
        pass


def _summary(handler: Callable[..., Any]) -> str:
    doc = (handler.__doc__ or "").strip()
    return doc.splitlines()[0] if doc else handler.__name__.replace("_", " ")
