"""A track as the screen draws and replays it: the simplified line with a time per
vertex, the stops on it and the spans spent outside the worker's grid."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shapely import Geometry  # type: ignore[import-untyped,unused-ignore]

from dispatch.geo.shapes import Ring

from .filters import Ping
from .metrics import DEFAULT_MAX_GAP_MS
from .outside import outside_flags, outside_spans
from .stops import DEFAULT_STOP_MIN_MS, DEFAULT_STOP_RADIUS_M, find_stops
from .track import simplify_track


@dataclass(frozen=True, slots=True)
class TrackView:
    """How to draw a track: the simplification tolerance and what makes a stop."""

    tolerance_m: float
    stop_radius_m: float = DEFAULT_STOP_RADIUS_M
    stop_min_ms: int = DEFAULT_STOP_MIN_MS
    max_gap_ms: int = DEFAULT_MAX_GAP_MS


def track_feature(pings: Sequence[Ping], view: TrackView,
                  grid: Ring | Mapping[str, Any] | Geometry | None = None) -> dict[str, Any]:
    """A GeoJSON Feature (LineString) with ``times``, ``stops``, ``outside`` and ``gaps``.

    Stops and outside spans come from every clean fix, not the simplified line, so a
    coarse tolerance moves no stop. ``outside`` is ``[{"from", "to"}]`` (empty without
    a grid); ``gaps`` the silences longer than ``gap_ms``, ``[{"from", "to"}]``. The fixes
    on either side of a silence and of a crossing of the grid's edge stay vertices, so
    each segment of the line is all walk or all silence, all inside or all outside.
    """
    fixes = sorted(pings, key=lambda p: p.ts)
    ts = [p.ts for p in fixes]
    silences = [i for i in range(1, len(ts)) if ts[i] - ts[i - 1] > view.max_gap_ms]
    keep = {j for i in silences for j in (i - 1, i)}
    if grid is not None and fixes:
        flags = outside_flags(fixes, grid)
        keep |= {j for i in range(1, len(flags)) if flags[i] != flags[i - 1]
                 for j in (i - 1, i)}
    feature = simplify_track(fixes, view.tolerance_m, keep)
    props = feature["properties"]
    props["tolerance_m"] = view.tolerance_m
    props["stops"] = [s.public() for s in find_stops(
        fixes, radius_m=view.stop_radius_m, min_duration_ms=view.stop_min_ms)]
    spans = outside_spans(fixes, grid, max_gap_ms=view.max_gap_ms) if grid is not None else []
    props["outside"] = [{"from": a, "to": b} for a, b in spans]
    props["gaps"] = [{"from": ts[i - 1], "to": ts[i]} for i in silences]
    props["gap_ms"] = view.max_gap_ms
    return feature
