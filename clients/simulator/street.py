"""The street as the simulator knows it from ``GET /api/v1/grids``: polygons in metres.

Each grid gets a local flat projection around its centroid (plenty for a grid of a
kilometre or two), so walking is done in metres and turned back into WGS-84 fixes.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

M_PER_DEG_LAT = 110_574.0
M_PER_DEG_LON_EQUATOR = 111_320.0
MAX_POINT_TRIES = 200
#: Decimals of a coordinate on the wire (about 1 cm).
COORD_DECIMALS = 7
#: A point this far out of the whole street is outside every grid.
FAR_OUTSIDE_DEG = 0.5

Point = tuple[float, float]


@dataclass(frozen=True)
class Projection:
    """Equirectangular metres around (lat0, lon0)."""

    lat0: float
    lon0: float

    @property
    def m_per_deg_lon(self) -> float:
        return M_PER_DEG_LON_EQUATOR * math.cos(math.radians(self.lat0))

    def to_xy(self, lon: float, lat: float) -> Point:
        return ((lon - self.lon0) * self.m_per_deg_lon, (lat - self.lat0) * M_PER_DEG_LAT)

    def to_lonlat(self, x: float, y: float) -> Point:
        return (self.lon0 + x / self.m_per_deg_lon, self.lat0 + y / M_PER_DEG_LAT)


def point_in_ring(x: float, y: float, ring: Sequence[Point]) -> bool:
    """Even-odd rule."""
    inside = False
    n = len(ring)
    j = n - 1
    for i in range(n):
        xi, yi = ring[i]
        xj, yj = ring[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def _outer_rings(geometry: dict[str, Any]) -> list[list[Point]]:
    kind = geometry.get("type")
    coords = geometry.get("coordinates") or []
    polygons = [coords] if kind == "Polygon" else coords if kind == "MultiPolygon" else []
    return [[(float(p[0]), float(p[1])) for p in poly[0]] for poly in polygons if poly]


@dataclass
class GridShape:
    id: str
    name: str
    station: str
    worker: str | None
    proj: Projection
    rings_m: list[list[Point]]
    bbox_m: tuple[float, float, float, float] = field(init=False)

    def __post_init__(self) -> None:
        xs = [p[0] for ring in self.rings_m for p in ring]
        ys = [p[1] for ring in self.rings_m for p in ring]
        self.bbox_m = (min(xs), min(ys), max(xs), max(ys))

    def contains(self, x: float, y: float) -> bool:
        return any(point_in_ring(x, y, ring) for ring in self.rings_m)

    def random_point(self, rng: random.Random) -> Point:
        """A point inside the grid, in metres."""
        x0, y0, x1, y1 = self.bbox_m
        for _ in range(MAX_POINT_TRIES):
            x, y = rng.uniform(x0, x1), rng.uniform(y0, y1)
            if self.contains(x, y):
                return x, y
        return self.rings_m[0][0]

    def lonlat(self, x: float, y: float) -> Point:
        return self.proj.to_lonlat(x, y)

    def random_lonlat(self, rng: random.Random) -> Point:
        return self.lonlat(*self.random_point(rng))

    @property
    def size_m(self) -> float:
        x0, y0, x1, y1 = self.bbox_m
        return math.hypot(x1 - x0, y1 - y0)

    @classmethod
    def from_feature(cls, feature: dict[str, Any]) -> GridShape:
        props = feature.get("properties") or {}
        rings = _outer_rings(feature.get("geometry") or {})
        if not rings:
            raise ValueError(f"grid {props.get('id')} has no polygon")
        lons = [p[0] for p in rings[0]]
        lats = [p[1] for p in rings[0]]
        proj = Projection(sum(lats) / len(lats), sum(lons) / len(lons))
        rings_m = [[proj.to_xy(lon, lat) for lon, lat in ring] for ring in rings]
        return cls(id=str(props.get("id")), name=str(props.get("name", "")),
                   station=str(props.get("station", "")),
                   worker=props.get("worker") or None, proj=proj, rings_m=rings_m)


@dataclass
class Street:
    grids: dict[str, GridShape]

    @classmethod
    def from_geojson(cls, fc: dict[str, Any]) -> Street:
        shapes = [GridShape.from_feature(f) for f in fc.get("features", [])]
        return cls({g.id: g for g in shapes})

    def of_worker(self, username: str) -> GridShape | None:
        for grid in self.grids.values():
            if grid.worker == username:
                return grid
        number = username[len("gw"):]
        return self.grids.get(number)

    def far_outside(self) -> Point:
        """A (lon, lat) outside every grid of the street."""
        any_grid = next(iter(self.grids.values()))
        return any_grid.proj.lon0 + FAR_OUTSIDE_DEG, any_grid.proj.lat0 + FAR_OUTSIDE_DEG
