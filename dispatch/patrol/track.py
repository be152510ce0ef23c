"""A patrol track as a compact GeoJSON LineString for display and storage."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely  # type: ignore[import-untyped,unused-ignore]

from dispatch.geo.projection import LocalProjection
from dispatch.geo.shapes import COORD_DECIMALS, rounded_coords

from .filters import Ping

MIN_LINE_POINTS = 2


def simplify_track(pings: Sequence[Ping], tolerance_m: float) -> dict[str, Any]:
    """Douglas-Peucker simplification (in metres) of a time-sorted track.

    Returns a GeoJSON Feature whose geometry is a LineString (or null with fewer
    than two fixes); the ends are always kept.  Properties: ``start_ts``, ``end_ts``,
    ``points`` (fixes in) and ``simplified_points`` (vertices out).
    """
    fixes = sorted(pings, key=lambda p: p.ts)
    props: dict[str, Any] = {
        "start_ts": fixes[0].ts if fixes else None,
        "end_ts": fixes[-1].ts if fixes else None,
        "points": len(fixes),
        "simplified_points": 0,
    }
    if len(fixes) < MIN_LINE_POINTS:
        return {"type": "Feature", "geometry": None, "properties": props}
    lonlat = np.array([[p.lon, p.lat] for p in fixes], dtype=np.float64)
    proj = LocalProjection(float(lonlat[:, 1].mean()), float(lonlat[:, 0].mean()))
    line = shapely.LineString(proj.xy_array(lonlat))
    simple = shapely.simplify(line, tolerance_m, preserve_topology=False)
    coords = proj.lonlat_array(shapely.get_coordinates(simple))
    if len(coords) < MIN_LINE_POINTS:
        coords = lonlat[[0, -1]]
    coords[0], coords[-1] = lonlat[0], lonlat[-1]
    props["simplified_points"] = len(coords)
    return {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": rounded_coords(coords)},
        "properties": props,
    }


def fixes_after(pings: Sequence[Ping], since_ms: int) -> dict[str, Any]:
    """The fixes of a cleaned track after ``since_ms`` (not simplified), for a page that
    already holds the track up to then and adds what is new.

    The geometry is a LineString (two fixes or more), a Point (one) or null (none);
    ``properties.times`` has one time per vertex, ``end_ts`` is the ``since`` to ask
    with next (``since_ms`` itself when nothing is new).
    """
    fresh = sorted((p for p in pings if p.ts > since_ms), key=lambda p: p.ts)
    coords = [[round(p.lon, COORD_DECIMALS), round(p.lat, COORD_DECIMALS)] for p in fresh]
    geometry: dict[str, Any] | None = None
    if len(coords) >= MIN_LINE_POINTS:
        geometry = {"type": "LineString", "coordinates": coords}
    elif coords:
        geometry = {"type": "Point", "coordinates": coords[0]}
    return {
        "type": "Feature",
        "geometry": geometry,
        "properties": {"since": since_ms, "points": len(fresh),
                       "start_ts": fresh[0].ts if fresh else None,
                       "end_ts": fresh[-1].ts if fresh else since_ms,
                       "times": [p.ts for p in fresh]},
    }
