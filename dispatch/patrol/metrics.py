"""What one patrol amounted to: distance, duration, coverage of the grid, time outside.

Computed in a local metric projection around the grid.  Coverage is the share of
the grid's area within ``cover_radius_m`` of the track: GEOS buffers the track
and intersects it with the grid polygon.  The track is simplified by 2 m and
buffered in short chunks whose buffers are then unioned: for a two-hour walk
criss-crossing a grid that is ~10x faster than buffering the raw track as one
self-overlapping line, and coverage moves by under 0.1 percentage point.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise
from typing import Any

import numpy as np
import shapely  # type: ignore[import-untyped,unused-ignore]
from shapely import Geometry  # type: ignore[import-untyped,unused-ignore]

from dispatch.clock import MS_PER_MIN, MS_PER_S
from dispatch.geo.projection import FloatArray, LocalProjection, haversine_m
from dispatch.geo.shapes import Ring, polygon_from_lonlat, to_metres

from .filters import Ping
from .track import simplify_track

__all__ = [
    "PatrolMetrics",
    "PatrolStatus",
    "patrol_metrics",
    "patrol_status",
    "simplify_track",
]

DEFAULT_COVER_RADIUS_M = 30.0
#: A longer silence between two fixes counts neither distance nor time.
DEFAULT_MAX_GAP_MS = 5 * MS_PER_MIN
#: Track vertices closer than this to a straight run are dropped before buffering:
#: the buffer edge moves by at most this much, a small fraction of the radius.
PRE_SIMPLIFY_M = 2.0
#: Segments per quarter circle in the buffer's round caps and joins.
BUFFER_QUAD_SEGS = 8
#: Track segments per separately buffered chunk (fastest of 32/64/128 when measured).
CHUNK_SEGMENTS = 32


@dataclass(frozen=True, slots=True)
class PatrolMetrics:
    """Summary of one patrol of one grid within one window."""

    distance_m: float
    duration_s: float
    coverage: float
    outside_grid_s: float
    points: int


class PatrolStatus(StrEnum):
    """Verdict on a patrol."""

    COMPLETE = "complete"
    INCOMPLETE = "incomplete"


def _runs(ts: FloatArray, max_gap_ms: float) -> list[slice]:
    """Index ranges of the track split wherever two fixes are further apart than the gap."""
    breaks = np.flatnonzero(np.diff(ts) > max_gap_ms) + 1
    edges = [0, *breaks.tolist(), len(ts)]
    return [slice(a, b) for a, b in pairwise(edges)]


def _chunks(xy: FloatArray, run: slice) -> list[Geometry]:
    """A run of fixes as LineStrings of at most CHUNK_SEGMENTS segments (or one Point)."""
    if run.stop - run.start == 1:
        return [shapely.Point(xy[run.start])]
    starts = range(run.start, run.stop - 1, CHUNK_SEGMENTS)
    return [shapely.LineString(xy[s : min(s + CHUNK_SEGMENTS + 1, run.stop)]) for s in starts]


def _coverage(xy: FloatArray, runs: list[slice], grid_m: Geometry, radius_m: float) -> float:
    """Share of the grid's area within ``radius_m`` of any run of the track."""
    parts = np.asarray([part for run in runs for part in _chunks(xy, run)], dtype=object)
    if not parts.size or grid_m.area <= 0.0:
        return 0.0
    parts = shapely.simplify(parts, PRE_SIMPLIFY_M, preserve_topology=False)
    covered = shapely.union_all(shapely.buffer(parts, radius_m, quad_segs=BUFFER_QUAD_SEGS))
    ratio = float(shapely.area(shapely.intersection(covered, grid_m))) / float(grid_m.area)
    return min(1.0, max(0.0, ratio))


def patrol_metrics(
    pings: Sequence[Ping],
    grid_polygon_lonlat: Ring | Mapping[str, Any] | Geometry,
    *,
    start_ms: int,
    end_ms: int,
    cover_radius_m: float = DEFAULT_COVER_RADIUS_M,
    max_gap_ms: int = DEFAULT_MAX_GAP_MS,
) -> PatrolMetrics:
    """Metrics of the clean fixes (see ``clean_track``) inside [start_ms, end_ms].

    The grid is a ring of [lon, lat], a GeoJSON geometry/Feature or a shapely polygon.
    ``outside_grid_s`` adds up the intervals whose later fix lies outside the grid.
    """
    fixes = sorted((p for p in pings if start_ms <= p.ts <= end_ms), key=lambda p: p.ts)
    grid = polygon_from_lonlat(grid_polygon_lonlat)
    if not fixes:
        return PatrolMetrics(0.0, 0.0, 0.0, 0.0, 0)
    centre = shapely.centroid(grid)
    proj = LocalProjection(float(centre.y), float(centre.x))
    grid_m = to_metres(grid, proj)
    shapely.prepare(grid_m)
    ts = np.array([p.ts for p in fixes], dtype=np.float64)
    lon = np.array([p.lon for p in fixes], dtype=np.float64)
    lat = np.array([p.lat for p in fixes], dtype=np.float64)
    x, y = proj.to_xy(lon, lat)
    dt_ms = np.diff(ts)
    counted = dt_ms <= max_gap_ms
    steps_m = haversine_m(lon[:-1], lat[:-1], lon[1:], lat[1:])
    outside_later = ~shapely.intersects_xy(grid_m, x[1:], y[1:])
    return PatrolMetrics(
        distance_m=float(steps_m[counted].sum()),
        duration_s=float(dt_ms[counted].sum()) / MS_PER_S,
        coverage=_coverage(np.column_stack([x, y]), _runs(ts, max_gap_ms), grid_m, cover_radius_m),
        outside_grid_s=float(dt_ms[counted & outside_later].sum()) / MS_PER_S,
        points=len(fixes),
    )


def patrol_status(
    metrics: PatrolMetrics, *, min_duration_s: float, min_coverage: float
) -> PatrolStatus:
    """COMPLETE when the patrol lasted long enough and covered enough of the grid."""
    if metrics.duration_s >= min_duration_s and metrics.coverage >= min_coverage:
        return PatrolStatus.COMPLETE
    return PatrolStatus.INCOMPLETE
