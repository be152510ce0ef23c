"""OsmAnd / Traccar Client and OwnTracks, with the requests those apps really send."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import orjson
import pytest

from dispatch.identity.users import UserStore
from dispatch.org.model import OrgData
from dispatch.settings import Settings
from tests.conftest import PASSWORD, LiveServer
from tests.location.fixtures import (
    MINUTE_MS,
    inside,
    now_ms,
    phone,
    ping,
    recv,
    send,
    with_service,
)

KNOT = 1852 / 3600
JSON_CT = "application/json"


def newest(settings: Settings, worker: str = "gw001") -> dict[str, Any]:
    """The worker's newest stored fix as the track has it."""
    t = now_ms()
    track = with_service(settings, lambda c: c.location.track_between(
        worker, t - 3 * 24 * 60 * MINUTE_MS, t + MINUTE_MS))
    assert len(track), "nothing stored"
    return {k: getattr(track, k)[-1].item() for k in
            ("ts", "lat", "lon", "acc", "speed", "heading", "batt")}


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")


# --- OsmAnd / Traccar Client -----------------------------------------------------------------


def test_traccar_client_post_with_the_query_string(
        live: LiveServer, seeded: OrgData, settings: Settings) -> None:
    lon, lat = inside(seeded, "001")
    ts_s = now_ms() // 1000 - 30
    with live.client() as http:
        r = http.post(f"/osmand?id=gw001&timestamp={ts_s}&lat={lat}&lon={lon}&speed=10.0"
                      "&bearing=270.5&altitude=12.0&accuracy=8.0&batt=85.0")
    assert r.status_code == 200, r.text
    fix = newest(settings)
    assert fix["ts"] == ts_s * 1000
    assert (fix["lat"], fix["lon"]) == pytest.approx((lat, lon), abs=1e-7)
    assert fix["speed"] == pytest.approx(10 * KNOT, abs=0.01)
    assert (fix["heading"], fix["acc"], fix["batt"]) == (270.5, 8.0, 85.0)


def test_osmand_get_with_milliseconds_and_a_location_pair(
        live: LiveServer, seeded: OrgData, settings: Settings) -> None:
    lon, lat = inside(seeded, "001")
    ts = now_ms() - 20_000
    with live.client() as http:
        r = http.get("/osmand", params={"deviceid": "gw001", "location": f"{lat},{lon}",
                                        "timestamp": str(ts), "hdop": "1.0", "speed": "0"})
    assert r.status_code == 200, r.text
    assert newest(settings)["ts"] == ts


def test_osmand_form_body_with_an_iso_timestamp(
        live: LiveServer, seeded: OrgData, settings: Settings) -> None:
    lon, lat = inside(seeded, "001")
    ts = now_ms() - 15_000
    with live.client() as http:
        r = http.post("/osmand", data={"id": "gw001", "lat": str(lat), "lon": str(lon),
                                       "timestamp": iso(ts), "heading": "90"})
    assert r.status_code == 200, r.text
    fix = newest(settings)
    assert fix["ts"] == ts and fix["heading"] == 90.0


def test_traccar_client_json_body(live: LiveServer, seeded: OrgData, settings: Settings) -> None:
    lon, lat = inside(seeded, "001")
    ts = now_ms() - 10_000
    body = {
        "location": {
            "event": "motionchange", "is_moving": True, "uuid": "2f8c", "odometer": 12.5,
            "timestamp": iso(ts),
            "coords": {"latitude": lat, "longitude": lon, "accuracy": 4.5, "speed": 1.4,
                       "speed_accuracy": -1, "heading": -1, "heading_accuracy": -1,
                       "altitude": 3.2, "ellipsoidal_altitude": 3.2,
                       "altitude_accuracy": 1.1, "age": 120},
            "activity": {"type": "walking", "confidence": 100},
            "battery": {"is_charging": False, "level": 0.62},
            "extras": {},
        },
        "device_id": "gw001",
    }
    with live.client() as http:
        r = http.post("/osmand", json=body)
    assert r.status_code == 200, r.text
    fix = newest(settings)
    assert fix["ts"] == ts and fix["speed"] == pytest.approx(1.4)
    assert fix["acc"] == 4.5 and fix["batt"] == 62.0
    assert fix["heading"] != fix["heading"]  # -1: unknown (NaN)


