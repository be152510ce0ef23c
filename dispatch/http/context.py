"""Reaching the wired container, and the web process's runtime, from a request or socket.

A signed-in request or socket acts on its user's street (set by :func:`use_street` when
its token is resolved); anything else on the home street's.
"""

from __future__ import annotations

from starlette.requests import HTTPConnection

from dispatch.bootstrap import Container, WebRuntime
from dispatch.district import Deployment

#: The scope entry holding the street a request or socket acts on.
STREET_SCOPE = "dispatch.street"


def deployment(conn: HTTPConnection) -> Deployment:
    return conn.app.state.deployment  # type: ignore[no-any-return]


def use_street(conn: HTTPConnection, street: str) -> None:
    conn.scope[STREET_SCOPE] = street


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
