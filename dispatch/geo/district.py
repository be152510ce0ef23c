"""A synthetic district-scale tiling (one grid per lattice cell) for benchmarks."""

from __future__ import annotations

import math
from typing import Any

from .lattice import Cell, LonLatLattice
from .projection import LocalProjection

DEFAULT_DISTRICT_GRIDS = 1240
DEFAULT_DISTRICT_CELL_M = 400.0
DISTRICT_SEED = 7
GRIDS_PER_STATION = 10
MIN_ID_DIGITS = 3


def district_cells(n_grids: int) -> list[Cell]:
    """n cells filling a near-square lattice row by row (the last row may be partial)."""
    if n_grids < 1:
        raise ValueError("n_grids must be positive")
    cols = math.ceil(math.sqrt(n_grids))
    return [(i % cols, i // cols) for i in range(n_grids)]


def generate_district(
    n_grids: int = DEFAULT_DISTRICT_GRIDS,
    center_lat: float = 39.08,
    center_lon: float = 117.35,
    cell_m: float = DEFAULT_DISTRICT_CELL_M,
    seed: int = DISTRICT_SEED,
) -> dict[str, Any]:
    """GeoJSON FeatureCollection of ``n_grids`` residential grids that tile exactly."""
    cells = district_cells(n_grids)
    cols = max(c for c, _ in cells) + 1
    rows = max(r for _, r in cells) + 1
    lattice = LonLatLattice.build(cols, rows, cell_m, LocalProjection(center_lat, center_lon), seed)
    digits = max(MIN_ID_DIGITS, len(str(n_grids)))
    features = []
    for i, cell in enumerate(cells):
        grid_id = f"{i + 1:0{digits}d}"
        features.append(
            {
                "type": "Feature",
                "id": grid_id,
                "properties": {
                    "id": grid_id,
                    "name": f"网格{grid_id}",
                    "name_en": f"Grid {grid_id}",
                    "station": f"D{i // GRIDS_PER_STATION + 1:03d}",
                    "kind": "residential",
                },
                "geometry": {"type": "Polygon", "coordinates": [lattice.ring([cell])]},
            }
        )
    return {
        "type": "FeatureCollection",
        "name": "district",
        "boundary": {"type": "Polygon", "coordinates": [lattice.ring(cells)]},
        "features": features,
    }
