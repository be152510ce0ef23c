"""Tracks as the screen draws and replays them: a time per vertex, stops, time outside."""

import math
from itertools import pairwise

import numpy as np
import pytest
import shapely  # type: ignore[import-untyped,unused-ignore]

from dispatch.geo.projection import LocalProjection
from dispatch.geo.street import Grid, generate_street
from dispatch.patrol.filters import Ping
from dispatch.patrol.metrics import patrol_metrics
from dispatch.patrol.outside import outside_spans
from dispatch.patrol.replay import TrackView, track_feature
from dispatch.patrol.stops import Stop, find_stops
from dispatch.patrol.track import simplify_track

T0 = 1_700_000_000_000
FIX_MS = 5_000
MINUTE_MS = 60_000
WALK_MPS = 1.2
STOP_RADIUS_M = 30.0
STOP_MIN_MS = 5 * MINUTE_MS
#: A walker comes within the radius this long before a stay (and leaves it this long after).
EDGE_MS = round(STOP_RADIUS_M / WALK_MPS * 1000) + FIX_MS


@pytest.fixture(scope="module")
def grid() -> Grid:
    return next(g for g in generate_street().grids if g.id == "025")


@pytest.fixture(scope="module")
def proj(grid: Grid) -> LocalProjection:
    lon, lat = np.asarray(grid.polygon).mean(axis=0)
    return LocalProjection(float(lat), float(lon))


class Walker:
    """Builds a track in local metres, one fix every FIX_MS, as pings."""

    def __init__(self, proj: LocalProjection, start: tuple[float, float], seed: int = 7,
                 noise_m: float = 0.0) -> None:
        self.proj = proj
        self.noise_m = noise_m
        self.at = np.array(start, dtype=float)
        self.ts = T0
        self.rng = np.random.default_rng(seed)
        self.fixes: list[tuple[int, float, float]] = [(self.ts, *self.at)]

    def _fix(self, x: float, y: float) -> None:
        self.ts += FIX_MS
        self.fixes.append((self.ts, x, y))

    def walk_to(self, x: float, y: float) -> "Walker":
        target = np.array([x, y])
        steps = max(1, math.ceil(np.linalg.norm(target - self.at) / (WALK_MPS * FIX_MS / 1000)))
        for k in range(1, steps + 1):
            noise = self.rng.normal(0.0, self.noise_m, 2) if self.noise_m else 0.0
            self._fix(*(self.at + (target - self.at) * k / steps + noise))
        self.at = target
        return self

    def stay(self, minutes: float, jitter_m: float = 4.0) -> "Walker":
        for _ in range(round(minutes * MINUTE_MS / FIX_MS)):
            self._fix(*(self.at + self.rng.normal(0.0, jitter_m / 3, 2)))
        return self

    def jump_to(self, x: float, y: float) -> "Walker":
        self.at = np.array([x, y], dtype=float)
        self._fix(x, y)
        return self

    def silent(self, minutes: float) -> "Walker":
        self.ts += round(minutes * MINUTE_MS) - FIX_MS
        return self

    def pings(self) -> list[Ping]:
        ts, x, y = (np.array(col) for col in zip(*self.fixes, strict=True))
        lon, lat = self.proj.to_lonlat(x, y)
        return [Ping(int(t), float(b), float(a)) for t, a, b in zip(ts, lon, lat, strict=True)]


def _grid_m(grid: Grid, proj: LocalProjection) -> shapely.Polygon:
    return shapely.Polygon(proj.xy_array(np.asarray(grid.polygon)))


def _inside_point(grid: Grid, proj: LocalProjection) -> tuple[float, float]:
    p = shapely.point_on_surface(_grid_m(grid, proj))
    return float(p.x), float(p.y)


# --- a time per vertex ---------------------------------------------------------------


