"""Stops (停留) on a track: where a worker stayed within a small radius for a while.

The classic stay-point rule: from a fix, take every following fix while it stays within
``radius_m`` of that first fix; when they span at least ``min_duration_ms`` they are one
stop, placed at their mean, from the first fix's time to the last one's, and the search
goes on after them; otherwise it goes on from the next fix. A silence in the middle of
a stay (a phone indoors) is part of the stop: the worker was there before and after.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from dispatch.geo.projection import FloatArray, LocalProjection

from .filters import Ping

DEFAULT_STOP_RADIUS_M = 30.0
DEFAULT_STOP_MIN_MS = 5 * 60 * 1000
#: Fixes compared in one vectorised step; the window doubles while the stay goes on.
FIRST_WINDOW = 64
COORD_DECIMALS = 7


@dataclass(frozen=True, slots=True)
class Stop:
    """A stay: its place (the mean of its fixes), first and last fix times, fix count."""

    lat: float
    lon: float
    start_ms: int
    end_ms: int
    points: int

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms

    def public(self) -> dict[str, Any]:
        """As the track's ``properties.stops`` lists it."""
        return {"lat": round(self.lat, COORD_DECIMALS), "lon": round(self.lon, COORD_DECIMALS),
                "from": self.start_ms, "to": self.end_ms}


def _stay_end(xy: FloatArray, i: int, radius_m: float) -> int:
    """One past the last fix after ``i`` that is still within the radius of fix ``i``."""
    n = len(xy)
    start = i + 1
    window = FIRST_WINDOW
    while start < n:
        stop = min(n, start + window)
        d2 = ((xy[start:stop] - xy[i]) ** 2).sum(axis=1)
        away = np.flatnonzero(d2 > radius_m * radius_m)
        if away.size:
            return start + int(away[0])
        start, window = stop, window * 2
    return n


def find_stops(pings: Sequence[Ping], *, radius_m: float = DEFAULT_STOP_RADIUS_M,
               min_duration_ms: int = DEFAULT_STOP_MIN_MS) -> list[Stop]:
    """The stops of a track, in time order (fixes in any order; equal times count once)."""
    if radius_m <= 0 or min_duration_ms <= 0:
        raise ValueError("a stop needs a positive radius and duration")
    fixes = sorted(pings, key=lambda p: p.ts)
    if len(fixes) < 2:
        return []
    ts = np.array([p.ts for p in fixes], dtype=np.int64)
    lonlat = np.array([[p.lon, p.lat] for p in fixes], dtype=np.float64)
    proj = LocalProjection(float(lonlat[:, 1].mean()), float(lonlat[:, 0].mean()))
    xy = proj.xy_array(lonlat)
    stops: list[Stop] = []
    i = 0
    while i < len(fixes) - 1:
        j = _stay_end(xy, i, radius_m)
        if ts[j - 1] - ts[i] >= min_duration_ms:
            lon, lat = lonlat[i:j].mean(axis=0)
            stops.append(Stop(float(lat), float(lon), int(ts[i]), int(ts[j - 1]), j - i))
            i = j
        else:
            i += 1
    return stops
