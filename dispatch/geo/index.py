"""Point-in-grid lookup: which grid is a GPS fix in?

Built once per grid set.  A uniform bucket raster over the grids' bounds answers
most lookups with one list access: a bucket that only one grid touches (and that
grid covers) stores that grid, an empty bucket stores "none", and only buckets
crossed by a grid border fall back to exact tests on prepared polygons.

A point on a border shared by several grids resolves to the grid with the
smallest id, in ``locate`` and ``locate_many`` alike.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely  # type: ignore[import-untyped,unused-ignore]
from numpy.typing import ArrayLike, NDArray
from shapely import Geometry  # type: ignore[import-untyped,unused-ignore]

from .shapes import geometry_from_geojson

#: Buckets per side of a median-sized grid at the coarsest level of the quadtree build.
COARSE_BUCKETS_PER_GRID_SIDE = 2
#: Times a border bucket is split in four: the final raster has
#: COARSE_BUCKETS_PER_GRID_SIDE * 2**REFINE_LEVELS buckets per grid side.
REFINE_LEVELS = 4
#: Upper bound on the final raster size (memory and build time).
MAX_BUCKETS = 4_000_000
#: Buckets are grown by this many degrees when classified, to absorb float rounding.
BUCKET_EPSILON_DEG = 1e-9
NO_GRID = -1
BORDER = -2

IntArray = NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class _Raster:
    """Final bucket raster: origin, bucket size (degrees) and shape."""

    minx: float
    miny: float
    dx: float
    dy: float
    nx: int
    ny: int

    def cell_of(self, lon: float, lat: float) -> int:
        """Flat bucket index of a point already known to be inside the bounds."""
        ix = min(int((lon - self.minx) / self.dx), self.nx - 1)
        iy = min(int((lat - self.miny) / self.dy), self.ny - 1)
        return iy * self.nx + ix

    def cells_of(self, lons: NDArray[np.float64], lats: NDArray[np.float64]) -> IntArray:
        """Vectorised :meth:`cell_of`."""
        ix = np.minimum(((lons - self.minx) / self.dx).astype(np.int64), self.nx - 1)
        iy = np.minimum(((lats - self.miny) / self.dy).astype(np.int64), self.ny - 1)
        return iy * self.nx + ix

    def boxes(self, ix: IntArray, iy: IntArray, size: int) -> Any:
        """Slightly grown shapely boxes of size x size buckets with lower-left (ix, iy)."""
        x0 = self.minx + ix * self.dx
        y0 = self.miny + iy * self.dy
        eps = BUCKET_EPSILON_DEG
        return shapely.box(x0 - eps, y0 - eps, x0 + size * self.dx + eps, y0 + size * self.dy + eps)


def _raster_for(polygons: NDArray[Any]) -> _Raster:
    """A raster over all polygons whose side counts are multiples of 2**REFINE_LEVELS."""
    bounds = shapely.bounds(polygons)
    minx, miny = bounds[:, 0].min(), bounds[:, 1].min()
    maxx, maxy = bounds[:, 2].max(), bounds[:, 3].max()
    per_side = COARSE_BUCKETS_PER_GRID_SIDE << REFINE_LEVELS
    dx = float(np.median(bounds[:, 2] - bounds[:, 0])) / per_side
    dy = float(np.median(bounds[:, 3] - bounds[:, 1])) / per_side
    scale = max(1.0, math.sqrt((maxx - minx) * (maxy - miny) / (dx * dy) / MAX_BUCKETS))
    dx, dy = dx * scale, dy * scale
    block = 1 << REFINE_LEVELS
    nx = max(1, math.ceil((maxx - minx) / dx / block)) * block
    ny = max(1, math.ceil((maxy - miny) / dy / block)) * block
    return _Raster(float(minx), float(miny), dx, dy, nx, ny)


def _classify_boxes(
    boxes: NDArray[Any], tree: Any, polygons: NDArray[Any]
) -> tuple[IntArray, IntArray, IntArray]:
    """Per box: the one grid covering it, NO_GRID or BORDER; plus the (box, grid) pairs."""
    box_idx, grid_idx = tree.query(boxes, predicate="intersects")
    counts = np.bincount(box_idx, minlength=len(boxes))
    codes = np.where(counts > 0, BORDER, NO_GRID).astype(np.int64)
    single = counts[box_idx] == 1
    sb, sg = box_idx[single], grid_idx[single]
    covered = shapely.covers(polygons[sg], boxes[sb])
    codes[sb[covered]] = sg[covered]
    return codes, box_idx, grid_idx


def _fill_blocks(
    codes: IntArray, raster: _Raster, ix: IntArray, iy: IntArray, size: int, values: IntArray
) -> None:
    """Write each value into the size x size block of final buckets at (ix, iy)."""
    off_y, off_x = np.divmod(np.arange(size * size), size)
    flat = (iy[:, None] + off_y[None, :]) * raster.nx + (ix[:, None] + off_x[None, :])
    codes[flat] = values[:, None]


def _classify_buckets(
    raster: _Raster, tree: Any, polygons: NDArray[Any]
) -> tuple[IntArray, dict[int, tuple[int, ...]]]:
    """Quadtree build: classify coarse blocks, split only the ones a border crosses."""
    codes = np.full(raster.nx * raster.ny, NO_GRID, dtype=np.int64)
    size = 1 << REFINE_LEVELS
    iy, ix = np.divmod(np.arange((raster.nx // size) * (raster.ny // size)), raster.nx // size)
    ix, iy = ix * size, iy * size
    while True:
        block_codes, box_idx, grid_idx = _classify_boxes(raster.boxes(ix, iy, size), tree, polygons)
        done = block_codes != BORDER
        _fill_blocks(codes, raster, ix[done], iy[done], size, block_codes[done])
        if size == 1:
            break
        size //= 2
        ix = np.concatenate([ix[~done], ix[~done] + size, ix[~done], ix[~done] + size])
        iy = np.concatenate([iy[~done], iy[~done], iy[~done] + size, iy[~done] + size])
    cells = (iy * raster.nx + ix).tolist()
    codes[iy[~done] * raster.nx + ix[~done]] = BORDER
    candidates: dict[int, list[int]] = {}
    for b, g in zip(box_idx.tolist(), grid_idx.tolist(), strict=True):
        if not done[b]:
            candidates.setdefault(cells[b], []).append(g)
    return codes, {cell: tuple(sorted(gs)) for cell, gs in candidates.items()}


class GridIndex:
    """Immutable spatial index of grid polygons (lon/lat) keyed by grid id."""

    def __init__(self, grid_ids: Sequence[str], polygons: Sequence[Geometry]) -> None:
        if len(grid_ids) != len(polygons) or not grid_ids:
            raise ValueError("need the same, non-zero number of ids and polygons")
        if len(set(grid_ids)) != len(grid_ids):
            raise ValueError("duplicate grid id")
        order = sorted(range(len(grid_ids)), key=lambda i: grid_ids[i])
        self._ids: tuple[str, ...] = tuple(grid_ids[i] for i in order)
        self._polygons = np.asarray([polygons[i] for i in order], dtype=object)
        shapely.prepare(self._polygons)
        self._position = {gid: i for i, gid in enumerate(self._ids)}
        self._id_lookup = np.asarray([*self._ids, None], dtype=object)
        self._tree = shapely.STRtree(self._polygons)
        self._raster = _raster_for(self._polygons)
        codes, self._candidates = _classify_buckets(self._raster, self._tree, self._polygons)
        self._codes_arr = codes
        self._codes: list[int] = codes.tolist()
        minx, miny, maxx, maxy = shapely.total_bounds(self._polygons)
        self._bounds = (float(minx), float(miny), float(maxx), float(maxy))

    @classmethod
    def from_features(cls, features: Iterable[Mapping[str, Any]] | Mapping[str, Any]) -> GridIndex:
        """Build from GeoJSON grid Features (or a FeatureCollection); id from properties.id."""
        items: Iterable[Mapping[str, Any]] = (
            features["features"] if isinstance(features, Mapping) else features
        )
        ids: list[str] = []
        polygons: list[Geometry] = []
        for n, feature in enumerate(items):
            props = feature.get("properties") or {}
            grid_id = props.get("id", feature.get("id"))
            if grid_id is None:
                raise ValueError(f"features[{n}] has no id")
            ids.append(str(grid_id))
            polygons.append(geometry_from_geojson(feature))
        return cls(ids, polygons)

    @property
    def grid_ids(self) -> tuple[str, ...]:
        """All grid ids, sorted."""
        return self._ids

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(min lon, min lat, max lon, max lat) of all grids."""
        return self._bounds

    def polygon(self, grid_id: str) -> Geometry:
        """The grid's (prepared) shapely polygon in lon/lat; KeyError if unknown."""
        return self._polygons[self._position[grid_id]]

    def contains(self, grid_id: str, lon: float, lat: float) -> bool:
        """Whether the point is inside the grid or on its border; KeyError if unknown."""
        return bool(shapely.intersects_xy(self._polygons[self._position[grid_id]], lon, lat))

    def locate(self, lon: float, lat: float) -> str | None:
        """The grid containing the point, or None outside every grid."""
        minx, miny, maxx, maxy = self._bounds
        if not (minx <= lon <= maxx and miny <= lat <= maxy):
            return None
        cell = self._raster.cell_of(lon, lat)
        code = self._codes[cell]
        if code >= 0:
            return self._ids[code]
        if code == NO_GRID:
            return None
        for k in self._candidates[cell]:
            if shapely.intersects_xy(self._polygons[k], lon, lat):
                return self._ids[k]
        return None

    def locate_many(self, lons: ArrayLike, lats: ArrayLike) -> list[str | None]:
        """Vectorised :meth:`locate` for arrays of points."""
        lon_a = np.asarray(lons, dtype=np.float64).ravel()
        lat_a = np.asarray(lats, dtype=np.float64).ravel()
        if lon_a.shape != lat_a.shape:
            raise ValueError("lons and lats differ in length")
        minx, miny, maxx, maxy = self._bounds
        inside = (lon_a >= minx) & (lon_a <= maxx) & (lat_a >= miny) & (lat_a <= maxy)
        found = np.full(lon_a.shape, NO_GRID, dtype=np.int64)
        found[inside] = self._codes_arr[self._raster.cells_of(lon_a[inside], lat_a[inside])]
        border = np.flatnonzero(found == BORDER)
        if border.size:
            found[border] = self._exact(lon_a[border], lat_a[border])
        result: list[str | None] = self._id_lookup[found].tolist()
        return result

    def _exact(self, lons: NDArray[np.float64], lats: NDArray[np.float64]) -> IntArray:
        """Smallest index of a grid intersecting each point, NO_GRID if none (STRtree)."""
        points = shapely.points(lons, lats)
        point_idx, grid_idx = self._tree.query(points, predicate="intersects")
        best = np.full(len(lons), len(self._ids), dtype=np.int64)
        np.minimum.at(best, point_idx, grid_idx)
        best[best == len(self._ids)] = NO_GRID
        return best