def test_every_vertex_is_a_fix_at_its_own_time(proj: LocalProjection) -> None:
    w = Walker(proj, (0, 0)).walk_to(300, 0).walk_to(300, 200).stay(3).walk_to(0, 200)
    pings = w.pings()
    by_time = {p.ts: p for p in pings}
    feature = simplify_track(pings, 5.0)
    coords = feature["geometry"]["coordinates"]
    times = feature["properties"]["times"]
    assert len(times) == len(coords) == feature["properties"]["simplified_points"]
    assert times == sorted(times) and len(set(times)) == len(times)
    assert times[0] == pings[0].ts and times[-1] == pings[-1].ts
    for (lon, lat), ts in zip(coords, times, strict=True):
        assert [lon, lat] == [round(by_time[ts].lon, 7), round(by_time[ts].lat, 7)]


def test_a_coarser_tolerance_keeps_fewer_vertices_and_every_fix_stays_close(
        proj: LocalProjection) -> None:
    rng = np.random.default_rng(5)
    w = Walker(proj, (0, 0), noise_m=2.0)
    for _ in range(12):
        w.walk_to(*rng.uniform(-250, 250, 2))
    pings = w.pings()
    counts = []
    for tolerance in (0.0, 1.0, 5.0, 25.0, 100.0):
        feature = simplify_track(pings, tolerance)
        counts.append(len(feature["properties"]["times"]))
        line = shapely.LineString(proj.xy_array(np.array(feature["geometry"]["coordinates"])))
        fixes = proj.xy_array(np.array([[p.lon, p.lat] for p in pings]))
        worst = max(line.distance(shapely.Point(xy)) for xy in fixes)
        assert worst <= tolerance + 0.05, tolerance  # 1e-7 degrees of rounding ~ 1 cm
    assert counts[0] == len(pings)
    assert counts == sorted(counts, reverse=True) and counts[-1] < counts[1] / 3


# --- stops -----------------------------------------------------------------------------


def test_stays_long_enough_are_stops_and_short_ones_are_not(proj: LocalProjection) -> None:
    w = Walker(proj, (0, 0)).walk_to(200, 0)
    stay_one = w.ts
    w.stay(7)
    end_one = w.ts
    w.walk_to(200, 300).stay(3).walk_to(-100, 300)   # three minutes: no stop
    stay_two = w.ts
    w.stay(2).silent(4).stay(1)                        # indoors: the phone silent meanwhile
    end_two = w.ts
    w.walk_to(-100, 0)
    stops = find_stops(w.pings(), radius_m=STOP_RADIUS_M, min_duration_ms=STOP_MIN_MS)
    assert len(stops) == 2
    for stop, (start, end) in zip(stops, [(stay_one, end_one), (stay_two, end_two)], strict=True):
        assert start - EDGE_MS <= stop.start_ms <= start and end <= stop.end_ms <= end + EDGE_MS
    for stop, (x, y) in zip(stops, [(200, 0), (-100, 300)], strict=True):
        sx, sy = proj.to_xy(stop.lon, stop.lat)
        assert math.dist((sx, sy), (x, y)) < 5.0
        assert stop.duration_ms >= STOP_MIN_MS
    assert stops[0].public() == {"lat": round(stops[0].lat, 7), "lon": round(stops[0].lon, 7),
                                 "from": stops[0].start_ms, "to": stops[0].end_ms}


def test_a_slow_walk_is_no_stop_and_the_radius_decides(proj: LocalProjection) -> None:
    slow = Walker(proj, (0, 0))
    for k in range(1, 41):                      # 17 minutes at 0.4 m/s: never 30 m for 5 min
        slow.walk_to(10.0 * k, 0).stay(0.25, jitter_m=0.0)
    assert find_stops(slow.pings()) == []
    assert len(find_stops(slow.pings(), radius_m=150.0)) >= 1


