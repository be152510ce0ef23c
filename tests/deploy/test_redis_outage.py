"""Redis down: every route answers 503 in the error shape (never 500); sockets are refused
with 503 too; what needs no Redis (health, pages, metrics, the API description) still works."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from starlette.routing import Route, WebSocketRoute
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from dispatch.app import create_app
from dispatch.authz import policy_of
from dispatch.settings import Settings
from tests.conftest import LiveServer, running

PARAM = re.compile(r"{([^}:]+)(?::[^}]+)?}")
#: Values for path parameters that reach the handler (a real kind of report, and so on).
PATH_VALUES = {"kind": "daily", "action": "accept"}
NEEDS_NO_REDIS = {"/healthz", "/metrics", "/openapi.json", "/asyncapi.json", "/", "/app",
                  "/reports", "/report", "/app/sw.js", "/app/manifest.webmanifest"}
DEAD_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def dead(settings: Settings) -> Iterator[LiveServer]:
    with running(settings.replace(redis_url=DEAD_REDIS)) as server:
        yield server


def routes() -> list[tuple[str, str, bool]]:
    found = []
    for route in create_app().routes:
        if isinstance(route, Route):
            public = bool(policy_of(route.endpoint) and policy_of(route.endpoint).public)
            for method in sorted((route.methods or set()) - {"HEAD"}):
                path = PARAM.sub(lambda m: PATH_VALUES.get(m.group(1), "x1"), route.path)
                found.append((method, path, public))
    return found


def test_every_route_is_503_or_works(dead: LiveServer) -> None:
    failures = []
    with dead.client("some-token") as c:
        for method, path, public in routes():
            body = {"username": "gw001", "password": "pw"} if path.endswith("/login") else {}
            r = c.request(method, path, json=body if method != "GET" else None)
            if path in NEEDS_NO_REDIS:
                ok = r.status_code == 200
            elif not public:
                ok = r.status_code == 503 and r.json()["error"]["code"] == "redis_unreachable"
            else:  # public entries may refuse bad input first, but never fail
                ok = r.status_code < 500 or (
                    r.status_code == 503 and ("error" in r.json() or isinstance(r.json(), list)))
            if not ok:
                failures.append(f"{method} {path}: {r.status_code} {r.text[:120]}")
    assert failures == []


def test_login_is_503_with_retry_after(dead: LiveServer) -> None:
    with dead.client() as c:
        r = c.post("/api/v1/login", json={"username": "gw001", "password": "x"})
    assert r.status_code == 503
    assert r.json()["error"]["code"] == "redis_unreachable"
    assert r.headers["retry-after"].isdigit()


def test_sockets_are_refused_with_503(dead: LiveServer) -> None:
    for route in create_app().routes:
        if isinstance(route, WebSocketRoute):
            with pytest.raises(InvalidStatus) as refused:
                connect(f"{dead.ws_url}{route.path}?token=some-token", open_timeout=5)
            assert refused.value.response.status_code == 503, route.path
