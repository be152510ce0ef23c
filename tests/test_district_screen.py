"""The district screen's server side: the map of the streets and the district's socket,
against real uvicorn with a real WebSocket client on a three-street district."""

from __future__ import annotations

import dataclasses
import re
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
import shapely
from shapely.geometry import shape
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

import dispatch
from dispatch.org.model import OrgData
from dispatch.realtime.messages import schema_of
from dispatch.settings import Settings
from tests.conftest import LiveServer, emit, running
from tests.districts import district_overrides, escalate_to_district, seed_small_district
from tests.test_docs import problems
from tests.waiting import wait_until

RECV_S = 5.0
#: The figures come again this often here (DISPATCH_DISTRICT_FIGURES_EVERY).
FIGURES_EVERY_S = 0.3
#: Area left over or counted twice, in square degrees (far below one square metre).
AREA_TOLERANCE = 1e-12
SOCKET = "/ws/district"
POLICY_VIOLATION = 1008


@pytest.fixture
def settings_overrides(tmp_path: Path) -> dict[str, Any]:
    return district_overrides(tmp_path, district_figures_every_s=FIGURES_EVERY_S)


@pytest.fixture
def streets(settings: Settings) -> list[OrgData]:
    return seed_small_district(settings)


@pytest.fixture
def live_district(settings: Settings, streets: list[OrgData], live: LiveServer) -> LiveServer:
    return live


def received(ws: ClientConnection, kind: str) -> dict[str, Any]:
    """The next message of ``kind``, every message on the way held to its schema."""
    deadline = time.monotonic() + RECV_S
    while True:
        message = orjson.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
        schema = schema_of(SOCKET, "out", message["type"])
        assert schema is not None, message["type"]
        assert problems(message, schema) == [], message
        if message["type"] == kind:
            return dict(message)


def test_an_escalation_in_a_street_arrives_live_on_the_district_socket(
        live_district: LiveServer, settings: Settings, streets: list[OrgData]) -> None:
    live = live_district
    token = live.login("district.screen")
    with connect(f"{live.ws_url}{SOCKET}?token={token}", open_timeout=RECV_S) as ws:
        snapshot = received(ws, "snapshot")
        assert [r["street"] for r in snapshot["streets"]] == [s.street.code for s in streets]
        assert snapshot["escalations"] == [] and snapshot["district"] == "jizhou"
        second = streets[1]
        case_id = escalate_to_district(settings, second, int(time.time() * 1000))
        message = received(ws, "escalation")
        assert message["street"] == second.street.code
        assert message["alert"]["subject"] == {"case": case_id}
        assert (message["alert"]["data"]["level"], message["alert"]["data"]["notify"]) \
            == (3, "district")
        figures = received(ws, "figures")  # and the figures again, by the setting's clock
        rows = {r["street"]: r for r in figures["streets"]}
        assert rows[second.street.code]["escalated"] == 1
        assert rows[second.street.code]["open"] == 1 and figures["totals"]["open"] == 1
        ws.send(orjson.dumps({"type": "ping", "seq": 7}).decode())
        assert received(ws, "pong")["seq"] == 7
        with connect(f"{live.ws_url}{SOCKET}?token={token}", open_timeout=RECV_S) as again:
            [kept] = received(again, "snapshot")["escalations"]  # a new screen sees it too
            assert kept["street"] == second.street.code
            assert kept["subject"] == {"case": case_id}
        with live.client(live.login(f"{second.street.code}.disp1")) as c:  # the street ends it
            done = c.post(f"/api/v1/cases/{case_id}/cancel", json={"reason": "重复上报"})
        assert done.status_code == 200, done.text
        cleared = received(ws, "escalation")
        assert (cleared["alert"]["id"], cleared["alert"]["state"]) \
            == (message["alert"]["id"], "cleared")


def test_a_streets_users_are_refused_the_district_socket(
        live_district: LiveServer, streets: list[OrgData]) -> None:
    live = live_district
    code = streets[0].street.code
    for user in (f"{code}.screen", f"{code}.disp1"):
        token = live.login(user)
        with pytest.raises(InvalidStatus) as refused, \
                connect(f"{live.ws_url}{SOCKET}?token={token}", open_timeout=RECV_S):
            pass
        assert refused.value.response.status_code == 403
        with connect(f"{live.ws_url}{SOCKET}", open_timeout=RECV_S) as ws:  # by message
            ws.send(orjson.dumps({"type": "auth", "token": token}).decode())
            assert orjson.loads(ws.recv(timeout=RECV_S))["type"] == "auth.ok"  # by role
            error = orjson.loads(ws.recv(timeout=RECV_S))
            assert (error["type"], error["code"]) == ("error", "district_only")
            with pytest.raises(ConnectionClosed):
                ws.recv(timeout=RECV_S)
            assert ws.close_code == POLICY_VIOLATION
    # a district user drilled down to a street is still the district's
    token = live.login("district.disp1")
    with connect(f"{live.ws_url}{SOCKET}?token={token}&street={code}",
                 open_timeout=RECV_S) as ws:
        assert len(received(ws, "snapshot")["streets"]) == len(streets)