def test_stops_whatever_the_order_and_the_edge_cases(proj: LocalProjection) -> None:
    pings = Walker(proj, (0, 0)).stay(5).jump_to(100, 0).walk_to(200, 0).pings()
    exactly = find_stops(pings, min_duration_ms=5 * MINUTE_MS)
    assert len(exactly) == 1 and exactly[0].duration_ms == 5 * MINUTE_MS
    assert find_stops(pings[::-1]) == exactly
    assert find_stops(pings, min_duration_ms=5 * MINUTE_MS + 1) == []
    assert find_stops([]) == [] and find_stops(pings[:1]) == []
    with pytest.raises(ValueError):
        find_stops(pings, radius_m=0)
    assert isinstance(exactly[0], Stop)


# --- time outside the grid -------------------------------------------------------------


def test_outside_spans_add_up_to_the_patrols_time_outside(grid: Grid,
                                                           proj: LocalProjection) -> None:
    grid_m = _grid_m(grid, proj)
    inside = _inside_point(grid, proj)
    _, _, maxx, _ = grid_m.bounds
    away = (maxx + 150.0, inside[1])
    w = Walker(proj, inside).stay(2)
    w.walk_to(*away).stay(2).walk_to(*inside).stay(1)
    w.walk_to(*away).silent(9).walk_to(*inside)        # out again, with a long silence
    pings = w.pings()
    polygon = [list(p) for p in grid.polygon]
    spans = outside_spans(pings, polygon)
    assert len(spans) == 3  # the silence outside counts for nothing: two spans around it
    metrics = patrol_metrics(pings, polygon, start_ms=pings[0].ts, end_ms=pings[-1].ts)
    assert sum(b - a for a, b in spans) == pytest.approx(metrics.outside_grid_s * 1000)
    times = {p.ts for p in pings}
    assert all(a in times and b in times and a < b for a, b in spans)
    assert outside_spans(pings[:1], polygon) == []


def test_the_feature_the_screen_replays(grid: Grid, proj: LocalProjection) -> None:
    inside = _inside_point(grid, proj)
    _, _, maxx, _ = _grid_m(grid, proj).bounds
    w = Walker(proj, inside).stay(6).walk_to(maxx + 100.0, inside[1]).walk_to(*inside)
    pings = w.pings()
    view = TrackView(5.0, stop_radius_m=STOP_RADIUS_M, stop_min_ms=STOP_MIN_MS)
    feature = track_feature(pings, view, [list(p) for p in grid.polygon])
    props = feature["properties"]
    assert feature["geometry"]["type"] == "LineString"
    assert len(props["times"]) == len(feature["geometry"]["coordinates"])
    assert [s["from"] for s in props["stops"]] == [pings[0].ts]
    assert len(props["outside"]) == 1 and props["outside"][0]["from"] > props["stops"][0]["to"]
    assert props["tolerance_m"] == 5.0 and props["gap_ms"] > 0 and props["gaps"] == []
    assert track_feature(pings, view)["properties"]["outside"] == []
    assert track_feature([], view)["geometry"] is None


def test_each_segment_is_all_inside_or_all_outside_and_silences_stay_apart(
        grid: Grid, proj: LocalProjection) -> None:
    inside = _inside_point(grid, proj)
    _, _, maxx, _ = _grid_m(grid, proj).bounds
    w = Walker(proj, inside).walk_to(maxx + 120.0, inside[1]).silent(8)
    quiet = w.ts
    w.walk_to(*inside)
    pings = w.pings()
    polygon = shapely.Polygon(np.asarray(grid.polygon))
    coarse = track_feature(pings, TrackView(200.0), polygon)  # one segment, were it not cut
    props = coarse["properties"]
    times = props["times"]
    outside_at = {p.ts: not polygon.intersects(shapely.Point(p.lon, p.lat)) for p in pings}
    for a, b in pairwise(times):
        between = {outside_at[ts] for ts in outside_at if a < ts <= b}
        assert len(between) == 1, (a, b)  # the later fixes of a segment: all in or all out
    assert props["gaps"] == [{"from": quiet - 8 * MINUTE_MS + FIX_MS, "to": quiet + FIX_MS}]
    assert {g["from"] for g in props["gaps"]} <= set(times)
    assert {g["to"] for g in props["gaps"]} <= set(times)
    assert len(times) < 12