def live_of(settings: Settings, worker: str = "gw001") -> dict[str, Any]:
    """The worker as the screens see them (presence, battery, charging, geofence)."""
    found = with_service(settings, lambda c: c.location.workers())
    return next(w for w in found if w["worker"] == worker)


def metric(http: Any, name: str, **labels: str) -> float:
    """A counter's value from /metrics (0 when not counted yet)."""
    text = http.get("/metrics").text
    for line in text.splitlines():
        if line.startswith(f"dispatch_{name}{{") and all(
                f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"}


def test_traccar_client_generations(live: LiveServer, seeded: OrgData,
                                    settings: Settings) -> None:
    """The request of each Traccar Client generation, as it sends it."""
    lon, lat = inside(seeded, "001")
    t = now_ms() // 1000 - 300
    checked = 0
    with live.client() as http:
        # legacy Android app: POST with everything in the query string and no body
        r = http.post(f"/osmand?id=gw001&timestamp={t}&lat={lat}&lon={lon}&speed=1.94384"
                      "&bearing=180.0&altitude=3.0&accuracy=0.0&batt=85.0&charge=true&mock=true")
        assert r.status_code == 200 and r.json()["verdicts"] == {"ok": 1}
        fix = newest(settings)
        assert fix["ts"] == t * 1000 and fix["speed"] == pytest.approx(1.0, abs=0.01)
        assert (fix["heading"], fix["acc"], fix["batt"]) == (180.0, 0.0, 85.0)
        assert live_of(settings)["charging"] is True
        checked += 1
        # Traccar Client 9: the background-geolocation JSON body of its location template
        ts = (t + 10) * 1000
        body = {"location": {
            "timestamp": iso(ts), "coords": {"latitude": lat, "longitude": lon, "accuracy": 6,
                                             "speed": 1.5, "heading": 90, "altitude": 4},
            "is_moving": True, "odometer": 120, "event": "", "battery": {
                "level": 0.5, "is_charging": False},
            "activity": {"type": "on_foot"}, "extras": {},
            "_": f"&id=gw001&lat={lat}&lon={lon}&timestamp={iso(ts)}&"}, "device_id": "gw001"}
        r = http.post("/osmand", content=orjson.dumps(body),
                      headers={"Content-Type": "application/json"})
        assert r.status_code == 200, r.text
        fix = newest(settings)
        assert (fix["ts"], fix["speed"], fix["heading"], fix["batt"]) == (ts, 1.5, 90.0, 50.0)
        assert live_of(settings)["charging"] is False
        checked += 1
        # Traccar Client 10: a form POST (speed in knots, rounded to 0.01)
        form = {"id": "gw001", "lat": str(lat), "lon": str(lon), "timestamp": str(t + 20),
                "accuracy": "4.0", "altitude": "5.0", "speed": "0.97", "bearing": "45.0",
                "batt": "77", "charge": "false"}
        r = http.post("/osmand", content=urlencode(form), headers=FORM)
        assert r.status_code == 200 and r.json()["verdicts"] == {"ok": 1}
        fix = newest(settings)
        assert fix["ts"] == (t + 20) * 1000 and fix["speed"] == pytest.approx(0.5, abs=0.01)
        assert (fix["acc"], fix["heading"], fix["batt"]) == (4.0, 45.0, 77.0)
        checked += 1
        # ... its heartbeat: no position, battery and charging only
        r = http.post("/osmand", content=f"id=gw001&timestamp={t + 30}&batt=42&charge=true",
                      headers=FORM)
        assert r.status_code == 200 and r.json()["no_fix"] == "heartbeat"
        assert newest(settings)["ts"] == (t + 20) * 1000  # the map did not move
        seen = live_of(settings)
        assert seen["batt"] == 42.0 and seen["charging"] is True and seen["state"] == "online"
        assert seen["position"]["ts"] == (t + 20) * 1000
        checked += 1
        # ... with the battery details some builds add (battery_*), and as a JSON list
        r = http.post("/osmand", content=urlencode({
            **form, "timestamp": str(t + 40), "battery_health": "good",
            "battery_voltage": "4123", "battery_temp": "31.5"}), headers=FORM)
        assert r.status_code == 200 and newest(settings)["ts"] == (t + 40) * 1000
        checked += 1
        items = [{"id": "gw001", "lat": lat, "lon": lon, "timestamp": t + 50 + n, "batt": 70,
                  "charge": True, "speed": 0.0} for n in range(2)]
        r = http.post("/osmand/", json=items)  # a server URL typed with a slash at the end
        assert r.status_code == 200 and len(r.json()["items"]) == 2
        assert newest(settings)["ts"] == (t + 51) * 1000
        checked += 1
    assert checked == 6


def test_what_cannot_be_used_is_answered_2xx_and_counted(
        live: LiveServer, seeded: OrgData, settings: Settings) -> None:
    lon, lat = inside(seeded, "001")
    t = now_ms() // 1000 - 60
    with live.client() as http:
        r = http.post("/osmand", content=f"id=gw001&timestamp={t}&lat={lat}&lon={lon}&batt=90")
        assert r.status_code == 200  # a form body with no Content-Type, as Traccar reads it
        assert newest(settings)["batt"] == 90.0
        r = http.post("/osmand", content=f"id=gw001&timestamp={t + 1}&lat={lat}&lon={lon}",
                      headers={"Content-Type": "text/plain"})
        assert r.status_code == 200 and newest(settings)["ts"] == (t + 1) * 1000
        zero = metric(http, "location_nofix_total", source="osmand", reason="null_island")
        r = http.get("/osmand", params={"id": "gw001", "lat": "0", "lon": "0",
                                        "timestamp": str(t + 2)})
        assert r.status_code == 200 and r.json()["no_fix"] == "null_island"
        assert metric(http, "location_nofix_total", source="osmand",
                      reason="null_island") == zero + 1
        for params in ({"id": "gw001", "lat": "95", "lon": str(lon)},
                       {"id": "gw001", "lat": "north", "lon": str(lon)},
                       {"id": "gw001", "lat": str(lat), "lon": str(lon), "timestamp": "soon"},
                       {"id": "gw001", "wifi": "00-14-22-01-23-45,-80"}):
            r = http.get("/osmand", params=params)
            assert r.status_code == 200 and r.json()["no_fix"], params
        assert newest(settings)["ts"] == (t + 1) * 1000  # none of them moved the map
        # a value outside physical bounds is dropped from a fix that is kept
        refused = metric(http, "location_fields_refused_total", source="osmand", field="speed")
        r = http.get("/osmand", params={"id": "gw001", "lat": str(lat), "lon": str(lon),
                                        "timestamp": str(t + 3), "speed": "1e300",
                                        "batt": "250", "bearing": "45"})
        assert r.status_code == 200 and r.json()["verdicts"] == {"ok": 1}
        fix = newest(settings)
        assert fix["ts"] == (t + 3) * 1000 and fix["heading"] == 45.0
        assert fix["speed"] != fix["speed"] and fix["batt"] != fix["batt"]  # NaN: unknown
        assert metric(http, "location_fields_refused_total", source="osmand",
                      field="speed") == refused + 1
        # only what a retry cannot fix is refused: an unknown device, or none named
        r = http.get("/osmand", params={"id": "nobody", "lat": str(lat), "lon": str(lon)})
        assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_device"
        r = http.get("/osmand", params={"lat": str(lat), "lon": str(lon)})
        assert r.status_code == 404 and r.json()["error"]["field"] == "id"
        r = http.post("/osmand", content=b"{not json", headers={"Content-Type": JSON_CT})
        assert r.status_code == 404


def test_our_own_pings_drop_values_outside_physical_bounds(
        live: LiveServer, seeded: OrgData, settings: Settings,
        tokens: Callable[[str], str]) -> None:
    lon, lat = inside(seeded, "001")
    ts = now_ms() - 5_000
    with phone(live, tokens("gw001")) as ws:
        send(ws, ping(1, lon, lat, ts, speed=1e300, acc=4.0, batt=-3))
        assert recv(ws) == {"type": "ack", "seq": 1}
    fix = newest(settings)
    assert fix["ts"] == ts and fix["acc"] == 4.0
    assert fix["speed"] != fix["speed"] and fix["batt"] != fix["batt"]
    with live.client(tokens("gw001")) as http:
        r = http.post("/api/v1/locations", json={"items": [
            {"lat": lat, "lon": lon, "ts": ts + 1000, "heading": 720, "speed": 1.0}]})
        assert r.json()["stored"] == 1
    fix = newest(settings)
    assert fix["heading"] != fix["heading"] and fix["speed"] == 1.0


# --- OwnTracks ---------------------------------------------------------------------------------


def owntracks_location(lat: float, lon: float, tst: int) -> dict[str, Any]:
    return {"_type": "location", "tid": "01", "lat": lat, "lon": lon, "tst": tst, "acc": 12,
            "batt": 77, "vel": 18, "cog": 45, "alt": 5, "conn": "m", "t": "u", "bs": 1,
            "topic": "owntracks/gw001/phone", "created_at": tst + 1}


def test_owntracks_with_basic_auth_and_cached_logins(
        live: LiveServer, seeded: OrgData, settings: Settings,
        monkeypatch: pytest.MonkeyPatch) -> None:
    checks = []
    real = UserStore.check_password

    async def counted(self: UserStore, username: str, password: str) -> Any:
        checks.append(username)
        return await real(self, username, password)

    monkeypatch.setattr(UserStore, "check_password", counted)
    lon, lat = inside(seeded, "001")
    tst = now_ms() // 1000 - 60
    headers = {"Authorization": basic("gw001", PASSWORD), "X-Limit-U": "gw001",
               "X-Limit-D": "phone"}
    with live.client() as http:
        for n in range(3):
            r = http.post("/owntracks", json=owntracks_location(lat, lon, tst + n),
                          headers=headers)
            assert r.status_code == 200 and r.json() == [], r.text
        for other in ({"_type": "transition", "event": "enter", "tst": tst},
                      {"_type": "lwt", "tst": tst}, {"_type": "waypoints", "waypoints": []}):
            r = http.post("/owntracks", json=other, headers=headers)
            assert r.status_code == 200 and r.json() == []
    assert checks == ["gw001"]  # one scrypt check, then the cache
    fix = newest(settings)
    assert fix["ts"] == (tst + 2) * 1000
    assert fix["speed"] == pytest.approx(5.0) and fix["heading"] == 45.0 and fix["batt"] == 77


def test_owntracks_with_x_limit_headers_and_a_token(
        live: LiveServer, seeded: OrgData, settings: Settings,
        tokens: Callable[[str], str]) -> None:
    lon, lat = inside(seeded, "001")
    tst = now_ms() // 1000 - 5
    body = owntracks_location(lat, lon, tst)
    with live.client() as http:
        ok = http.post("/owntracks", json=body, headers={
            "Authorization": f"Bearer {tokens('gw001')}", "X-Limit-U": "gw001",
            "X-Limit-D": "phone"})
        assert ok.status_code == 200 and ok.json() == []
        other = http.post("/owntracks", json=body, headers={
            "Authorization": f"Bearer {tokens('gw001')}", "X-Limit-U": "gw002"})
        assert other.status_code == 403
        desk = http.post("/owntracks", json=body,
                         headers={"Authorization": f"Bearer {tokens('disp1')}"})
        assert desk.status_code == 403
    assert newest(settings)["ts"] == tst * 1000


def test_owntracks_refuses_wrong_or_missing_credentials(
        live: LiveServer, seeded: OrgData) -> None:
    lon, lat = inside(seeded, "001")
    body = owntracks_location(lat, lon, now_ms() // 1000)
    with live.client() as http:
        wrong = http.post("/owntracks", json=body,
                          headers={"Authorization": basic("gw001", "not-it")})
        none = http.post("/owntracks", json=body)
        desk = http.post("/owntracks", json=body,
                         headers={"Authorization": basic("disp1", PASSWORD)})
    assert desk.status_code == 403 and desk.json()["error"]["code"] == "role_forbidden"
    for r in (wrong, none):
        assert r.status_code == 401
        assert r.headers["www-authenticate"].startswith("Basic")
        assert r.json()["error"]["code"] in {"bad_credentials", "missing_credentials"}


def test_owntracks_fixtures(live: LiveServer, seeded: OrgData, settings: Settings) -> None:
    """Every message type the OwnTracks apps post over HTTP: 200 [] to each; locations
    stored, a transition of the worker's own grid recorded, the rest ignored."""
    lon, lat = inside(seeded, "001")
    grid_name = str(next(f for f in seeded.grids["features"]
                         if f["properties"]["id"] == "001")["properties"]["name"])
    tst = now_ms() // 1000 - 120
    auth = {"Authorization": basic("gw001", PASSWORD), "X-Limit-U": "gw001",
            "X-Limit-D": "phone"}
    fixtures: list[tuple[str, bytes, dict[str, str]]] = [
        ("location", orjson.dumps(owntracks_location(lat, lon, tst)), {}),
        ("transition", orjson.dumps({
            "_type": "transition", "wtst": tst - 86_400, "lat": lat, "lon": lon, "tst": tst + 5,
            "acc": 8, "tid": "01", "event": "enter", "desc": grid_name, "t": "c",
            "rid": "a1b2c3"}), {}),
        ("transition elsewhere", orjson.dumps({
            "_type": "transition", "wtst": tst, "lat": lat, "lon": lon, "tst": tst + 6, "acc": 8,
            "event": "leave", "desc": "Home", "t": "c"}), {}),
        ("waypoint", orjson.dumps({"_type": "waypoint", "desc": grid_name, "lat": lat,
                                   "lon": lon, "rad": 300, "tst": tst - 86_400,
                                   "rid": "a1b2c3"}), {}),
        ("waypoints", orjson.dumps({"_type": "waypoints", "waypoints": []}), {}),
        ("lwt", orjson.dumps({"_type": "lwt", "tst": tst - 600}), {}),
        ("card", orjson.dumps({"_type": "card", "tid": "01", "name": "王网格员"}), {}),
        ("encrypted", orjson.dumps({"_type": "encrypted", "data": "c2VjcmV0"}), {}),
        ("empty body", b"", {}),
        ("zero position", orjson.dumps({**owntracks_location(0.0, 0.0, tst + 20)}), {}),
        ("posted as a form", orjson.dumps({"_type": "location", "t": "u", "batt": 11, "lat": lat,
                                           "lon": lon, "tid": "01", "tst": tst + 30}),
         {"Content-Type": "application/x-www-form-urlencoded"}),
    ]
    with live.client() as http:
        for name, body, headers in fixtures:
            r = http.post("/owntracks", content=body,
                          headers={"Content-Type": "application/json", **auth, **headers})
            assert r.status_code == 200 and r.json() == [], (name, r.text)
    fix = newest(settings)
    assert fix["ts"] == (tst + 30) * 1000 and fix["batt"] == 11.0  # (0,0) was dropped
    stored = with_service(settings, lambda c: c.location.track_between(
        "gw001", tst * 1000, (tst + 30) * 1000))
    assert stored.ts.tolist() == [tst * 1000, (tst + 5) * 1000, (tst + 6) * 1000,
                                  (tst + 30) * 1000]  # transitions carry a fix too
    seen = live_of(settings)
    assert seen["geofence"] == {"event": "enter", "grid": "001", "ts": (tst + 5) * 1000,
                                "region": grid_name, "rid": "a1b2c3"}
    fences = with_service(settings, lambda c: c.location.store.fences("gw001"))
    assert len(fences) == 1  # "Home" is not the worker's grid
