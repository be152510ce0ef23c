"""Every route x every role: 401 without a valid token, 403 outside the role, 2xx inside.

A route added without an example here fails the test, so the matrix stays complete.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from starlette import status
from starlette.routing import Route, WebSocketRoute
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from dispatch.app import create_app
from dispatch.authz import policy_of
from dispatch.identity.roles import Role
from tests.alerts.scenarios import examples as alert_examples
from tests.cases.scenarios import examples as case_examples
from tests.conftest import PASSWORD, PNG_1PX, LiveServer
from tests.location.fixtures import ALL_DAY_WINDOWS
from tests.location.scenarios import examples as location_examples
from tests.open311.scenarios import examples as open311_examples

#: One user of each role in the seeded street.
ROLE_USERS = {
    Role.GRID_WORKER: "gw001",
    Role.DISPOSAL_MEMBER: "dm001",
    Role.DEPT_LEAD: "lead01",
    Role.DISPATCHER: "disp1",
    Role.ASSESSOR: "assess1",
    Role.SCREEN: "screen1",
    Role.ADMIN: "admin",
}

#: (method, path template) -> request that succeeds for an allowed role.
EXAMPLES: dict[tuple[str, str], dict[str, Any]] = {
    ("GET", "/healthz"): {},
    ("GET", "/readyz"): {},
    ("GET", "/metrics"): {},
    ("GET", "/openapi.json"): {},
    ("GET", "/asyncapi.json"): {},
    ("POST", "/api/v1/login"): {"json": {"username": "disp2", "password": PASSWORD}},
    ("POST", "/api/v1/logout"): {"fresh_token": True},
    ("GET", "/api/v1/me"): {},
    ("GET", "/api/v1/users"): {},
    ("POST", "/api/v1/users/{username}/revoke"): {"path": "/api/v1/users/disp3/revoke"},
    ("GET", "/api/v1/street"): {},
    ("GET", "/api/v1/grids"): {},
    ("GET", "/api/v1/stations"): {},
    ("GET", "/api/v1/departments"): {},
    ("GET", "/api/v1/departments/{dept}"): {"path": "/api/v1/departments/cgj"},
    ("GET", "/"): {},
    ("GET", "/app"): {},
    ("GET", "/app/sw.js"): {},
    ("GET", "/app/manifest.webmanifest"): {},
    ("GET", "/api/v1/catalogue"): {},
    ("GET", "/api/v1/reports/{kind}"): {"path": "/api/v1/reports/daily"},
    ("GET", "/api/v1/reports/{kind}/figures/{figure}"): {
        "path": "/api/v1/reports/daily/figures/overdue?department=cgj"},
    ("GET", "/reports"): {},
    ("GET", "/api/v1/scores"): {},
    ("GET", "/api/v1/rules"): {},
    ("POST", "/api/v1/rules/dry-run"): {"json": {"item": "SR01", "lat": 39.03, "lon": 117.42}},
    ("POST", "/api/v1/rules/reload"): {},
    ("POST", "/api/v1/media"): {"files": {"file": ("p.png", PNG_1PX, "image/png")}},
    # Case routes: "prepare" builds, per allowed user, a case the action succeeds on.
    **case_examples(),
    # Location and patrols: a patrol may start at any time here (see settings_overrides).
    **location_examples(),
    # Alerts: "prepare" raises a fresh alert the user may act on.
    **alert_examples(),
    # Open311: public; a fresh key or request is made for each call ("path"/"data" callables).
    **open311_examples(),
}

WS_EXAMPLES: dict[str, str] = {
    "/ws/screen": "/ws/screen",
    "/ws/team": "/ws/team",
    "/ws/phone": "/ws/phone",
}


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"patrol_windows": ALL_DAY_WINDOWS}


def http_routes() -> list[tuple[str, str, Any]]:
    out = []
    for route in create_app().routes:
        if isinstance(route, Route):
            for method in sorted((route.methods or set()) - {"HEAD"}):
                out.append((method, route.path, policy_of(route.endpoint)))
    return out


def ws_routes() -> list[tuple[str, Any]]:
    return [(r.path, policy_of(r.endpoint)) for r in create_app().routes
            if isinstance(r, WebSocketRoute)]


def test_every_route_has_an_example_and_a_policy() -> None:
    missing = [(m, p) for m, p, _ in http_routes() if (m, p) not in EXAMPLES]
    assert missing == [], f"add these routes to EXAMPLES: {missing}"
    assert all(policy is not None for _, _, policy in http_routes())
    missing_ws = [p for p, _ in ws_routes() if p not in WS_EXAMPLES]
    assert missing_ws == [], f"add these sockets to WS_EXAMPLES: {missing_ws}"


def _call(live: LiveServer, method: str, path: str, token: str | None,
          username: str | None = None) -> int:
    example = EXAMPLES[(method, path)]
    target = example.get("path", path)
    if callable(target):
        target = target(live)
    body = example.get("json")
    if username is not None and "prepare" in example:
        target = example["prepare"](live, username)
        if isinstance(target, tuple):  # a body naming what was prepared
            target, body = target
    data = example.get("data")
    if callable(data):
        data = data(live)
    with live.client(token) as client:
        r = client.request(method, target, json=body, data=data,
                           files=example.get("files"), headers=example.get("headers"))
    if r.status_code >= 400:
        assert "error" in r.json(), r.text
    return r.status_code


def test_http_matrix(live: LiveServer, tokens: Callable[[str], str]) -> None:
    failures = []
    for method, path, policy in http_routes():
        expected_anon = range(200, 300) if policy.public else range(401, 402)
        got = _call(live, method, path, None)
        if got not in expected_anon:
            failures.append(f"{method} {path} anonymous: {got}")
        if not policy.public:
            got = _call(live, method, path, "not-a-real-token")
            if got != 401:
                failures.append(f"{method} {path} bad token: {got}")
        for role, username in ROLE_USERS.items():
            fresh = EXAMPLES[(method, path)].get("fresh_token")
            allowed = policy.public or role in policy.roles
            got = _call(live, method, path, live.login(username) if fresh else tokens(username),
                        username if allowed else None)
            if allowed and not 200 <= got < 300:
                failures.append(f"{method} {path} as {role.value}: {got}, expected 2xx")
            if not allowed and got != 403:
                failures.append(f"{method} {path} as {role.value}: {got}, expected 403")
    assert failures == []


def _ws_status(live: LiveServer, url: str, token: str | None) -> int:
    suffix = ("&" if "?" in url else "?") + f"token={token}" if token else ""
    try:
        with connect(live.ws_url + url + suffix, open_timeout=5) as ws:
            ws.close()
            return 101
    except InvalidStatus as exc:
        return int(exc.response.status_code)


def _ws_by_message(live: LiveServer, url: str, token: str) -> str:
    """The first-message form: "auth.ok", or the error code the socket closed with (1008)."""
    with connect(live.ws_url + url, open_timeout=5) as ws:
        ws.send(json.dumps({"type": "auth", "token": token}))
        reply = json.loads(ws.recv(timeout=5))
        if reply["type"] == "auth.ok":
            return "auth.ok"
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=5)
        assert ws.close_code == status.WS_1008_POLICY_VIOLATION
        return str(reply["code"])


@pytest.mark.parametrize("role", list(Role))
def test_websocket_matrix(live: LiveServer, tokens: Callable[[str], str], role: Role) -> None:
    for path, policy in ws_routes():
        url = WS_EXAMPLES[path]
        assert _ws_status(live, url, "bogus") == 401
        expected = 101 if role in policy.roles else 403
        assert _ws_status(live, url, tokens(ROLE_USERS[role])) == expected, (path, role)
        assert _ws_by_message(live, url, "bogus") == "invalid_token"
        by_message = "auth.ok" if role in policy.roles else "role_forbidden"
        assert _ws_by_message(live, url, tokens(ROLE_USERS[role])) == by_message, (path, role)
