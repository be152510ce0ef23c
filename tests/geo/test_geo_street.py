"""The synthetic Junliangcheng street and district layouts."""

from collections import Counter
from typing import Any

import numpy as np
import pytest
import shapely  # type: ignore[import-untyped,unused-ignore]

from dispatch.geo.projection import LocalProjection
from dispatch.geo.street import GridKind, StreetLayout, generate_district, generate_street
from dispatch.geo.validate import validate_grids

KM2 = 1_000_000.0
RESIDENTIAL_KM2 = (0.04, 0.08)
BIG_KM2 = (1.0, 2.0)


@pytest.fixture(scope="module")
def street() -> StreetLayout:
    return generate_street()


def _area_m2(ring: Any, proj: LocalProjection) -> float:
    return float(shapely.Polygon(proj.xy_array(np.asarray(ring))).area)


def test_counts(street: StreetLayout) -> None:
    assert len(street.grids) == 108
    assert Counter(g.kind for g in street.grids) == {
        GridKind.RESIDENTIAL: 94,
        GridKind.FARMLAND: 8,
        GridKind.INDUSTRIAL: 6,
    }
    assert [g.id for g in street.grids] == [f"{i:03d}" for i in range(1, 109)]
    assert [s.id for s in street.stations] == [f"S{i:02d}" for i in range(1, 12)]
    assert street.stations[0].name_zh == "军粮城第一社区"
    assert street.stations[10].name_zh == "农业园区网格站"


def test_stations_own_contiguous_blocks(street: StreetLayout) -> None:
    per_station = Counter(g.station for g in street.grids)
    assert per_station["S11"] == 14
    assert all(9 <= per_station[f"S{i:02d}"] <= 10 for i in range(1, 11))
    for g in street.grids:
        assert (g.station == "S11") == (g.kind is not GridKind.RESIDENTIAL)
    proj = LocalProjection(39.03, 117.42)
    for station in street.stations[:10]:
        polys = [
            shapely.Polygon(proj.xy_array(np.asarray(g.polygon)))
            for g in street.grids
            if g.station == station.id
        ]
        assert shapely.union_all(polys).geom_type == "Polygon", station.id


def test_areas_in_range(street: StreetLayout) -> None:
    proj = LocalProjection(39.03, 117.42)
    for g in street.grids:
        km2 = _area_m2(g.polygon, proj) / KM2
        low, high = RESIDENTIAL_KM2 if g.kind is GridKind.RESIDENTIAL else BIG_KM2
        assert low <= km2 <= high, (g.id, km2)


def test_union_equals_boundary(street: StreetLayout) -> None:
    proj = LocalProjection(39.03, 117.42)
    polys = [shapely.Polygon(proj.xy_array(np.asarray(g.polygon))) for g in street.grids]
    boundary = shapely.Polygon(proj.xy_array(np.asarray(street.boundary)))
    union = shapely.union_all(polys)
    assert union.area == pytest.approx(boundary.area, rel=1e-9)
    assert sum(p.area for p in polys) == pytest.approx(boundary.area, rel=1e-9)
    assert shapely.symmetric_difference(union, boundary).area < 1.0


def test_validates_clean(street: StreetLayout) -> None:
    fc = street.to_feature_collection()
    problems = validate_grids(
        fc,
        source="grids.geojson",
        known_stations={s.id for s in street.stations},
        boundary=fc["boundary"],
    )
    assert problems == []


def test_feature_collection_shape(street: StreetLayout) -> None:
    fc = street.to_feature_collection()
    assert fc["type"] == "FeatureCollection"
    assert fc["boundary"]["type"] == "Polygon"
    feature = fc["features"][0]
    assert set(feature["properties"]) == {"id", "name", "name_en", "station", "kind"}
    ring = feature["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1]
    assert all(round(v, 7) == v for pos in ring for v in pos)


def test_rings_are_counter_clockwise(street: StreetLayout) -> None:
    assert all(shapely.Polygon(g.polygon).exterior.is_ccw for g in street.grids)


def test_big_grids_share_small_neighbours_vertices(street: StreetLayout) -> None:
    big = next(g for g in street.grids if g.id == "095")
    big_vertices = set(big.polygon)
    shared = [
        g.id
        for g in street.grids
        if g.kind is GridKind.RESIDENTIAL and len(big_vertices & set(g.polygon)) >= 2
    ]
    assert len(shared) >= 4


def test_deterministic(street: StreetLayout) -> None:
    assert generate_street() == street


def test_district_tiles_exactly() -> None:
    fc = generate_district()
    assert len(fc["features"]) == 1240
    assert len({f["properties"]["id"] for f in fc["features"]}) == 1240
    assert validate_grids(fc, source="district.geojson", boundary=fc["boundary"]) == []


def test_small_district_with_partial_row() -> None:
    fc = generate_district(n_grids=7)
    assert [f["id"] for f in fc["features"]] == ["001", "002", "003", "004", "005", "006", "007"]
    assert validate_grids(fc, source="d", boundary=fc["boundary"]) == []
