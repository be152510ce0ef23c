"""GET /api/v1/workers/{id}/track?from=&to=&tolerance_m= and a patrol's track: a time per
vertex, stops, time outside the grid, simplification, bounds, scope."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from dispatch.bootstrap import Container
from dispatch.org.model import OrgData
from dispatch.settings import Settings
from tests.conftest import LiveServer
from tests.location.fixtures import local_ms, recent_morning, with_service, worker_ref
from tests.location.walks import FIX_MS, Outing, outing

WORKER, GRID = "gw005", "005"
#: The bounds this module configures (the defaults are wider).
RANGE_MAX_H = 6
TOLERANCE_MIN_M, TOLERANCE_MAX_M = 1.0, 100.0
HOUR_MS = 3_600_000


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"patrol_windows": "08:00-12:00,14:00-18:00", "track_range_max_h": RANGE_MAX_H,
            "track_tolerance_min_m": TOLERANCE_MIN_M, "track_tolerance_max_m": TOLERANCE_MAX_M}


@pytest.fixture
def walked(live: LiveServer, seeded: OrgData, tokens: Callable[[str], str]) -> Outing:
    """The worker's morning: a walk, a stop, a walk into the neighbouring grid and back."""
    done = outing(seeded, GRID, local_ms(recent_morning(), 9))
    with live.client(tokens(WORKER)) as http:
        r = http.post("/api/v1/locations", json={"items": done.pings})
    assert r.status_code == 200 and r.json()["stored"] == len(done.pings), r.text
    return done


def track(live: LiveServer, token: str, path: str = f"/api/v1/workers/{WORKER}/track",
          **params: Any) -> Any:
    with live.client(token) as http:
        return http.get(path, params=params)


def test_a_track_has_a_time_per_vertex_its_stop_and_its_time_outside(
        live: LiveServer, walked: Outing, tokens: Callable[[str], str]) -> None:
    r = track(live, tokens("screen1"), **{"from": walked.start, "to": walked.end})
    assert r.status_code == 200, r.text
    feature = r.json()
    coords = feature["geometry"]["coordinates"]
    props = feature["properties"]
    assert feature["geometry"]["type"] == "LineString"
    assert props["points"] == len(walked.pings) and props["worker"] == WORKER
    times = props["times"]
    assert len(times) == len(coords) == props["simplified_points"] < len(walked.pings)
    assert times[0] == walked.start and times[-1] == walked.end and times == sorted(times)
    fixes = {p["ts"]: [p["lon"], p["lat"]] for p in walked.pings}
    assert all(c == pytest.approx(fixes[ts], abs=1e-6) for c, ts in zip(coords, times,
                                                                         strict=True))

    [stop] = props["stops"]
    assert set(stop) == {"lat", "lon", "from", "to"}
    assert walked.stop[0] - 30_000 <= stop["from"] <= walked.stop[0]
    assert walked.stop[1] <= stop["to"] <= walked.stop[1] + 30_000
    assert [stop["lon"], stop["lat"]] == pytest.approx(list(walked.stop_at), abs=1e-4)

    [span] = props["outside"]
    # an interval counts as outside when its later fix is outside (as outside_grid_s)
    assert span == {"from": walked.outside[0] - FIX_MS, "to": walked.outside[1]}

    part = track(live, tokens("screen1"), **{"from": walked.stop[1], "to": walked.end}).json()
    assert part["properties"]["times"][0] >= walked.stop[1] and part["properties"]["stops"] == []
    today = track(live, tokens(WORKER), date=recent_morning().isoformat()).json()
    assert today["properties"]["points"] == len(walked.pings)
    assert today["properties"]["date"] == recent_morning().isoformat()


def test_a_coarser_tolerance_gives_fewer_vertices(
        live: LiveServer, walked: Outing, tokens: Callable[[str], str]) -> None:
    span = {"from": walked.start, "to": walked.end}
    counts = {}
    for tolerance in (TOLERANCE_MIN_M, 5.0, TOLERANCE_MAX_M):
        props = track(live, tokens("disp1"), tolerance_m=tolerance, **span).json()["properties"]
        assert props["tolerance_m"] == tolerance
        assert len(props["times"]) == props["simplified_points"]
        assert len(props["stops"]) == 1  # stops come from every fix, whatever the tolerance
        counts[tolerance] = props["simplified_points"]
    assert counts[TOLERANCE_MIN_M] > counts[5.0] > counts[TOLERANCE_MAX_M] >= 2
    default = track(live, tokens("disp1"), **span).json()["properties"]
    assert default["tolerance_m"] == Settings().track_simplify_m


