"""A warped, jittered vertex lattice whose cells are grouped into polygons that tile exactly.

Every polygon ring is traced through the shared lattice vertices on its boundary
(including the intermediate vertices where a big polygon borders several small
ones), and every vertex is projected and rounded once, so neighbouring polygons
share bit-identical coordinates: the tiling has no gap and no overlap.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from .projection import FloatArray, LocalProjection
from .shapes import COORD_DECIMALS

Cell = tuple[int, int]
"""(column, row) of a lattice cell; row 0 is the northernmost row."""
Vertex = tuple[int, int]
"""(column, row) of a lattice vertex; cell (c, r) has corners (c, r)..(c + 1, r + 1)."""

#: Amplitude (m) and wavelength (m) of the smooth shear warp that bends lattice lines.
WARP_AMPLITUDE_M = 60.0
WARP_WAVELENGTH_M = 2_400.0
#: Random per-vertex displacement as a fraction of the cell size.
JITTER_FRACTION = 0.08


def warped_vertices(cols: int, rows: int, cell_m: float, seed: int) -> FloatArray:
    """Vertex positions in metres, shape (cols + 1, rows + 1, 2), centred on (0, 0).

    A shear warp (x shifted by a function of y and y by a function of x) bends the
    lines while keeping cell areas almost unchanged; a small random jitter on top
    breaks the regularity.
    """
    rng = np.random.default_rng(seed)
    cc, rr = np.meshgrid(np.arange(cols + 1), np.arange(rows + 1), indexing="ij")
    x = (cc - cols / 2.0) * cell_m
    y = (rows / 2.0 - rr) * cell_m
    phase_x, phase_y = rng.uniform(0.0, 2.0 * math.pi, size=2)
    k = 2.0 * math.pi / WARP_WAVELENGTH_M
    wx = x + WARP_AMPLITUDE_M * np.sin(k * y + phase_x)
    wy = y + WARP_AMPLITUDE_M * np.sin(k * x + phase_y)
    jitter = rng.uniform(-JITTER_FRACTION, JITTER_FRACTION, size=(cols + 1, rows + 1, 2)) * cell_m
    return np.stack([wx, wy], axis=-1) + jitter


def _boundary_edges(cells: Collection[Cell]) -> dict[Vertex, Vertex]:
    """Directed boundary edges (start -> end) with the cell set on the left (CCW, y up)."""
    edges: dict[Vertex, Vertex] = {}
    for c, r in cells:
        sides = (
            ((c, r + 1), (c + 1, r + 1), (c, r + 1)),  # south side, neighbour below
            ((c + 1, r + 1), (c + 1, r), (c + 1, r)),  # east side
            ((c + 1, r), (c, r), (c, r - 1)),  # north side
            ((c, r), (c, r + 1), (c - 1, r)),  # west side
        )
        for start, end, neighbour in sides:
            if neighbour in cells:
                continue
            if start in edges:
                raise ValueError(f"cells touch only at vertex {start}: not a simple polygon")
            edges[start] = end
    return edges


def trace_ring(cells: Collection[Cell]) -> list[Vertex]:
    """The closed CCW boundary ring (first vertex repeated) of a simply connected cell set."""
    if not cells:
        raise ValueError("empty cell set")
    cell_set = frozenset(cells)
    edges = _boundary_edges(cell_set)
    start = min(edges)
    ring = [start]
    current = edges[start]
    while current != start:
        ring.append(current)
        current = edges[current]
    if len(ring) != len(edges):
        raise ValueError("cell set has holes or several parts")
    ring.append(start)
    return ring


@dataclass(frozen=True)
class LonLatLattice:
    """Lattice vertices projected to lon/lat and rounded once, so rings share them exactly."""

    lonlat: FloatArray

    @classmethod
    def build(
        cls, cols: int, rows: int, cell_m: float, proj: LocalProjection, seed: int
    ) -> LonLatLattice:
        """Warp, jitter, project and round the vertices of a cols x rows lattice."""
        xy = warped_vertices(cols, rows, cell_m, seed)
        lon, lat = proj.to_lonlat(xy[..., 0], xy[..., 1])
        rounded: FloatArray = np.stack([lon, lat], axis=-1).round(COORD_DECIMALS)
        return cls(rounded)

    def ring(self, cells: Collection[Cell]) -> list[list[float]]:
        """Closed [lon, lat] ring around a set of cells."""
        return [[float(v) for v in self.lonlat[c, r]] for c, r in trace_ring(cells)]


def group_cells(labels: Mapping[Cell, str]) -> dict[str, set[Cell]]:
    """Invert a cell -> label map into label -> cells."""
    groups: dict[str, set[Cell]] = {}
    for cell, label in labels.items():
        groups.setdefault(label, set()).add(cell)
    return groups


def parse_cell_map(rows: Iterable[str], blank: str = " ") -> dict[Cell, str]:
    """Read an ASCII map (one character per cell, row 0 first); ``blank`` marks no cell."""
    return {(c, r): ch for r, line in enumerate(rows) for c, ch in enumerate(line) if ch != blank}
