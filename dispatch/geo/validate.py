"""Validation of a grid FeatureCollection: structure, geometry, overlaps and gaps.

Each problem names the file and the feature (by index and id) so an operator can
fix the source data; areas are computed in a local metric projection.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely  # type: ignore[import-untyped,unused-ignore]
from shapely import Geometry  # type: ignore[import-untyped,unused-ignore]

from .projection import LocalProjection
from .shapes import point_lonlat, projection_for, to_lonlat, to_metres

#: Overlaps and gaps smaller than this (m²) are rounding noise, not data errors.
AREA_TOLERANCE_M2 = 1.0
POLYGON_TYPES = ("Polygon", "MultiPolygon")
MIN_RING_POSITIONS = 4
MAX_LON = 180.0
MAX_LAT = 90.0
#: DE-9IM pattern: the interiors of two geometries share an area.
INTERIORS_OVERLAP = "2********"
#: Decimal places of lon/lat printed in problem messages.
REPORT_DECIMALS = 6


@dataclass(frozen=True, slots=True)
class Problem:
    """One validation finding; ``feature`` is empty for collection-wide problems."""

    file: str
    feature: str
    message: str

    def __str__(self) -> str:
        parts = (
            [self.file, self.feature, self.message] if self.feature else [self.file, self.message]
        )
        return ": ".join(parts)


@dataclass(frozen=True, slots=True)
class _Grid:
    index: int
    grid_id: str
    label: str
    geometry: Geometry


def feature_label(index: int, grid_id: str | None) -> str:
    """How problems name a feature, e.g. ``features[12] (id 013)``."""
    return f"features[{index}] (id {grid_id})" if grid_id else f"features[{index}]"


def _fmt_area(area_m2: float) -> str:
    return f"{area_m2:.0f} m²" if area_m2 >= 10 else f"{area_m2:.1f} m²"


def _fmt_point(geometry: Geometry, proj: LocalProjection) -> str:
    lon, lat = point_lonlat(to_lonlat(shapely.point_on_surface(geometry), proj))
    return f"{lon:.{REPORT_DECIMALS}f},{lat:.{REPORT_DECIMALS}f}"


def _feature_id(feature: Mapping[str, Any]) -> str | None:
    props = feature.get("properties")
    raw = props.get("id") if isinstance(props, Mapping) else None
    if raw is None:
        raw = feature.get("id")
    if isinstance(raw, bool) or not isinstance(raw, str | int) or raw == "":
        return None
    return str(raw)


def _position_problem(pos: Any) -> str | None:
    if not isinstance(pos, Sequence) or isinstance(pos, str) or len(pos) < 2:
        return f"bad position {pos!r}"
    lon, lat = pos[0], pos[1]
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lon, lat)):
        return f"bad position {pos!r}"
    if not (math.isfinite(lon) and math.isfinite(lat)):
        return f"non-finite coordinate {pos!r}"
    if abs(lon) > MAX_LON or abs(lat) > MAX_LAT:
        return f"coordinate out of range (lon {lon}, lat {lat})"
    return None


def _ring_problem(ring: Any) -> str | None:
    if not isinstance(ring, Sequence) or len(ring) < MIN_RING_POSITIONS:
        return f"ring needs at least {MIN_RING_POSITIONS} positions"
    for pos in ring:
        if (problem := _position_problem(pos)) is not None:
            return problem
    if list(ring[0][:2]) != list(ring[-1][:2]):
        return "ring is not closed"
    return None


def _coordinates_problem(geom_type: str, coords: Any) -> str | None:
    polygons = coords if geom_type == "MultiPolygon" else [coords]
    if not isinstance(polygons, Sequence) or not polygons:
        return "no coordinates"
    for rings in polygons:
        if not isinstance(rings, Sequence) or not rings:
            return "polygon without rings"
        for ring in rings:
            if (problem := _ring_problem(ring)) is not None:
                return problem
    return None


def _geometry(feature: Mapping[str, Any]) -> tuple[Geometry | None, str | None]:
    """The feature's shapely geometry, or the reason it has none usable."""
    geometry = feature.get("geometry")
    if not isinstance(geometry, Mapping):
        return None, "no geometry"
    geom_type = geometry.get("type")
    if geom_type not in POLYGON_TYPES:
        return None, f"geometry is {geom_type}, expected Polygon or MultiPolygon"
    problem = _coordinates_problem(str(geom_type), geometry.get("coordinates"))
    if problem is not None:
        return None, problem
    try:
        shape = shapely.geometry.shape(geometry)
    except (ValueError, TypeError, shapely.errors.ShapelyError) as exc:
        return None, f"unreadable geometry: {exc}"
    if shape.is_empty:
        return None, "empty polygon"
    if not shape.is_valid:
        return None, f"invalid polygon: {shapely.is_valid_reason(shape)}"
    return shape, None


def _station_problem(feature: Mapping[str, Any], known_stations: set[str] | None) -> str | None:
    if known_stations is None:
        return None
    props = feature.get("properties")
    station = props.get("station") if isinstance(props, Mapping) else None
    if station is None:
        return "no station"
    if station not in known_stations:
        return f"unknown station {station!r}"
    return None


