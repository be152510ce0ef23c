"""Patrol metrics on synthetic tracks over a real grid of the reference street."""

import math

import numpy as np
import pytest
import shapely  # type: ignore[import-untyped,unused-ignore]

from dispatch.geo.projection import LocalProjection, haversine_m
from dispatch.geo.street import Grid, generate_street
from dispatch.patrol.filters import Ping
from dispatch.patrol.metrics import PatrolMetrics, PatrolStatus, patrol_metrics, patrol_status
from dispatch.patrol.track import simplify_track

T0 = 1_700_000_000_000
FIX_MS = 5_000
STEP_M = 6.0
RADIUS_M = 30.0


@pytest.fixture(scope="module")
def grid() -> Grid:
    return next(g for g in generate_street().grids if g.id == "025")


@pytest.fixture(scope="module")
def proj(grid: Grid) -> LocalProjection:
    lon, lat = np.asarray(grid.polygon).mean(axis=0)
    return LocalProjection(float(lat), float(lon))


def _grid_m(grid: Grid, proj: LocalProjection) -> shapely.Polygon:
    return shapely.Polygon(proj.xy_array(np.asarray(grid.polygon)))


def _pings(
    xy: np.ndarray, proj: LocalProjection, t0: int = T0, every_ms: int = FIX_MS
) -> list[Ping]:
    lon, lat = proj.to_lonlat(xy[:, 0], xy[:, 1])
    return [
        Ping(ts=t0 + i * every_ms, lat=float(b), lon=float(a))
        for i, (a, b) in enumerate(zip(lon, lat, strict=True))
    ]


def _line(a: tuple[float, float], b: tuple[float, float], step_m: float = STEP_M) -> np.ndarray:
    n = max(2, math.ceil(math.dist(a, b) / step_m) + 1)
    return np.column_stack([np.linspace(a[0], b[0], n), np.linspace(a[1], b[1], n)])


def _sweep(grid_m: shapely.Polygon, spacing_m: float) -> np.ndarray:
    """A lawn-mower walk over the grid's bounding box."""
    minx, miny, maxx, maxy = grid_m.bounds
    legs = []
    for i, y in enumerate(np.arange(miny, maxy + spacing_m, spacing_m)):
        a, b = (minx, y), (maxx, y)
        legs.append(_line(a, b) if i % 2 == 0 else _line(b, a))
    return np.vstack(legs)


def _metrics(pings: list[Ping], grid: Grid, **kw: int) -> PatrolMetrics:
    start = kw.pop("start_ms", pings[0].ts)
    end = kw.pop("end_ms", pings[-1].ts)
    return patrol_metrics(pings, [list(p) for p in grid.polygon], start_ms=start, end_ms=end, **kw)


def test_sweep_covers_the_grid(grid: Grid, proj: LocalProjection) -> None:
    pings = _pings(_sweep(_grid_m(grid, proj), spacing_m=40.0), proj)
    m = _metrics(pings, grid)
    assert m.coverage > 0.99
    assert m.points == len(pings)
    assert m.duration_s == (len(pings) - 1) * FIX_MS / 1000


def test_single_point_covers_almost_nothing(grid: Grid, proj: LocalProjection) -> None:
    centre = shapely.point_on_surface(_grid_m(grid, proj))
    pings = _pings(np.array([[centre.x, centre.y]]), proj)
    m = _metrics(pings, grid)
    disc_share = math.pi * RADIUS_M**2 / _grid_m(grid, proj).area
    assert m.coverage == pytest.approx(disc_share, rel=0.02)
    assert m.coverage < 0.06
    assert m.distance_m == 0.0 and m.duration_s == 0.0 and m.outside_grid_s == 0.0


def test_no_fixes(grid: Grid) -> None:
    assert patrol_metrics(
        [], [list(p) for p in grid.polygon], start_ms=0, end_ms=1
    ) == PatrolMetrics(0.0, 0.0, 0.0, 0.0, 0)


def test_straight_line_distance(grid: Grid, proj: LocalProjection) -> None:
    xy = _line((-500.0, -300.0), (700.0, 600.0), step_m=7.0)
    pings = _pings(xy, proj)
    m = _metrics(pings, grid)
    expected = haversine_m(pings[0].lon, pings[0].lat, pings[-1].lon, pings[-1].lat)
    assert m.distance_m == pytest.approx(1500.0, rel=0.01)
    assert m.distance_m == pytest.approx(expected, rel=1e-6)


