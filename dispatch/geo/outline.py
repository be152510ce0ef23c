"""A street's outline from its grids: their union (one polygon, or several where the
street is in parts), and a point inside it to put its name on."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry import mapping, shape
from shapely.ops import polylabel

from dispatch.geo.projection import LocalProjection

#: Coordinates of an outline are rounded to this many decimals (about 1 cm).
COORD_DIGITS = 7
#: A label point is found to within this share of the outline's size.
LABEL_TOLERANCE = 1e-3
M2_PER_KM2 = 1_000_000


@dataclass(frozen=True)
class Outline:
    """A GeoJSON Polygon or MultiPolygon, its label point [lon, lat], its area (km²)."""

    geometry: dict[str, Any]
    label: list[float] | None
    area_km2: float


def _rounded(coords: Any) -> Any:
    if isinstance(coords, list | tuple) and coords and isinstance(coords[0], float | int):
        return [round(float(v), COORD_DIGITS) for v in coords]
    return [_rounded(c) for c in coords]


def _area_km2(geometry: Any) -> float:
    if geometry.is_empty:
        return 0.0
    centre = geometry.centroid
    proj = LocalProjection(centre.y, centre.x)
    flat = shapely.transform(geometry, lambda xy: _to_metres(proj, xy))
    return float(flat.area) / M2_PER_KM2


def _to_metres(proj: LocalProjection, xy: Any) -> Any:
    x, y = proj.to_xy(xy[:, 0], xy[:, 1])
    out = xy.copy()
    out[:, 0], out[:, 1] = x, y
    return out


def outline_of(features: Iterable[Mapping[str, Any]]) -> Outline:
    """The union of the grids' polygons (an empty Polygon when there are none)."""
    shapes = [shape(f["geometry"]) for f in features if f.get("geometry")]
    union = shapely.union_all(shapes) if shapes else shapely.Polygon()
    if not isinstance(union, shapely.Polygon | shapely.MultiPolygon):  # lines or points dropped
        parts = [g for g in getattr(union, "geoms", []) if isinstance(g, shapely.Polygon)]
        union = shapely.MultiPolygon(parts)
    geometry = dict(mapping(union))
    geometry["coordinates"] = _rounded(geometry["coordinates"]) if not union.is_empty else []
    label = None
    if not union.is_empty:
        largest = max(getattr(union, "geoms", [union]), key=lambda g: g.area)
        size = max(largest.bounds[2] - largest.bounds[0], largest.bounds[3] - largest.bounds[1])
        point = polylabel(largest, tolerance=size * LABEL_TOLERANCE)
        label = [round(point.x, COORD_DIGITS), round(point.y, COORD_DIGITS)]
    return Outline(geometry, label, _area_km2(union))
