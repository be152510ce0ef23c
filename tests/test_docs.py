"""The documentation in the repository tells the truth: the generated parts are current,
the contract names every route and socket, and real socket traffic has the documented shapes."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import Any

import orjson
from starlette.routing import Mount, Route, WebSocketRoute
from websockets.sync.client import ClientConnection, connect

from dispatch.docs import stale
from dispatch.http.routes import all_routes
from dispatch.org.model import OrgData
from dispatch.realtime.messages import Schema, schema_of
from tests.cases.helpers import CGJ_ITEM, Cases, of_type
from tests.conftest import LiveServer
from tests.location.fixtures import inside, now_ms

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = ROOT / "docs" / "contract.md"
RECV_S = 5.0


def test_the_generated_documents_are_current() -> None:
    assert stale(ROOT) == [], "run: python -m dispatch.docs"


def test_the_contract_names_every_route_and_socket() -> None:
    text = CONTRACT.read_text(encoding="utf-8")
    written = {re.sub(r"\{[^}]*\}", "{}", p) for p in re.findall(r"`(?:[A-Z]+ )?(/[^` ?]*)", text)}
    missing = []
    for route in all_routes():
        if isinstance(route, Route | WebSocketRoute | Mount):
            path = re.sub(r"\{[^}]*\}", "{}", route.path)
            if path not in written and not any(w.startswith(path + "/") for w in written):
                missing.append(route.path)
    assert missing == [], f"docs/contract.md does not name {missing}"


# --- a small JSON Schema reader: the subset messages.py uses ---------------------------------

TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}


def problems(value: Any, schema: Schema, path: str = "$") -> list[str]:
    if "anyOf" in schema:
        if all(problems(value, s, path) for s in schema["anyOf"]):
            return [f"{path}: none of the choices fits {value!r}"]
        return []
    if "const" in schema and value != schema["const"]:
        return [f"{path}: {value!r} is not {schema['const']!r}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{path}: {value!r} is not one of {schema['enum']}"]
    kind = schema.get("type")
    if kind in ("integer", "number"):
        ok = isinstance(value, int | float) and not isinstance(value, bool) and (
            kind == "number" or float(value).is_integer())
        return [] if ok else [f"{path}: {value!r} is not a {kind}"]
    if kind is not None and not isinstance(value, TYPES[kind]):
        return [f"{path}: {value!r} is not a {kind}"]
    found = []
    if isinstance(value, dict):
        found += [f"{path}: {name} is missing" for name in schema.get("required", ())
                  if name not in value]
        for name, sub in schema.get("properties", {}).items():
            if name in value:
                found += problems(value[name], sub, f"{path}.{name}")
    if isinstance(value, list) and "items" in schema:
        for n, item in enumerate(value):
            found += problems(item, schema["items"], f"{path}[{n}]")
    return found


class Watched:
    """A socket whose every message, both ways, is checked against the documented schema."""

    def __init__(self, live: LiveServer, path: str, token: str) -> None:
        self.path = path
        self._stack = contextlib.ExitStack()
        self.ws: ClientConnection = self._stack.enter_context(
            connect(f"{live.ws_url}{path}?token={token}", open_timeout=RECV_S))
        self.wrong: list[str] = []
        self.seen: set[str] = set()

    def _check(self, direction: str, message: dict[str, Any]) -> None:
        schema = schema_of(self.path, direction, message.get("type", ""))
        if schema is None:
            self.wrong.append(f"{self.path} {direction}: undocumented {message.get('type')}")
            return
        self.wrong += [f"{self.path} {direction} {message['type']}: {p}"
                       for p in problems(message, schema)]
        self.seen.add(f"{direction}:{message['type']}")

    def send(self, message: dict[str, Any]) -> None:
        self._check("in", message)
        self.ws.send(orjson.dumps(message).decode())

    def until(self, kind: str) -> dict[str, Any]:
        while True:
            message = dict(orjson.loads(self.ws.recv(timeout=RECV_S)))
            self._check("out", message)
            if message["type"] == kind:
                return message

    def close(self) -> None:
        self._stack.close()


def test_socket_traffic_has_the_documented_shapes(live: LiveServer, tokens: Any,
                                                  seeded: OrgData) -> None:
    cases = Cases(live, tokens)
    screen = Watched(live, "/ws/screen", tokens("disp1"))
    team = Watched(live, "/ws/team", tokens("dm001"))
    phone = Watched(live, "/ws/phone", tokens("gw001"))
    try:
        screen.until("snapshot")
        lon, lat = inside(seeded, "001")
        t = now_ms() - 10_000
        phone.send({"type": "ping", "seq": 1, "lat": lat, "lon": lon, "ts": t, "acc": 5.0})
        phone.until("ack")
        phone.send({"type": "pings", "items": [
            {"seq": 2, "lat": lat, "lon": lon, "ts": t + 5_000},
            {"seq": 3, "lat": 91.0, "lon": lon, "ts": t + 6_000}]})
        phone.until("error")
        screen.until("positions")
        case = cases.report(item=CGJ_ITEM)
        offered = team.until("job.offered")
        assert of_type("job.offered", case["id"])(offered)
        screen.until("case")
        team.send({"type": "accept", "case": case["id"], "seq": 4})
        team.until("ack")
        screen.send({"type": "ping", "seq": 5})
        screen.until("pong")
    finally:
        for socket in (screen, team, phone):
            socket.close()
    wrong = screen.wrong + team.wrong + phone.wrong
    assert wrong == [], "\n".join(wrong)
    assert {"out:snapshot", "out:positions", "out:case", "out:pong"} <= screen.seen
    assert {"out:ack", "out:error"} <= phone.seen and "out:job.offered" in team.seen


def layout() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Layout"):]
    return section[section.index("```") + 3:section.index("```", section.index("```") + 3)]


def test_the_readmes_layout_matches_the_tree() -> None:
    text = layout()
    named = re.findall(r"^(\S+)", text, re.M)
    assert [n for n in named if not (ROOT / n).exists()] == [], "the layout names a ghost"
    packages = sorted(str(p.parent.relative_to(ROOT)) + "/"
                      for p in (ROOT / "dispatch").glob("*/__init__.py"))
    wanted = [*packages, "dispatch/web/", "clients/simulator/", "bench/", "docs/", "tests/"]
    assert [d for d in wanted if d not in named] == [], "add these to the README's layout"
    modules = re.findall(r"([a-z_]+\.py)", text)
    assert [m for m in modules if not (ROOT / "dispatch" / m).exists()] == []
