"""Sockets authenticate with a first message ``{"type":"auth","token"}`` (the token stays out
of the URL); ``?token=`` keeps working; a missing, late, wrong or refused token closes 1008."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.conftest import LiveServer

POLICY_VIOLATION = 1008
AUTH_TIMEOUT_S = 0.5


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"ws_auth_timeout_s": AUTH_TIMEOUT_S}


def receive(ws: ClientConnection) -> dict[str, Any]:
    return dict(json.loads(ws.recv(timeout=5)))


def closed_with(ws: ClientConnection) -> tuple[dict[str, Any], int | None]:
    message = receive(ws)
    with pytest.raises(ConnectionClosed):
        ws.recv(timeout=5)
    return message, ws.close_code


def test_screen_by_first_message(live: LiveServer, tokens: Callable[[str], str]) -> None:
    token = tokens("screen1")  # (signed in before the socket's time to authenticate runs)
    with connect(f"{live.ws_url}/ws/screen") as ws:
        ws.send(json.dumps({"type": "auth", "token": token}))
        assert receive(ws) == {"type": "auth.ok", "user": "screen1", "role": "screen"}
        assert receive(ws)["type"] == "snapshot"


def test_phone_by_first_message_then_pings(live: LiveServer,
                                           tokens: Callable[[str], str]) -> None:
    token = tokens("gw001")
    with connect(f"{live.ws_url}/ws/phone") as ws:
        ws.send(json.dumps({"type": "auth", "token": token}))
        assert receive(ws)["type"] == "auth.ok"
        ws.send(json.dumps({"type": "ping", "seq": 1, "lat": 39.03, "lon": 117.42,
                            "ts": int(time.time() * 1000)}))
        assert receive(ws) == {"type": "ack", "seq": 1}


def test_query_token_still_works(live: LiveServer, tokens: Callable[[str], str]) -> None:
    with connect(f"{live.ws_url}/ws/screen?token={tokens('screen1')}") as ws:
        assert receive(ws)["type"] == "snapshot"


@pytest.mark.parametrize(("first", "code"), [
    ({"type": "ping", "seq": 1}, "auth_required"),
    ({"type": "auth"}, "auth_required"),
    ({"type": "auth", "token": "not-a-token"}, "invalid_token"),
    ("not json", "auth_required"),
])
def test_bad_first_message_closes_1008(live: LiveServer, seeded: Any, first: Any,
                                        code: str) -> None:
    with connect(f"{live.ws_url}/ws/team") as ws:
        ws.send(first if isinstance(first, str) else json.dumps(first))
        message, close = closed_with(ws)
    assert message["type"] == "error" and message["code"] == code
    assert close == POLICY_VIOLATION


def test_role_outside_the_socket_closes_1008(live: LiveServer,
                                             tokens: Callable[[str], str]) -> None:
    token = tokens("screen1")
    with connect(f"{live.ws_url}/ws/phone") as ws:
        ws.send(json.dumps({"type": "auth", "token": token}))
        message, close = closed_with(ws)
    assert message["code"] == "role_forbidden" and close == POLICY_VIOLATION


def test_silence_past_the_timeout_closes_1008(live: LiveServer, seeded: Any) -> None:
    started = time.monotonic()
    with connect(f"{live.ws_url}/ws/screen") as ws:
        message, close = closed_with(ws)
    assert message["code"] == "auth_timeout" and close == POLICY_VIOLATION
    assert AUTH_TIMEOUT_S <= time.monotonic() - started < AUTH_TIMEOUT_S + 3