def test_a_patrols_track_shows_the_stop_and_the_measured_time_outside(
        live: LiveServer, seeded: OrgData, settings: Settings,
        tokens: Callable[[str], str]) -> None:
    start = local_ms(recent_morning(), 9)

    async def start_patrol(c: Container) -> str:
        record, _ = await c.patrols.start(worker_ref(seeded, WORKER), now=start - 1_000)
        return record.id

    patrol_id = with_service(settings, start_patrol)
    done = outing(seeded, GRID, start)
    with live.client(tokens(WORKER)) as http:
        assert http.post("/api/v1/locations", json={"items": done.pings}).status_code == 200
        assert http.post(f"/api/v1/patrols/{patrol_id}/end").status_code == 200
    with live.client(tokens("assess1")) as http:
        patrol = http.get(f"/api/v1/patrols/{patrol_id}").json()
        r = http.get(f"/api/v1/patrols/{patrol_id}/track", params={"tolerance_m": 2})
    assert r.status_code == 200, r.text
    props = r.json()["properties"]
    assert props["patrol"] == patrol_id and props["tolerance_m"] == 2.0
    assert len(props["times"]) == len(r.json()["geometry"]["coordinates"])
    assert len(props["stops"]) == 1
    outside_ms = sum(s["to"] - s["from"] for s in props["outside"])
    assert outside_ms == pytest.approx(patrol["outside_grid_s"] * 1000, abs=100)
    with live.client(tokens("assess1")) as http:
        bad = http.get(f"/api/v1/patrols/{patrol_id}/track", params={"tolerance_m": 1e6})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "tolerance_m"


BAD = [
    ({"from": "yesterday"}, "invalid_field", "from"),
    ({"from": "1700000000000", "to": "-5"}, "invalid_field", "to"),
    ({"to": "1700000000000"}, "missing_field", "from"),
    ({"from": "1700000000000", "to": "1699999999999"}, "invalid_range", "to"),
    ({"from": "1700000000000", "to": str(1_700_000_000_000 + RANGE_MAX_H * HOUR_MS + 1)},
     "range_too_long", "to"),
    ({"tolerance_m": str(TOLERANCE_MIN_M / 2)}, "out_of_range", "tolerance_m"),
    ({"tolerance_m": str(TOLERANCE_MAX_M * 2)}, "out_of_range", "tolerance_m"),
    ({"tolerance_m": "nan"}, "invalid_field", "tolerance_m"),
    ({"tolerance_m": "ten"}, "invalid_field", "tolerance_m"),
    ({"date": "2026-13-01"}, "invalid_field", "date"),
    ({"date": "2026-12-01", "from": "1700000000000"}, "invalid_field", "date"),
]


def test_bad_requests_get_a_400_naming_the_field(live: LiveServer, seeded: OrgData,
                                                 tokens: Callable[[str], str]) -> None:
    for params, code, field in BAD:
        r = track(live, tokens("screen1"), **params)
        assert r.status_code == 400, (params, r.text)
        error = r.json()["error"]
        assert (error["code"], error["field"]) == (code, field), params
        assert error["message"]
    longest = {"from": 1_700_000_000_000, "to": 1_700_000_000_000 + RANGE_MAX_H * HOUR_MS}
    assert track(live, tokens("screen1"), **longest).status_code == 200
    edges = {"tolerance_m": TOLERANCE_MIN_M}, {"tolerance_m": TOLERANCE_MAX_M}
    assert all(track(live, tokens("screen1"), **e).status_code == 200 for e in edges)


def test_who_sees_which_track(live: LiveServer, walked: Outing,
                              tokens: Callable[[str], str]) -> None:
    span = {"from": walked.start, "to": walked.end}
    assert track(live, tokens(WORKER), **span).status_code == 200
    other = track(live, tokens("gw001"), **span)
    assert other.status_code == 403 and other.json()["error"]["code"] == "not_your_track"
    member = track(live, tokens("dm001"), **span)
    assert member.status_code == 403 and member.json()["error"]["code"] == "role_forbidden"
    for viewer in ("screen1", "disp1", "assess1", "lead01", "admin"):
        assert track(live, tokens(viewer), **span).status_code == 200, viewer
    unknown = track(live, tokens("disp1"), "/api/v1/workers/gw999/track")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_worker"
    with live.client() as http:
        assert http.get(f"/api/v1/workers/{WORKER}/track").status_code == 401


def test_the_street_tells_the_screen_its_base_map_and_track_bounds(
        live: LiveServer, seeded: OrgData, tokens: Callable[[str], str]) -> None:
    with live.client(tokens("screen1")) as http:
        street = http.get("/api/v1/street").json()
        grids = http.get("/api/v1/grids").json()["features"]
    assert street["map"]["tiles"] is None  # no tile URL: the grids alone
    assert street["map"]["track"]["tolerance_min_m"] == TOLERANCE_MIN_M
    assert street["map"]["track"]["range_max_h"] == RANGE_MAX_H
    five = next(f["properties"] for f in grids if f["properties"]["id"] == GRID)
    assert five["worker"] == WORKER and five["worker_name"] == next(
        p.user.name for p in seeded.people if p.user.username == WORKER)


def test_base_map_settings_are_checked() -> None:
    tiles = "https://t{s}.tianditu.gov.cn/vec_w/wmts?tk=KEY&x={x}&y={y}&l={z}"
    assert Settings.from_env({"DISPATCH_MAP_TILES": tiles}).map_tiles_crs == "wgs84"
    gcj = Settings.from_env({"DISPATCH_MAP_TILES": tiles, "DISPATCH_MAP_TILES_CRS": "gcj02"})
    assert gcj.map_tiles_crs == "gcj02"
    with pytest.raises(ValueError, match="map_tiles_crs"):
        Settings.from_env({"DISPATCH_MAP_TILES_CRS": "bd09"})
    with pytest.raises(ValueError, match="map_tiles_url"):
        Settings.from_env({"DISPATCH_MAP_TILES": "https://tiles.example/{z}/{x}.png"})