def _parse_features(
    features: Sequence[Any], source: str, known_stations: set[str] | None
) -> tuple[list[_Grid], list[Problem]]:
    grids: list[_Grid] = []
    problems: list[Problem] = []
    first_seen: dict[str, int] = {}
    for index, feature in enumerate(features):
        if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
            problems.append(Problem(source, feature_label(index, None), "not a Feature"))
            continue
        grid_id = _feature_id(feature)
        label = feature_label(index, grid_id)
        if grid_id is None:
            problems.append(Problem(source, label, "feature has no id"))
        elif grid_id in first_seen:
            other = first_seen[grid_id]
            problems.append(
                Problem(source, label, f"duplicate id {grid_id} (as features[{other}])")
            )
        else:
            first_seen[grid_id] = index
        if (station_problem := _station_problem(feature, known_stations)) is not None:
            problems.append(Problem(source, label, station_problem))
        geometry, geometry_problem = _geometry(feature)
        if geometry_problem is not None:
            problems.append(Problem(source, label, geometry_problem))
        if geometry is not None:
            grids.append(_Grid(index, grid_id or f"features[{index}]", label, geometry))
    return grids, problems


def _overlap_problems(
    grids: list[_Grid], metric: np.ndarray[Any, Any], source: str
) -> list[Problem]:
    """Pairs whose interiors share more than the tolerance, found through an STRtree."""
    tree = shapely.STRtree(metric)
    left, right = tree.query(metric, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    overlapping = shapely.relate_pattern(metric[left], metric[right], INTERIORS_OVERLAP)
    left, right = left[overlapping], right[overlapping]
    areas = shapely.area(shapely.intersection(metric[left], metric[right]))
    problems = []
    for i, j, area in sorted(zip(left.tolist(), right.tolist(), areas.tolist(), strict=True)):
        if area > AREA_TOLERANCE_M2:
            message = f"overlaps grid {grids[j].grid_id} by {_fmt_area(area)}"
            problems.append(Problem(source, grids[i].label, message))
    return problems


def _parts_over_tolerance(geometry: Geometry) -> list[Geometry]:
    parts = shapely.get_parts(geometry)
    return [p for p in parts if shapely.area(p) > AREA_TOLERANCE_M2]


def _fill_holes(geometry: Geometry) -> Geometry:
    shells = [shapely.Polygon(shapely.get_exterior_ring(p)) for p in shapely.get_parts(geometry)]
    return shapely.union_all(shells)


def _gap_problems(
    metric: np.ndarray[Any, Any],
    boundary: Geometry | None,
    proj: LocalProjection,
    source: str,
) -> list[Problem]:
    """Holes in the union of all grids, and parts of the boundary no grid covers."""
    union = shapely.union_all(metric)
    filled = _fill_holes(union)
    problems = [
        Problem(source, "", f"gap of {_fmt_area(p.area)} between grids at {_fmt_point(p, proj)}")
        for p in _parts_over_tolerance(shapely.difference(filled, union))
    ]
    if boundary is not None:
        problems += [
            Problem(
                source,
                "",
                f"{_fmt_area(p.area)} of the boundary not covered by any grid "
                f"at {_fmt_point(p, proj)}",
            )
            for p in _parts_over_tolerance(shapely.difference(boundary, filled))
        ]
    return problems


def _outside_boundary_problems(
    grids: list[_Grid], metric: np.ndarray[Any, Any], boundary: Geometry, source: str
) -> list[Problem]:
    outside = shapely.area(shapely.difference(metric, boundary))
    return [
        Problem(source, grid.label, f"extends {_fmt_area(area)} outside the boundary")
        for grid, area in zip(grids, outside.tolist(), strict=True)
        if area > AREA_TOLERANCE_M2
    ]


def _boundary_geometry(
    boundary: Mapping[str, Any], source: str
) -> tuple[Geometry | None, list[Problem]]:
    geometry, problem = _geometry(
        boundary if boundary.get("type") == "Feature" else {"geometry": boundary}
    )
    if problem is not None:
        return None, [Problem(source, "boundary", problem)]
    return geometry, []


def validate_grids(
    fc: Any,
    *,
    source: str,
    known_stations: set[str] | None = None,
    boundary: Mapping[str, Any] | None = None,
) -> list[Problem]:
    """All problems found in a grid FeatureCollection; ``[]`` means it is a clean tiling.

    ``boundary`` is an optional GeoJSON Polygon/MultiPolygon geometry (or Feature) of
    the area the grids must cover exactly, e.g. the ``boundary`` member written by
    ``StreetLayout.to_feature_collection``.
    """
    if not isinstance(fc, Mapping) or fc.get("type") != "FeatureCollection":
        return [Problem(source, "", "not a GeoJSON FeatureCollection")]
    features = fc.get("features")
    if not isinstance(features, list):
        return [Problem(source, "", "FeatureCollection has no features list")]
    if not features:
        return [Problem(source, "", "FeatureCollection has no features")]
    grids, problems = _parse_features(features, source, known_stations)
    boundary_ll: Geometry | None = None
    if boundary is not None:
        boundary_ll, boundary_problems = _boundary_geometry(boundary, source)
        problems += boundary_problems
    if not grids:
        return problems
    shapes = [g.geometry for g in grids]
    proj = projection_for(shapes if boundary_ll is None else [*shapes, boundary_ll])
    metric = to_metres(np.asarray(shapes, dtype=object), proj)
    boundary_m = None if boundary_ll is None else to_metres(boundary_ll, proj)
    problems += _overlap_problems(grids, metric, source)
    if boundary_m is not None:
        problems += _outside_boundary_problems(grids, metric, boundary_m, source)
    problems += _gap_problems(metric, boundary_m, proj, source)
    return problems
