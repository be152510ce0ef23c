"""Small typed bridge between GeoJSON dicts, shapely geometries and the local projection."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import shapely  # type: ignore[import-untyped,unused-ignore]
from shapely import Geometry  # type: ignore[import-untyped,unused-ignore]

from .projection import FloatArray, LocalProjection

#: Decimal places kept for lon/lat in GeoJSON output (about 1 cm).
COORD_DECIMALS = 7

Ring = Sequence[Sequence[float]]


def geometry_from_geojson(geometry: Mapping[str, Any]) -> Geometry:
    """Build a shapely geometry from a GeoJSON geometry (or Feature) mapping."""
    if geometry.get("type") == "Feature":
        inner = geometry.get("geometry")
        if not isinstance(inner, Mapping):
            raise ValueError("feature has no geometry")
        geometry = inner
    return shapely.geometry.shape(geometry)


def polygon_from_lonlat(shape: Ring | Mapping[str, Any] | Geometry) -> Geometry:
    """Accept a ring of [lon, lat], a GeoJSON geometry/Feature or a shapely geometry."""
    if isinstance(shape, Geometry):
        return shape
    if isinstance(shape, Mapping):
        return geometry_from_geojson(shape)
    return shapely.Polygon(np.asarray(shape, dtype=np.float64))


def projection_for(geometries: Iterable[Geometry]) -> LocalProjection:
    """A local projection centred on the joint bounding box of some lon/lat geometries."""
    minx, miny, maxx, maxy = shapely.total_bounds(np.asarray(list(geometries), dtype=object))
    if not np.isfinite([minx, miny, maxx, maxy]).all():
        raise ValueError("no coordinates to centre a projection on")
    return LocalProjection((miny + maxy) / 2.0, (minx + maxx) / 2.0)


def to_metres(geometry: Any, proj: LocalProjection) -> Any:
    """Project lon/lat geometry (or an array of them) to local metres."""
    return shapely.transform(geometry, proj.xy_array)


def to_lonlat(geometry: Any, proj: LocalProjection) -> Any:
    """Inverse of :func:`to_metres`."""
    return shapely.transform(geometry, proj.lonlat_array)


def rounded_coords(coords: FloatArray) -> list[list[float]]:
    """(N, 2) lon/lat array to a JSON-ready list rounded to :data:`COORD_DECIMALS`."""
    return [[round(float(x), COORD_DECIMALS), round(float(y), COORD_DECIMALS)] for x, y in coords]


def point_lonlat(geometry: Geometry) -> tuple[float, float]:
    """The (lon, lat) of a shapely Point."""
    return float(shapely.get_x(geometry)), float(shapely.get_y(geometry))
