"""GridIndex lookups agree with shapely and settle borders deterministically."""

from typing import Any

import numpy as np
import pytest
import shapely  # type: ignore[import-untyped,unused-ignore]

from dispatch.geo.index import GridIndex
from dispatch.geo.street import generate_district, generate_street

RANDOM_POINTS = 20_000


@pytest.fixture(scope="module")
def street_fc() -> dict[str, Any]:
    return generate_street().to_feature_collection()


@pytest.fixture(scope="module")
def index(street_fc: dict[str, Any]) -> GridIndex:
    return GridIndex.from_features(street_fc["features"])


def _brute_force(index: GridIndex, lons: np.ndarray, lats: np.ndarray) -> list[str | None]:
    """Smallest id among the grids covering each point (the documented tie rule)."""
    out: list[str | None] = []
    for lon, lat in zip(lons.tolist(), lats.tolist(), strict=True):
        hits = [
            gid for gid in index.grid_ids if shapely.intersects_xy(index.polygon(gid), lon, lat)
        ]
        out.append(min(hits) if hits else None)
    return out


def test_representative_points(index: GridIndex, street_fc: dict[str, Any]) -> None:
    lons, lats, expected = [], [], []
    for feature in street_fc["features"]:
        point = shapely.geometry.shape(feature["geometry"]).representative_point()
        lons.append(point.x)
        lats.append(point.y)
        expected.append(feature["properties"]["id"])
        assert index.locate(point.x, point.y) == feature["properties"]["id"]
        assert index.contains(feature["properties"]["id"], point.x, point.y)
    assert index.locate_many(lons, lats) == expected


def test_outside_is_none(index: GridIndex) -> None:
    minx, miny, maxx, maxy = index.bounds
    for lon, lat in [(minx - 0.01, miny), (maxx + 1e-6, maxy), (117.0, 40.0), (0.0, 0.0)]:
        assert index.locate(lon, lat) is None
    # Inside the bounding box but outside the street: its missing north-west corner.
    assert index.locate(minx + 1e-5, maxy - 1e-5) is None
    assert index.locate(float("nan"), 39.03) is None
    assert index.locate_many([minx - 1, float("nan")], [miny, 39.03]) == [None, None]


def test_border_points_resolve_to_one_grid(index: GridIndex, street_fc: dict[str, Any]) -> None:
    ring13 = street_fc["features"][12]["geometry"]["coordinates"][0]
    ring14 = street_fc["features"][13]["geometry"]["coordinates"][0]
    shared = [tuple(p) for p in ring13 if p in ring14]
    assert len(shared) >= 2
    (ax, ay), (bx, by) = shared[0], shared[1]
    for t in (0.0, 0.25, 0.5, 1.0):
        # Interpolated points lie on the edge up to float rounding: one or both grids own them.
        lon, lat = ax + (bx - ax) * t, ay + (by - ay) * t
        owners = [g for g in index.grid_ids if index.contains(g, lon, lat)]
        assert set(owners) & {"013", "014"}
        found = index.locate(lon, lat)
        assert found == min(owners)
        assert index.locate_many([lon], [lat]) == [found]
    midpoint = ((ax + bx) / 2, (ay + by) / 2)
    assert index.locate(*midpoint) == index.locate(*midpoint) in {"013", "014"}


def test_shared_vertex_goes_to_smallest_id(index: GridIndex, street_fc: dict[str, Any]) -> None:
    counts: dict[tuple[float, float], list[str]] = {}
    for feature in street_fc["features"]:
        for lon, lat in feature["geometry"]["coordinates"][0][:-1]:
            counts.setdefault((lon, lat), []).append(feature["properties"]["id"])
    corner, owners = next((k, v) for k, v in counts.items() if len(v) == 4)
    assert index.locate(*corner) == min(owners)
    assert index.locate_many([corner[0]], [corner[1]]) == [min(owners)]


@pytest.mark.parametrize("layout", ["street", "district"])
def test_agrees_with_brute_force(layout: str, street_fc: dict[str, Any]) -> None:
    fc = street_fc if layout == "street" else generate_district(n_grids=200)
    index = GridIndex.from_features(fc)
    rng = np.random.default_rng(5)
    minx, miny, maxx, maxy = index.bounds
    n = RANDOM_POINTS // 10
    lons = rng.uniform(minx - 0.001, maxx + 0.001, n)
    lats = rng.uniform(miny - 0.001, maxy + 0.001, n)
    expected = _brute_force(index, lons, lats)
    assert [
        index.locate(x, y) for x, y in zip(lons.tolist(), lats.tolist(), strict=True)
    ] == expected
    assert index.locate_many(lons, lats) == expected


def test_many_matches_single(index: GridIndex) -> None:
    rng = np.random.default_rng(9)
    minx, miny, maxx, maxy = index.bounds
    lons = rng.uniform(minx, maxx, RANDOM_POINTS)
    lats = rng.uniform(miny, maxy, RANDOM_POINTS)
    single = [index.locate(x, y) for x, y in zip(lons.tolist(), lats.tolist(), strict=True)]
    assert index.locate_many(lons, lats) == single
    assert sum(x is not None for x in single) > RANDOM_POINTS * 0.8


def test_accessors(index: GridIndex, street_fc: dict[str, Any]) -> None:
    assert index.grid_ids == tuple(f"{i:03d}" for i in range(1, 109))
    assert index.polygon("001").geom_type == "Polygon"
    minx, miny, maxx, maxy = index.bounds
    assert minx < 117.42 < maxx and miny < 39.03 < maxy
    assert not index.contains("001", 117.0, 39.0)
    with pytest.raises(KeyError):
        index.polygon("999")
    assert GridIndex.from_features(street_fc).grid_ids == index.grid_ids


def test_rejects_duplicate_ids(street_fc: dict[str, Any]) -> None:
    features = street_fc["features"]
    with pytest.raises(ValueError):
        GridIndex.from_features([features[0], features[0]])
