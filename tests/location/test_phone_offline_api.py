"""What the field app sends after an offline spell: a patrol started and ended without
signal (with the times of the taps), a patrol without location, and the track fetched
incrementally (``since``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from dispatch.org.model import OrgData
from tests.conftest import LiveServer
from tests.location.fixtures import ALL_DAY_WINDOWS, MINUTE_MS, inside, now_ms

HOUR_MS = 60 * MINUTE_MS


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"patrol_windows": ALL_DAY_WINDOWS, "patrol_backdate_max_h": 2}


def test_a_patrol_tapped_offline_is_recorded_at_the_taps(
        live: LiveServer, seeded: OrgData, tokens: Callable[[str], str]) -> None:
    started = now_ms() - 40 * MINUTE_MS
    with live.client(tokens("gw001")) as http:
        too_old = http.post("/api/v1/patrols/start", json={"ts": now_ms() - 3 * HOUR_MS})
        assert too_old.status_code == 400
        assert too_old.json()["error"] | {"message": ""} == {
            "code": "patrol_too_old", "field": "ts", "limit_h": 2, "message": ""}
        r = http.post("/api/v1/patrols/start", json={"ts": started, "without_location": True})
        assert r.status_code == 201, r.text
        patrol = r.json()
        assert (patrol["start"], patrol["without_location"], patrol["kind"]) == (
            started, True, "window")
        again = http.post("/api/v1/patrols/start", json={"ts": started})  # the answer was lost
        assert again.status_code == 200 and again.json()["id"] == patrol["id"]
        early = http.post(f"/api/v1/patrols/{patrol['id']}/end", json={"ts": started - 1})
        assert early.json()["end"] == started  # never before its start
    with live.client(tokens("gw002")) as http:
        own = http.post("/api/v1/patrols/start", json={}).json()
        assert own["without_location"] is False and abs(own["start"] - now_ms()) < MINUTE_MS
        http.post(f"/api/v1/patrols/{own['id']}/end")
        offline = http.post("/api/v1/patrols/start", json={"ts": started}).json()
        ended = started + 25 * MINUTE_MS
        done = http.post(f"/api/v1/patrols/{offline['id']}/end", json={"ts": ended}).json()
        assert done["end"] == ended and done["status"] == "incomplete"
        ahead = http.post("/api/v1/patrols/start", json={"ts": now_ms() + HOUR_MS}).json()
        assert ahead["start"] <= now_ms()  # a phone clock ahead is taken as now
        bad = http.post("/api/v1/patrols/start", json={"ts": "soon"})
        assert bad.status_code == 400 and bad.json()["error"]["field"] == "ts"


def test_the_track_since_a_time_has_only_the_newer_fixes(
        live: LiveServer, seeded: OrgData, tokens: Callable[[str], str]) -> None:
    lon, lat = inside(seeded, "003")
    t0 = now_ms() - 10 * MINUTE_MS
    items = [{"seq": n, "lat": lat + n * 2e-5, "lon": lon, "ts": t0 + n * 5_000}
             for n in range(12)]
    path = "/api/v1/workers/gw003/track"
    with live.client(tokens("gw003")) as http:
        assert http.post("/api/v1/locations", json={"items": items[:10]}).json()["stored"] == 10
        whole = http.get(path).json()
        last = whole["properties"]["end_ts"]
        assert last == items[9]["ts"]
        nothing = http.get(path, params={"since": last}).json()
        assert nothing["geometry"] is None and nothing["properties"]["points"] == 0
        assert nothing["properties"]["end_ts"] == last
        http.post("/api/v1/locations", json={"items": items[10:11]})
        one = http.get(path, params={"since": last}).json()
        assert one["geometry"]["type"] == "Point"
        assert one["geometry"]["coordinates"] == pytest.approx(
            [items[10]["lon"], items[10]["lat"]], abs=1e-6)
        http.post("/api/v1/locations", json={"items": items[11:]})
        feature = http.get(path, params={"since": last}).json()
        assert feature["geometry"]["type"] == "LineString"
        assert feature["properties"]["times"] == [items[10]["ts"], items[11]["ts"]]
        assert feature["properties"]["end_ts"] == items[11]["ts"]
        bad = http.get(path, params={"since": "yesterday"})
        assert bad.status_code == 400 and bad.json()["error"]["field"] == "since"
