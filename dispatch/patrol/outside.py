"""When a track was outside its grid: the spans the screen shades on a replay.

The same rule as ``patrol_metrics``' ``outside_grid_s``: an interval between two fixes
counts as outside when its later fix lies outside the grid, and intervals longer than
the largest gap (the phone silent) count for nothing. Neighbouring outside intervals
make one span, so the spans add up to exactly ``outside_grid_s``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import shapely  # type: ignore[import-untyped,unused-ignore]
from shapely import Geometry  # type: ignore[import-untyped,unused-ignore]

from dispatch.geo.shapes import Ring, polygon_from_lonlat

from .filters import Ping
from .metrics import DEFAULT_MAX_GAP_MS


def outside_flags(pings: Sequence[Ping],
                  grid_polygon_lonlat: Ring | Mapping[str, Any] | Geometry) -> list[bool]:
    """For each fix in time order: whether it lies outside the grid."""
    fixes = sorted(pings, key=lambda p: p.ts)
    grid = polygon_from_lonlat(grid_polygon_lonlat)
    lon = np.array([p.lon for p in fixes], dtype=np.float64)
    lat = np.array([p.lat for p in fixes], dtype=np.float64)
    return [bool(v) for v in ~shapely.intersects_xy(grid, lon, lat)]


def outside_spans(
    pings: Sequence[Ping],
    grid_polygon_lonlat: Ring | Mapping[str, Any] | Geometry,
    *,
    max_gap_ms: int = DEFAULT_MAX_GAP_MS,
) -> list[tuple[int, int]]:
    """[(from_ms, to_ms)] of the time outside the grid, in time order."""
    fixes = sorted(pings, key=lambda p: p.ts)
    if len(fixes) < 2:
        return []
    ts = np.array([p.ts for p in fixes], dtype=np.int64)
    outside = np.array(outside_flags(fixes, grid_polygon_lonlat), dtype=bool)[1:]
    counted = outside & (np.diff(ts) <= max_gap_ms)
    spans: list[tuple[int, int]] = []
    for k in np.flatnonzero(counted).tolist():
        start, end = int(ts[k]), int(ts[k + 1])
        if spans and spans[-1][1] == start:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans
