"""/asyncapi.json describes every socket, its query, what each side sends; the messages a
real session exchanges validate against those schemas."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import jsonschema
import pytest
from starlette.routing import WebSocketRoute
from websockets.sync.client import connect

from dispatch.app import create_app
from tests.conftest import LiveServer
from tests.location.fixtures import ALL_DAY_WINDOWS


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"patrol_windows": ALL_DAY_WINDOWS}


def matches(doc: dict[str, Any], channel: str, way: str, message: dict[str, Any]) -> bool:
    """Whether ``message`` is one of the channel's messages that way."""
    for option in doc["channels"][channel][way]["message"]["oneOf"]:
        name = option["$ref"].rsplit("/", 1)[-1]
        schema = {"$ref": f"#/components/schemas/{name}", "components": doc["components"]}
        if jsonschema.Draft202012Validator(schema).is_valid(message):
            return True
    return False


def test_every_socket_is_described(live: LiveServer) -> None:
    with live.client() as c:
        doc = c.get("/asyncapi.json").json()
    sockets = {r.path for r in create_app().routes if isinstance(r, WebSocketRoute)}
    assert set(doc["channels"]) == sockets
    for channel in doc["channels"].values():
        for way in ("publish", "subscribe"):
            for option in channel[way]["message"]["oneOf"]:
                name = option["$ref"].rsplit("/", 1)[-1]
                assert name in doc["components"]["messages"]
                assert name in doc["components"]["schemas"]


def test_a_real_session_follows_the_document(live: LiveServer,
                                             tokens: Callable[[str], str]) -> None:
    with live.client() as c:
        doc = c.get("/asyncapi.json").json()
    exchanged: list[tuple[str, str, dict[str, Any]]] = []

    def talk(path: str, token: str, sent: list[dict[str, Any]], replies: int) -> None:
        with connect(f"{live.ws_url}{path}") as ws:
            for message in [{"type": "auth", "token": token}, *sent]:
                exchanged.append((path, "publish", message))
                ws.send(json.dumps(message))
            for _ in range(replies):
                exchanged.append((path, "subscribe", json.loads(ws.recv(timeout=5))))

    now = int(time.time() * 1000)
    talk("/ws/phone", tokens("gw001"), [
        {"type": "ping", "seq": 1, "lat": 39.03, "lon": 117.42, "ts": now},
        {"type": "pings", "items": [{"seq": 2, "lat": 39.03, "lon": 117.42, "ts": now + 1}]},
        {"type": "patrol.start"}], 4)
    talk("/ws/team", tokens("dm001"), [{"type": "accept", "case": "nosuch", "seq": 9}], 2)
    talk("/ws/screen", tokens("screen1"), [{"type": "ping", "seq": 3}], 3)
    kinds = {m["type"] for _, way, m in exchanged if way == "subscribe"}
    assert {"auth.ok", "ack", "patrol.started", "error", "snapshot", "pong"} <= kinds
    wrong = [(p, w, m["type"]) for p, w, m in exchanged if not matches(doc, p, w, m)]
    assert wrong == []
