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
from .outside import outside_spans
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
    """A GeoJSON Feature (LineString) with ``times``, ``stops``, ``outside`` and ``gap_ms``.

    Stops and outside spans come from every clean fix, not the simplified line, so a
    coarse tolerance moves no stop. ``outside`` is ``[{"from", "to"}]`` (empty without
    a grid); ``gap_ms`` is the silence beyond which two vertices are not joined by a walk.
    """
    feature = simplify_track(pings, view.tolerance_m)
    props = feature["properties"]
    props["tolerance_m"] = view.tolerance_m
    props["stops"] = [s.public() for s in find_stops(
        pings, radius_m=view.stop_radius_m, min_duration_ms=view.stop_min_ms)]
    spans = outside_spans(pings, grid, max_gap_ms=view.max_gap_ms) if grid is not None else []
    props["outside"] = [{"from": a, "to": b} for a, b in spans]
    props["gap_ms"] = view.max_gap_ms
    return feature
