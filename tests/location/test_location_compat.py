"""OsmAnd / Traccar Client and OwnTracks, with the requests those apps really send."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from dispatch.identity.users import UserStore
from dispatch.org.model import OrgData
from dispatch.settings import Settings
from tests.conftest import PASSWORD, LiveServer
from tests.location.fixtures import MINUTE_MS, inside, now_ms, with_service

KNOT = 1852 / 3600


@pytest.fixture
def settings_overrides(ingest_client: dict[str, bool]) -> dict[str, bool]:
    return ingest_client


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


def test_unknown_device_and_bad_input(live: LiveServer, seeded: OrgData) -> None:
    lon, lat = inside(seeded, "001")
    ts = str(now_ms() // 1000)
    with live.client() as http:
        r = http.get("/osmand", params={"id": "nobody", "lat": lat, "lon": lon, "timestamp": ts})
        assert r.status_code == 404
        assert r.json()["error"]["code"] == "unknown_device"
        cases = [
            ({"id": "gw001", "lon": lon, "timestamp": ts}, "missing_field", "lat"),
            ({"id": "gw001", "lat": "north", "lon": lon}, "invalid_field", "lat"),
            ({"id": "gw001", "lat": lat, "lon": lon, "timestamp": "yesterday"},
             "invalid_field", "timestamp"),
            ({"lat": lat, "lon": lon}, "missing_field", "id"),
            ({"id": "gw001", "lat": 95, "lon": lon, "timestamp": ts}, "ping_invalid", None),
        ]
        for params, code, field in cases:
            r = http.get("/osmand", params=params)
            assert r.status_code == 400, params
            error = r.json()["error"]
            assert error["code"] == code and error.get("field") == field, error
            assert error["message"]
        r = http.post("/osmand", json={"device_id": "gw001", "location": {"coords": {}}})
        assert r.status_code == 400 and r.json()["error"]["field"] == "location.timestamp"


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