def test_the_map_has_each_streets_outline_and_they_make_up_the_district(
        live_district: LiveServer, streets: list[OrgData]) -> None:
    live = live_district
    with live.client(live.login("district.disp1")) as c:
        found = c.get("/api/v1/district/map")
        again = c.get("/api/v1/district/map")  # from the process's cache: the same
    assert found.status_code == 200, found.text
    body = found.json()
    assert again.json() == body
    by_code = {s["street"]: s for s in body["streets"]}
    assert list(by_code) == [s.street.code for s in streets]
    grids = [shape(f["geometry"]) for s in streets for f in s.grids["features"]]
    district = shapely.union_all(grids)
    outlines = {code: shape(s["geometry"]) for code, s in by_code.items()}
    assert all(o.geom_type == "Polygon" for o in outlines.values())  # one block a street
    assert abs(sum(o.area for o in outlines.values()) - district.area) < AREA_TOLERANCE
    assert shapely.union_all(list(outlines.values())).symmetric_difference(district).area \
        < AREA_TOLERANCE
    for s in streets:
        outline = outlines[s.street.code]
        own = shapely.union_all([shape(f["geometry"]) for f in s.grids["features"]])
        assert outline.symmetric_difference(own).area < AREA_TOLERANCE
        assert outline.contains(shapely.Point(by_code[s.street.code]["label"]))
        assert by_code[s.street.code]["name"] == s.street.name
    # about 4 x 12 cells of 510 m x 500 m each
    assert 11.0 < by_code[streets[0].street.code]["area_km2"] < 13.5
    code = streets[0].street.code
    with live.client(live.login(f"{code}.disp1")) as c:  # a street's users: their own
        own = c.get("/api/v1/district/map").json()
    assert [s["street"] for s in own["streets"]] == [code]


def test_every_text_of_the_district_screen_is_in_chinese_and_english() -> None:
    texts = (Path(dispatch.__file__).parent / "web" / "district" / "texts.js").read_text(
        encoding="utf-8")
    zh, en = texts.split("\n  en: {", 1)
    key = re.compile(r'^\s+"([a-z_.0-9]+)":', re.MULTILINE)
    used = set(re.findall(r't\("((?:district|dfig)\.[a-z_.0-9]+)"', "".join(
        p.read_text(encoding="utf-8")
        for p in (Path(dispatch.__file__).parent / "web" / "district").glob("*.js"))))
    assert set(key.findall(zh)) == set(key.findall(en))
    assert used <= set(key.findall(zh)), "texts used but not written"


#: A queue this short overflows under a burst of a street's events.
SHORT_QUEUE = 2
BURST = 300


def test_a_district_screen_that_falls_behind_is_resynced(
        settings: Settings, streets: list[OrgData]) -> None:
    short = dataclasses.replace(settings, ws_queue_len=SHORT_QUEUE)
    with running(short) as live:
        token = live.login("district.screen")
        with connect(f"{live.ws_url}{SOCKET}?token={token}", open_timeout=RECV_S) as ws:
            received(ws, "snapshot")
            street = dataclasses.replace(settings, street=streets[0].street.code)
            emit(street, *({"type": "positions", "items": []} for _ in range(BURST)))
            assert received(ws, "resync")["reason"]
            assert len(received(ws, "snapshot")["streets"]) == len(streets)


def hub_messages(live: LiveServer) -> float:
    """Messages the process's hubs handed to sockets so far (/metrics)."""
    with live.client() as c:
        text = c.get("/metrics").text
    found = re.search(r"^dispatch_hub_messages_total (\S+)$", text, re.MULTILINE)
    assert found is not None, "no hub_messages_total in /metrics"
    return float(found.group(1))


def test_a_closed_district_screen_leaves_no_subscription_behind(
        live_district: LiveServer, settings: Settings, streets: list[OrgData]) -> None:
    """A street's event reaches each socket subscribed to it once: with the district
    screen open, a street's own screen and the district's (2); once the district's closed,
    the street's screen only (1)."""
    live = live_district
    code = streets[2].street.code
    street = dataclasses.replace(settings, street=code)
    token = live.login("district.screen")

    def handed_out(screen: ClientConnection) -> float:
        before = hub_messages(live)
        emit(street, {"type": "positions", "items": []})
        while orjson.loads(screen.recv(timeout=RECV_S))["type"] != "positions":
            pass
        return hub_messages(live) - before

    with connect(f"{live.ws_url}/ws/screen?token={token}&street={code}",
                 open_timeout=RECV_S) as screen:
        assert orjson.loads(screen.recv(timeout=RECV_S))["type"] == "snapshot"
        with connect(f"{live.ws_url}{SOCKET}?token={token}", open_timeout=RECV_S) as ws:
            received(ws, "snapshot")
            assert handed_out(screen) == 2
        wait_until(lambda: handed_out(screen) == 1, "the district's subscription dropped",
                   timeout_s=RECV_S)
