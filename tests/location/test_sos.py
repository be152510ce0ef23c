"""SOS from every protocol reaches the screens: Traccar Client (each generation's alarm),
OwnTracks, and the field app's button over the phone socket."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import orjson
import pytest
from websockets.sync.client import ClientConnection, connect

from dispatch.org.model import OrgData
from tests.conftest import PASSWORD, LiveServer
from tests.location.fixtures import inside, now_ms, phone, recv_until, send
from tests.location.test_location_compat import basic

FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"}


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")


@contextlib.contextmanager
def _screen(live: LiveServer, token: str, query: str = "") -> Iterator[ClientConnection]:
    with connect(f"{live.ws_url}/ws/screen?token={token}{query}", open_timeout=5) as ws:
        assert orjson.loads(ws.recv(timeout=5))["type"] == "snapshot"
        yield ws


def _sos_of(worker: str) -> Callable[[dict[str, Any]], bool]:
    def match(m: dict[str, Any]) -> bool:
        return (m.get("type") == "alert" and m.get("kind") == "sos"
                and m.get("subject", {}).get("worker") == worker)
    return match


def test_sos_from_every_protocol_reaches_the_screens(
        live: LiveServer, seeded: OrgData, tokens: Callable[[str], str]) -> None:
    t = now_ms() // 1000 - 30

    def place(grid: str) -> tuple[float, float]:
        lon, lat = inside(seeded, grid)
        return lat, lon

    def legacy() -> None:  # Traccar Client for Android, up to 8: alarm in the query string
        lat, lon = place("001")
        with live.client() as http:
            r = http.post(f"/osmand?id=gw001&timestamp={t}&lat={lat}&lon={lon}&speed=0.0"
                          "&bearing=0.0&altitude=0.0&accuracy=5.0&batt=64.0&alarm=sos")
            assert r.status_code == 200

    def v9() -> None:  # Traccar Client 9: the alarm in the location's extras
        lat, lon = place("002")
        body = {"location": {"timestamp": _iso(t * 1000), "coords": {
            "latitude": lat, "longitude": lon, "accuracy": 5, "speed": 0, "heading": -1,
            "altitude": 2}, "battery": {"level": 0.64, "is_charging": False},
            "extras": {"alarm": "sos"}}, "device_id": "gw002"}
        with live.client() as http:
            assert http.post("/osmand", json=body).status_code == 200

    def v10() -> None:  # Traccar Client 10: a form with alarm=sos
        lat, lon = place("003")
        form = {"id": "gw003", "lat": lat, "lon": lon, "timestamp": t, "accuracy": 5.0,
                "batt": 64, "charge": "false", "alarm": "sos"}
        with live.client() as http:
            assert http.post("/osmand", content=urlencode(form), headers=FORM).status_code == 200

    def owntracks() -> None:  # OwnTracks: an alarm trigger on a location
        lat, lon = place("004")
        body = {"_type": "location", "lat": lat, "lon": lon, "tst": t, "acc": 5, "batt": 64,
                "t": "a", "tid": "04"}
        with live.client() as http:
            r = http.post("/owntracks", json=body,
                          headers={"Authorization": basic("gw004", PASSWORD)})
            assert r.status_code == 200 and r.json() == []

    def field_app() -> None:  # our field app's SOS button
        lat, lon = place("005")
        with phone(live, tokens("gw005")) as ws:
            send(ws, {"type": "sos", "seq": 9, "lat": lat, "lon": lon, "acc": 5.0, "batt": 64})
            reply = recv_until(ws, lambda m: m.get("type") == "sos.raised")
            assert reply["ref"] == 9 and reply["outcome"] == "raised"

    protocols = {"gw001": legacy, "gw002": v9, "gw003": v10, "gw004": owntracks,
                 "gw005": field_app}
    reached = []
    station = next(f["properties"]["station"] for f in seeded.grids["features"]
                   if f["properties"]["id"] == "001")
    with _screen(live, tokens("disp1")) as centre, \
            _screen(live, tokens("screen1"), f"&station={station}") as own_station:
        for worker, send_sos in protocols.items():
            send_sos()
            alert = recv_until(centre, _sos_of(worker))
            grid = worker[2:]
            lat, lon = place(grid)
            data = alert["data"]
            assert alert["severity"] == "critical" and alert["state"] == "open"
            assert (data["lat"], data["lon"]) == pytest.approx((lat, lon), abs=1e-7)
            assert data["batt"] == 64.0
            assert data["grid"] == grid
            reached.append(worker)
        assert recv_until(own_station, _sos_of("gw001"))["scope"]["station"] == station
        # it stays until someone acknowledges it
        with live.client(tokens("disp1")) as http:
            open_ = http.get("/api/v1/alerts", params={"kind": "sos"}).json()["items"]
            assert {a["subject"]["worker"] for a in open_} == set(protocols)
            first = next(a for a in open_ if a["subject"]["worker"] == "gw001")
            acked = http.post(f"/api/v1/alerts/{first['id']}/ack", json={"note": "已联系"})
            assert acked.status_code == 200 and acked.json()["state"] == "acked"
        update = recv_until(centre, lambda m: _sos_of("gw001")(m) and m["state"] == "acked")
        assert update["id"] == first["id"]
    assert reached == list(protocols)


def test_the_worker_s_phone_hears_its_own_sos_and_repeats_join_it(
        live: LiveServer, seeded: OrgData, tokens: Callable[[str], str]) -> None:
    with phone(live, tokens("gw001")) as ws:
        send(ws, {"type": "sos"})  # no position: the last known one, or none
        first = recv_until(ws, lambda m: m.get("type") == "sos.raised")
        told = recv_until(ws, lambda m: m.get("type") == "alert")
        assert told["kind"] == "sos" and told["id"] == first["alert"]
        send(ws, {"type": "sos", "lat": 91.0, "lon": 0.0})
        again = recv_until(ws, lambda m: m.get("type") == "sos.raised")
        assert again == {"type": "sos.raised", "alert": first["alert"], "outcome": "joined"}
        send(ws, {"type": "bogus"})
        assert recv_until(ws, lambda m: m.get("type") == "error")["code"] == "unknown_type"
