"""Reaching the wired container, and the web process's runtime, from a request or socket.

A signed-in request or socket acts on its user's street (set by :func:`use_street` when
its token is resolved); anything else on the home street's.
"""

from __future__ import annotations

from starlette.requests import HTTPConnection

from dispatch.bootstrap import Container, WebRuntime
from dispatch.district import Deployment

#: The scope entries holding the street a request or socket acts on, and its user's own
#: (they differ for a district user who drilled down to a street).
STREET_SCOPE = "dispatch.street"
USER_STREET_SCOPE = "dispatch.user_street"


def deployment(conn: HTTPConnection) -> Deployment:
    return conn.app.state.deployment  # type: ignore[no-any-return]


def use_street(conn: HTTPConnection, street: str, own: str | None = None) -> None:
    conn.scope[STREET_SCOPE] = street
    conn.scope[USER_STREET_SCOPE] = own or street


def user_container(conn: HTTPConnection) -> Container:
    """The container of the signed-in user's own street (the district centre's for a
    district user, wherever they drilled down to)."""
    street = conn.scope.get(USER_STREET_SCOPE)
    if street is None:
        return conn.app.state.container  # type: ignore[no-any-return]
    return deployment(conn).containers[street]


def container(conn: HTTPConnection) -> Container:
    street = conn.scope.get(STREET_SCOPE)
    if street is None:
        return conn.app.state.container  # type: ignore[no-any-return]
    return deployment(conn).containers[street]


def runtime(conn: HTTPConnection) -> WebRuntime:
    street = conn.scope.get(STREET_SCOPE)
    if street is None:
        return conn.app.state.runtime  # type: ignore[no-any-return]
    return conn.app.state.runtimes[street]  # type: ignore[no-any-return]
