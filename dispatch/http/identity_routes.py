"""Login, logout, who am I, and user administration."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from dispatch.authz import bearer_token, guard, public
from dispatch.bootstrap import Container
from dispatch.errors import Unauthorized
from dispatch.http.context import container, deployment, user_container
from dispatch.http.models.common import Ok
from dispatch.http.models.identity import LoginBody, LoginOut, Revoked, User, Users, UsersQuery
from dispatch.http.responses import json
from dispatch.http.typed import body_of, op, query_of
from dispatch.identity.principal import Principal
from dispatch.identity.roles import Role
from dispatch.ratelimit import Limit


def placed(request: Request, c: Container, user: dict[str, Any]) -> dict[str, Any]:
    """A user with their street, and whether it is the district centre (whose people work
    from the district screen, and drill down to a street)."""
    return {**user, "street": c.keys.street, "district": deployment(request).is_district(c)}


@public
@op(body=LoginBody, ok=LoginOut, errors=(401, 429))
async def login(request: Request) -> Response:
    """Sign in with a user name and password; returns a bearer token."""
    body = body_of(request, LoginBody)
    c, username = await deployment(request).for_login(body.username.strip().lower())
    password = body.password
    s = c.settings
    address = request.client.host if request.client else "unknown"
    await c.limiter.hit(Limit("login_addr", s.login_limit_addr, s.login_window_s), address)
    await c.limiter.hit(Limit("login_user", s.login_limit_user, s.login_window_s), username)
    user = await c.users.check_password(username, password)
    outcome = c.metrics.counter("logins_total", "Login attempts", ["result"])
    if user is None or user.disabled:
        outcome.labels("refused").inc()
        raise Unauthorized("wrong user name or password", code="bad_credentials")
    outcome.labels("ok").inc()
    secret, expires = await c.tokens.issue(user)
    token = deployment(request).token_for(c, secret)
    return json({"token": token, "expires": expires, "user": placed(request, c, user.public())})


@guard()
@op(ok=Ok)
async def logout(request: Request, principal: Principal) -> Response:
    """Revoke the token of this request."""
    token = bearer_token(request)
    if token:
        await container(request).tokens.revoke(deployment(request).by_token(token)[1])
    return json({"ok": True})


@guard()
@op(ok=User, errors=(404,))
async def me(request: Request, principal: Principal) -> Response:
    """The signed-in user."""
    c = user_container(request)  # a district user drilled down to a street is still theirs
    user = await c.users.get(principal.username)
    return json(placed(request, c, user.public()))


@guard(Role.ADMIN, Role.DISPATCHER, Role.ASSESSOR)
@op(query=UsersQuery, ok=Users)
async def list_users(request: Request, principal: Principal) -> Response:
    """Every user of the street (optionally one role)."""
    role = query_of(request, UsersQuery).role
    wanted = Role(role) if role and role in Role._value2member_map_ else None
    users = await container(request).users.all(wanted)
    return json({"items": [u.public() for u in users]})


@guard(Role.ADMIN)
@op(ok=Revoked)
async def revoke_user(request: Request, principal: Principal) -> Response:
    """Revoke every token of a user (they must sign in again)."""
    c = container(request)
    username = request.path_params["username"]
    await c.users.get(username)
    count = await c.tokens.revoke_all(username)
    return json({"username": username, "revoked": count})


routes: list[BaseRoute] = [
    Route("/api/v1/login", login, methods=["POST"]),
    Route("/api/v1/logout", logout, methods=["POST"]),
    Route("/api/v1/me", me, methods=["GET"]),
    Route("/api/v1/users", list_users, methods=["GET"]),
    Route("/api/v1/users/{username}/revoke", revoke_user, methods=["POST"]),
]
