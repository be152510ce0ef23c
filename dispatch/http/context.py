"""Reaching the wired container, and the web process's runtime, from a request or socket."""

from __future__ import annotations

from starlette.requests import HTTPConnection

from dispatch.bootstrap import Container, WebRuntime


def container(conn: HTTPConnection) -> Container:
    return conn.app.state.container  # type: ignore[no-any-return]


def runtime(conn: HTTPConnection) -> WebRuntime:
    return conn.app.state.runtime  # type: ignore[no-any-return]
