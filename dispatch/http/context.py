"""Reaching the wired container from a request or socket."""

from __future__ import annotations

from starlette.requests import HTTPConnection

from dispatch.bootstrap import Container


def container(conn: HTTPConnection) -> Container:
    return conn.app.state.container  # type: ignore[no-any-return]
