"""A patrol with a stop (停留) and a walk outside the grid, for the track tests and the
replay in the browser: what happened when, so a test knows what the screen must show."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import shapely  # type: ignore[import-untyped,unused-ignore]

from dispatch.geo.projection import LocalProjection
from dispatch.org.model import OrgData
from tests.location.fixtures import grid_feature, walk

FIX_MS = 5_000
MINUTE_MS = 60_000
WALK_MPS = 1.2
#: A stay long enough to be a stop with the default rule (30 m, 5 min).
STOP_MIN = 6
#: A stay outside the grid too short to be a stop.
OUTSIDE_STAY_MIN = 2


@dataclass(frozen=True)
class Outing:
    """The fixes of the patrol (ping dicts) and when each part of it happened."""

    pings: list[dict[str, Any]]
    stop: tuple[int, int]
    stop_at: tuple[float, float]
    outside: tuple[int, int]
    neighbour: str

    @property
    def start(self) -> int:
        return int(self.pings[0]["ts"])

    @property
    def end(self) -> int:
        return int(self.pings[-1]["ts"])


def _neighbour(street: OrgData, grid: str) -> str:
    own = shapely.geometry.shape(grid_feature(street, grid)["geometry"])
    for f in street.grids["features"]:
        other = str(f["properties"]["id"])
        if other != grid and own.touches(shapely.geometry.shape(f["geometry"])):
            return other
    raise LookupError(f"grid {grid} has no neighbour")


def _inside(street: OrgData, grid: str) -> tuple[float, float]:
    point = shapely.point_on_surface(shapely.geometry.shape(grid_feature(street, grid)["geometry"]))
    return float(point.x), float(point.y)


def _line(a: tuple[float, float], b: tuple[float, float], start: int,
          seq: int) -> list[dict[str, Any]]:
    """A straight walk from a to b (lon, lat) at walking pace, a fix every FIX_MS, b included."""
    proj = LocalProjection(a[1], a[0])
    bx, by = proj.to_xy(b[0], b[1])
    steps = max(1, math.ceil(math.hypot(bx, by) / (WALK_MPS * FIX_MS / 1000)))
    return [{"seq": seq + k, "lon": a[0] + (b[0] - a[0]) * k / steps,
             "lat": a[1] + (b[1] - a[1]) * k / steps, "ts": start + k * FIX_MS, "acc": 5.0}
            for k in range(1, steps + 1)]


def _stay(at: tuple[float, float], start: int, minutes: float, seq: int) -> list[dict[str, Any]]:
    """Standing still (a metre or two of GPS wobble), a fix every FIX_MS."""
    count = round(minutes * MINUTE_MS / FIX_MS)
    return [{"seq": seq + k, "lon": at[0] + 0.00001 * (k % 3 - 1),
             "lat": at[1] + 0.00001 * (k % 2), "ts": start + k * FIX_MS, "acc": 5.0}
            for k in range(1, count + 1)]


def outing(street: OrgData, grid: str, start_ms: int, *, walk_min: float = 10) -> Outing:
    """Walk the grid, stop a while, walk into a neighbouring grid, stay briefly, come back."""
    pings = walk(street, grid, start_ms, minutes=walk_min)

    def tail() -> tuple[tuple[float, float], int, int]:
        last = pings[-1]
        return (float(last["lon"]), float(last["lat"])), int(last["ts"]), len(pings)

    here, ts, seq = tail()
    pings += _stay(here, ts, STOP_MIN, seq)
    stop = (ts, int(pings[-1]["ts"]))
    stop_at = here
    neighbour = _neighbour(street, grid)
    here, ts, seq = tail()
    pings += _line(here, _inside(street, neighbour), ts, seq)
    here, ts, seq = tail()
    pings += _stay(here, ts, OUTSIDE_STAY_MIN, seq)
    here, ts, seq = tail()
    pings += _line(here, _inside(street, grid), ts, seq)
    own = shapely.geometry.shape(grid_feature(street, grid)["geometry"])
    out = [p["ts"] for p in pings if not own.intersects(shapely.Point(p["lon"], p["lat"]))]
    return Outing(pings, stop, stop_at, (int(min(out)), int(max(out))), neighbour)
