"""validate_grids catches each kind of data error and names the feature."""

import copy
from typing import Any

import pytest

from dispatch.geo.street import StreetLayout, generate_street
from dispatch.geo.validate import Problem, validate_grids

SOURCE = "grids.geojson"
#: A residential grid in the middle of the street, with neighbours on all sides.
INTERIOR_INDEX = 24
#: The first residential grid sits on the street's western edge.
EDGE_INDEX = 0


@pytest.fixture(scope="module")
def street() -> StreetLayout:
    return generate_street()


@pytest.fixture
def fc(street: StreetLayout) -> dict[str, Any]:
    return copy.deepcopy(street.to_feature_collection())


def _validate(fc: Any, street: StreetLayout, **kwargs: Any) -> list[Problem]:
    return validate_grids(
        fc, source=SOURCE, known_stations={s.id for s in street.stations}, **kwargs
    )


def _ring(fc: dict[str, Any], index: int) -> list[list[float]]:
    ring: list[list[float]] = fc["features"][index]["geometry"]["coordinates"][0]
    return ring


def test_overlap_named_with_area(fc: dict[str, Any], street: StreetLayout) -> None:
    # Give grid 013 the polygon of grid 014: the two overlap fully, 013's place is a gap.
    fc["features"][12]["geometry"]["coordinates"] = [copy.deepcopy(_ring(fc, 13))]
    problems = _validate(fc, street)
    overlaps = [p for p in problems if "overlaps" in p.message]
    assert len(overlaps) == 1
    problem = overlaps[0]
    assert problem.feature == "features[12] (id 013)"
    assert problem.message.startswith("overlaps grid 014 by ")
    area = float(problem.message.split(" by ")[1].split(" ")[0])
    assert 40_000 < area < 80_000
    assert str(problem).startswith("grids.geojson: features[12] (id 013): overlaps grid 014 by ")
    assert any(p.message.startswith("gap of ") for p in problems)


def test_small_overlap_by_moving_a_vertex(fc: dict[str, Any], street: StreetLayout) -> None:
    ring = _ring(fc, INTERIOR_INDEX)
    # Grow the grid by 5 % about its vertex centroid: it overlaps every neighbour a little.
    cx = sum(x for x, _ in ring[:-1]) / (len(ring) - 1)
    cy = sum(y for _, y in ring[:-1]) / (len(ring) - 1)
    moved = [[x + (x - cx) * 0.05, y + (y - cy) * 0.05] for x, y in ring]
    fc["features"][INTERIOR_INDEX]["geometry"]["coordinates"] = [moved]
    problems = _validate(fc, street)
    assert problems
    assert all("overlaps grid" in p.message for p in problems)
    assert {p.feature for p in problems} >= {"features[24] (id 025)"}


def test_gap_from_removed_interior_grid(fc: dict[str, Any], street: StreetLayout) -> None:
    del fc["features"][INTERIOR_INDEX]
    problems = _validate(fc, street)
    assert len(problems) == 1
    assert problems[0].feature == ""
    assert problems[0].message.startswith("gap of ")
    assert " between grids at 117." in problems[0].message


def test_gap_at_the_edge_needs_the_boundary(fc: dict[str, Any], street: StreetLayout) -> None:
    del fc["features"][EDGE_INDEX]
    assert _validate(fc, street) == []
    problems = _validate(fc, street, boundary=fc["boundary"])
    assert len(problems) == 1
    assert "of the boundary not covered by any grid" in problems[0].message


def test_grid_outside_boundary(fc: dict[str, Any], street: StreetLayout) -> None:
    boundary = copy.deepcopy(fc["boundary"])
    del fc["features"][EDGE_INDEX]
    smaller = _validate(fc, street, boundary=boundary)
    assert len(smaller) == 1
    fc2 = street.to_feature_collection()
    ring = [[x - 0.01, y] for x, y in fc2["boundary"]["coordinates"][0]]
    problems = _validate(fc2, street, boundary={"type": "Polygon", "coordinates": [ring]})
    assert any("outside the boundary" in p.message for p in problems)


def test_self_intersection(fc: dict[str, Any], street: StreetLayout) -> None:
    ring = _ring(fc, 5)
    ring[1], ring[2] = ring[2], ring[1]  # bow-tie
    problems = _validate(fc, street)
    bad = [p for p in problems if p.feature == "features[5] (id 006)"]
    assert len(bad) == 1
    assert bad[0].message.startswith("invalid polygon: Self-intersection")


def test_duplicate_id(fc: dict[str, Any], street: StreetLayout) -> None:
    fc["features"][7]["properties"]["id"] = "003"
    problems = _validate(fc, street)
    assert [str(p) for p in problems] == [
        "grids.geojson: features[7] (id 003): duplicate id 003 (as features[2])"
    ]


def test_missing_id(fc: dict[str, Any], street: StreetLayout) -> None:
    del fc["features"][7]["properties"]["id"]
    del fc["features"][7]["id"]
    problems = _validate(fc, street)
    assert [(p.feature, p.message) for p in problems] == [("features[7]", "feature has no id")]


def test_unknown_station(fc: dict[str, Any], street: StreetLayout) -> None:
    fc["features"][30]["properties"]["station"] = "S99"
    problems = _validate(fc, street)
    assert [str(p) for p in problems] == [
        "grids.geojson: features[30] (id 031): unknown station 'S99'"
    ]
    assert validate_grids(fc, source=SOURCE) == []


def test_not_a_feature_collection(street: StreetLayout) -> None:
    problems = _validate({"type": "Feature"}, street)
    assert [str(p) for p in problems] == ["grids.geojson: not a GeoJSON FeatureCollection"]
    assert _validate([], street)[0].message == "not a GeoJSON FeatureCollection"


def test_wrong_geometry_type(fc: dict[str, Any], street: StreetLayout) -> None:
    fc["features"][3]["geometry"] = {"type": "Point", "coordinates": [117.42, 39.03]}
    problems = _validate(fc, street)
    assert problems[0].feature == "features[3] (id 004)"
    assert problems[0].message == "geometry is Point, expected Polygon or MultiPolygon"


def test_coordinates_out_of_range(fc: dict[str, Any], street: StreetLayout) -> None:
    _ring(fc, 4)[2] = [217.4, 39.0]
    problems = _validate(fc, street)
    assert problems[0].feature == "features[4] (id 005)"
    assert problems[0].message.startswith("coordinate out of range")


def test_unclosed_ring(fc: dict[str, Any], street: StreetLayout) -> None:
    _ring(fc, 4).pop()
    problems = _validate(fc, street)
    assert problems[0].message == "ring is not closed"


def test_multipolygon_accepted(fc: dict[str, Any], street: StreetLayout) -> None:
    geometry = fc["features"][4]["geometry"]
    fc["features"][4]["geometry"] = {
        "type": "MultiPolygon",
        "coordinates": [geometry["coordinates"]],
    }
    assert _validate(fc, street, boundary=fc["boundary"]) == []


def test_empty_collection() -> None:
    problems = validate_grids({"type": "FeatureCollection", "features": []}, source=SOURCE)
    assert [str(p) for p in problems] == ["grids.geojson: FeatureCollection has no features"]
