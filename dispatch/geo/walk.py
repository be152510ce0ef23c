"""A realistic patrol walk over a grid: lanes across it, walked end to end with GPS noise.

Used by tests, benchmarks and the simulator to stream what a grid worker's phone
would send on patrol.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import shapely  # type: ignore[import-untyped,unused-ignore]
from shapely import Geometry  # type: ignore[import-untyped,unused-ignore]

from .projection import FloatArray, LocalProjection
from .shapes import Ring, polygon_from_lonlat, to_metres

WALK_SPEED_MPS = 1.2
FIX_INTERVAL_S = 5.0
#: Distance between two lanes; with a 30 m cover radius lanes 50 m apart cover it all.
LANE_SPACING_M = 50.0
#: Lanes are kept this far inside the grid's edge.
EDGE_MARGIN_M = 10.0
GPS_NOISE_M = 3.0


def _lanes(grid_m: Geometry, spacing_m: float) -> list[FloatArray]:
    """East-west lanes across the (shrunken) grid, alternating direction (serpentine)."""
    inner = shapely.buffer(grid_m, -EDGE_MARGIN_M)
    area = inner if not inner.is_empty else grid_m
    minx, miny, maxx, maxy = area.bounds
    lanes: list[FloatArray] = []
    for y in np.arange(miny + spacing_m / 2, maxy, spacing_m):
        cut = shapely.intersection(area, shapely.LineString([(minx - 1, y), (maxx + 1, y)]))
        for part in shapely.get_parts(cut):
            coords = shapely.get_coordinates(part)
            if len(coords) >= 2:
                lane = coords[np.argsort(coords[:, 0])]
                lanes.append(lane if len(lanes) % 2 == 0 else lane[::-1])
    return lanes


def _resample(path: FloatArray, step_m: float) -> FloatArray:
    """Points every ``step_m`` along a polyline."""
    seg = np.hypot(*np.diff(path, axis=0).T)
    dist = np.concatenate([[0.0], np.cumsum(seg)])
    at = np.arange(0.0, dist[-1], step_m)
    return np.column_stack([np.interp(at, dist, path[:, 0]), np.interp(at, dist, path[:, 1])])


def patrol_walk(
    grid: Ring | Mapping[str, Any] | Geometry,
    *,
    duration_s: float,
    speed_mps: float = WALK_SPEED_MPS,
    fix_interval_s: float = FIX_INTERVAL_S,
    lane_spacing_m: float = LANE_SPACING_M,
    noise_m: float = GPS_NOISE_M,
    seed: int = 0,
) -> FloatArray:
    """(N, 2) lon/lat fixes, one per ``fix_interval_s``, of a walk of ``duration_s``.

    The walk follows lanes across the grid back and forth (starting over when it
    runs out of lanes) and every fix carries Gaussian GPS noise of ``noise_m``.
    """
    polygon = polygon_from_lonlat(grid)
    centre = shapely.centroid(polygon)
    proj = LocalProjection(float(centre.y), float(centre.x))
    lanes = _lanes(to_metres(polygon, proj), lane_spacing_m)
    if not lanes:
        raise ValueError("the grid is too small for a walk")
    path = np.vstack(lanes)
    path = np.vstack([path, path[::-1]])
    points = _resample(path, speed_mps * fix_interval_s)
    n = max(1, int(duration_s / fix_interval_s))
    xy = points[np.arange(n) % len(points)]
    rng = np.random.default_rng(seed)
    xy = xy + rng.normal(0.0, noise_m, xy.shape)
    return proj.lonlat_array(xy)
