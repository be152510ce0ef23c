"""Authorization: one mechanism for every HTTP route and WebSocket.

Each endpoint is wrapped by :func:`guard` (HTTP) or :func:`guard_ws` (WebSocket),
which records its :class:`Policy` on the wrapper. The app refuses to start when a
route has no policy, and the authorization matrix test walks the same policies.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from dispatch.errors import DispatchError, Forbidden, Unauthorized
from dispatch.http.responses import error_response
from dispatch.identity.principal import Principal
from dispatch.identity.roles import ALL_ROLES, Role

if TYPE_CHECKING:
    from dispatch.bootstrap import WebRuntime

POLICY_ATTR = "__dispatch_policy__"
BEARER = "bearer "

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


def bearer_token(conn: HTTPConnection) -> str | None:
    header = conn.headers.get("authorization", "")
    if header[: len(BEARER)].lower() == BEARER:
        return header[len(BEARER) :].strip() or None
    return conn.query_params.get("token") if conn.scope["type"] == "websocket" else None


async def authenticate(conn: HTTPConnection, roles: frozenset[Role]) -> Principal:
    """The caller, or Unauthorized / Forbidden."""
    token = bearer_token(conn)
    if token is None:
        raise Unauthorized("a bearer token is required", code="missing_token")
    principal: Principal | None = await conn.app.state.container.tokens.resolve(token)
    if principal is None:
        raise Unauthorized("the token is unknown, expired or revoked", code="invalid_token")
    if principal.role not in roles:
        raise Forbidden(f"role {principal.role.value} may not do this", code="role_forbidden")
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
            try:
                principal = await authenticate(websocket, allowed)
            except DispatchError as exc:
                await websocket.send_denial_response(error_response(exc))
                return
            await handler(websocket, principal, websocket.app.state.runtime)

        setattr(endpoint, POLICY_ATTR, Policy(allowed, _summary(handler)))
        return endpoint

    return wrap


def _summary(handler: Callable[..., Any]) -> str:
    doc = (handler.__doc__ or "").strip()
    return doc.splitlines()[0] if doc else handler.__name__.replace("_", " ")
