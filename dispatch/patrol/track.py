"""A patrol track as a compact GeoJSON LineString for display and storage."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import pairwise
from typing import Any

import numpy as np
import shapely  # type: ignore[import-untyped,unused-ignore]

from dispatch.geo.projection import LocalProjection
from dispatch.geo.shapes import COORD_DECIMALS, rounded_coords

from .filters import Ping

MIN_LINE_POINTS = 2


def simplify_track(pings: Sequence[Ping], tolerance_m: float,
                   keep: Iterable[int] = ()) -> dict[str, Any]:
    """Douglas-Peucker simplification (in metres) of a time-sorted track.

    Returns a GeoJSON Feature whose geometry is a LineString (or null with fewer
    than two fixes); the ends are always kept, and so are the fixes ``keep`` names
    (indexes in time order): the line is simplified piece by piece between them.
    Properties: ``start_ts``, ``end_ts``, ``points`` (fixes in), ``simplified_points``
    (vertices out) and ``times`` (the time of each vertex, ms: every vertex is one of
    the fixes, at its own place).
    """
    fixes = sorted(pings, key=lambda p: p.ts)
    props: dict[str, Any] = {
        "start_ts": fixes[0].ts if fixes else None,
        "end_ts": fixes[-1].ts if fixes else None,
        "points": len(fixes),
        "simplified_points": 0,
        "times": [p.ts for p in fixes],
    }
    if len(fixes) < MIN_LINE_POINTS:
        return {"type": "Feature", "geometry": None, "properties": props}
    lonlat = np.array([[p.lon, p.lat] for p in fixes], dtype=np.float64)
    kept = _kept_vertices(lonlat, tolerance_m, keep)
    props["simplified_points"] = len(kept)
    props["times"] = [fixes[i].ts for i in kept]
    return {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": rounded_coords(lonlat[kept])},
        "properties": props,
    }


def _kept_vertices(lonlat: np.ndarray[Any, np.dtype[np.float64]], tolerance_m: float,
                   keep: Iterable[int]) -> list[int]:
    """Indexes of the fixes Douglas-Peucker keeps (GEOS carries each one's index as Z),
    each piece between two fixes to keep simplified on its own."""
    last = len(lonlat) - 1
    if tolerance_m <= 0:
        return list(range(len(lonlat)))
    cuts = sorted({0, last, *(i for i in keep if 0 <= i <= last)})
    proj = LocalProjection(float(lonlat[:, 1].mean()), float(lonlat[:, 0].mean()))
    xyz = np.column_stack([proj.xy_array(lonlat), np.arange(len(lonlat), dtype=np.float64)])
    pieces = [shapely.LineString(xyz[a : b + 1]) for a, b in pairwise(cuts) if b - a >= 2]
    kept = set(cuts)
    if pieces:
        simple = shapely.simplify(np.asarray(pieces, dtype=object), tolerance_m,
                                  preserve_topology=False)
        found = shapely.get_coordinates(simple, include_z=True)[:, 2]
        kept.update(np.rint(found).astype(np.int64).tolist())
    return sorted(kept)


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