def test_outside_for_three_minutes(grid: Grid, proj: LocalProjection) -> None:
    grid_m = _grid_m(grid, proj)
    centre = shapely.point_on_surface(grid_m)
    inside = np.tile([[centre.x, centre.y]], (20, 1))
    far = np.tile([[centre.x + 1_000.0, centre.y]], (36, 1))  # 36 fixes x 5 s = 3 min
    xy = np.vstack([inside, far, inside])
    assert not grid_m.contains(shapely.Point(far[0]))
    m = _metrics(_pings(xy, proj), grid)
    assert m.outside_grid_s == 180.0


def test_gap_counts_neither_distance_nor_time(grid: Grid, proj: LocalProjection) -> None:
    leg = _line((0.0, 0.0), (60.0, 0.0), step_m=6.0)  # 11 fixes, 50 s
    first = _pings(leg, proj)
    later = _pings(leg + np.array([0.0, 20.0]), proj, t0=first[-1].ts + 10 * 60_000)
    m = _metrics(first + later, grid)
    assert m.duration_s == 100.0
    assert m.distance_m == pytest.approx(120.0, rel=0.01)
    with_gap = _metrics(first + later, grid, max_gap_ms=11 * 60_000)
    assert with_gap.duration_s == 100.0 + 600.0


def test_window_clips_fixes(grid: Grid, proj: LocalProjection) -> None:
    pings = _pings(_line((0.0, 0.0), (120.0, 0.0)), proj)
    m = _metrics(pings, grid, start_ms=pings[5].ts, end_ms=pings[10].ts)
    assert m.points == 6
    assert m.duration_s == 25.0


def test_status() -> None:
    good = PatrolMetrics(
        distance_m=2000, duration_s=3600, coverage=0.8, outside_grid_s=0, points=720
    )
    assert patrol_status(good, min_duration_s=1800, min_coverage=0.6) == "complete"
    assert patrol_status(good, min_duration_s=7200, min_coverage=0.6) is PatrolStatus.INCOMPLETE
    assert patrol_status(good, min_duration_s=1800, min_coverage=0.9) is PatrolStatus.INCOMPLETE


def test_accepts_geojson_geometry(grid: Grid, proj: LocalProjection) -> None:
    pings = _pings(_sweep(_grid_m(grid, proj), spacing_m=40.0), proj)
    geometry = grid.to_feature()["geometry"]
    m = patrol_metrics(pings, geometry, start_ms=pings[0].ts, end_ms=pings[-1].ts)
    assert m == _metrics(pings, grid)


def test_simplify_track_keeps_ends(grid: Grid, proj: LocalProjection) -> None:
    rng = np.random.default_rng(3)
    xy = _sweep(_grid_m(grid, proj), spacing_m=40.0)
    xy = xy + rng.normal(0.0, 1.0, xy.shape)
    pings = _pings(xy, proj)
    feature = simplify_track(pings, tolerance_m=5.0)
    coords = feature["geometry"]["coordinates"]
    assert feature["geometry"]["type"] == "LineString"
    assert 2 <= len(coords) < len(pings) / 4
    assert coords[0] == [round(pings[0].lon, 7), round(pings[0].lat, 7)]
    assert coords[-1] == [round(pings[-1].lon, 7), round(pings[-1].lat, 7)]
    props = feature["properties"]
    assert props["start_ts"] == pings[0].ts and props["end_ts"] == pings[-1].ts
    assert props["points"] == len(pings) and props["simplified_points"] == len(coords)


def test_simplify_short_tracks(proj: LocalProjection) -> None:
    assert simplify_track([], 5.0)["geometry"] is None
    one = _pings(np.array([[0.0, 0.0]]), proj)
    assert simplify_track(one, 5.0)["geometry"] is None
    still = _pings(np.zeros((5, 2)), proj)
    assert len(simplify_track(still, 5.0)["geometry"]["coordinates"]) == 2


def test_chunked_coverage_matches_exact_buffer(grid: Grid, proj: LocalProjection) -> None:
    grid_m = _grid_m(grid, proj)
    rng = np.random.default_rng(11)
    heading = np.cumsum(rng.normal(0.0, 0.6, 400))
    steps = np.column_stack([np.cos(heading), np.sin(heading)]) * STEP_M
    start = shapely.point_on_surface(grid_m)
    xy = np.cumsum(steps, axis=0) + np.array([start.x, start.y])
    m = _metrics(_pings(xy, proj), grid)
    exact = shapely.intersection(shapely.LineString(xy).buffer(RADIUS_M), grid_m).area
    assert 0.1 < m.coverage < 1.0
    assert m.coverage == pytest.approx(exact / grid_m.area, abs=0.005)
