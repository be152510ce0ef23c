"""The synthetic reference street: Junliangcheng street (军粮城街道), code ``jlc``.

108 grids tile the street exactly: 94 residential grids in ten community stations
(S01..S10, 9-10 contiguous grids each) and 8 farmland plus 6 industrial-park grids
under station S11.  The layout is an ASCII map over a warped, jittered lattice of
~240 m cells; big grids are unions of many cells.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .district import generate_district
from .lattice import Cell, LonLatLattice, group_cells, parse_cell_map
from .projection import LocalProjection

__all__ = [
    "Grid",
    "GridKind",
    "Station",
    "StreetLayout",
    "generate_district",
    "generate_street",
]

STREET_CODE = "jlc"
STREET_NAME_ZH = "军粮城街道"
STREET_NAME_EN = "Junliangcheng Street"
DEFAULT_CENTER_LAT = 39.03
DEFAULT_CENTER_LON = 117.42
CELL_M = 240.0
LAYOUT_SEED = 20240611

RESIDENTIAL = "."
#: One character per lattice cell, north at the top: '.' residential, A-F industrial
#: parks, G-N farmland, ' ' outside the street.
STREET_MAP = (
    "  AABBBBCCCCDDDDEEEEFFFFF",
    "AAAABBBBCCCCDDDDEEEEFFFFF",
    "AAAABBBBCCCCDDDDEEEEFFFFF",
    "AAAABBBBCCCCDDDDEEEEFFFFF",
    "AAAABBBBCCCCDDDDEEEEFFFFF",
    "AAAABBBBCCCCDDDDEEEEFFFFF",
    "..........GGGGGHHHHHIIIII",
    "..........GGGGGHHHHHIIIII",
    "..........GGGGGHHHHHIIIII",
    "..........GGGGGHHHHHIIIII",
    ".........GGGGGGHHHHHIIIII",
    ".........GGGGGGHHHHHIIIII",
    ".........JJJJJJJJKKKKKKKK",
    ".........JJJJJJJJKKKKKKKK",
    ".........JJJJJJJJKKKKKKKK",
    ".........JJJJJJJJKKKKKKKK",
    "LLLLLLLLMMMMMMMMNNNNNNNNN",
    "LLLLLLLLMMMMMMMMNNNNNNNN ",
    "LLLLLLLLMMMMMMMMNNNNNN   ",
)
FARMLAND_LABELS = "GHIJKLMN"
INDUSTRIAL_LABELS = "ABCDEF"
#: Residential cells are walked in bands of this many rows (serpentine by column) and
#: cut into stations of these sizes, so every station is a contiguous block.
RESIDENTIAL_BAND_ROWS = 2
STATION_SIZES = (10, 10, 10, 10, 9, 9, 9, 9, 9, 9)

COMMUNITY_STATIONS = (
    ("S01", "军粮城第一社区", "Junliangcheng No.1 Community"),
    ("S02", "军粮城第二社区", "Junliangcheng No.2 Community"),
    ("S03", "军秀园社区", "Junxiuyuan Community"),
    ("S04", "军丽园社区", "Junliyuan Community"),
    ("S05", "军瑞园社区", "Junruiyuan Community"),
    ("S06", "军祥园社区", "Junxiangyuan Community"),
    ("S07", "军华园社区", "Junhuayuan Community"),
    ("S08", "和顺家园社区", "Heshun Jiayuan Community"),
    ("S09", "新市镇社区", "Xinshizhen Community"),
    ("S10", "金桥社区", "Jinqiao Community"),
)
PARK_STATION = ("S11", "农业园区网格站", "Farmland & Industrial Park Grid Station")
CN_NUMERALS = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十")


class GridKind(StrEnum):
    """Land use of a grid."""

    RESIDENTIAL = "residential"
    FARMLAND = "farmland"
    INDUSTRIAL = "industrial"


@dataclass(frozen=True, slots=True)
class Station:
    """A grid station (网格站) that owns a set of grids."""

    id: str
    name_zh: str
    name_en: str


@dataclass(frozen=True, slots=True)
class Grid:
    """One grid (网格): a polygon given as a closed ring of (lon, lat)."""

    id: str
    name_zh: str
    name_en: str
    station: str
    kind: GridKind
    polygon: tuple[tuple[float, float], ...]

    def to_feature(self) -> dict[str, Any]:
        """GeoJSON Feature with properties id, name, name_en, station, kind."""
        return {
            "type": "Feature",
            "id": self.id,
            "properties": {
                "id": self.id,
                "name": self.name_zh,
                "name_en": self.name_en,
                "station": self.station,
                "kind": self.kind.value,
            },
            "geometry": {"type": "Polygon", "coordinates": [[list(p) for p in self.polygon]]},
        }


@dataclass(frozen=True, slots=True)
class StreetLayout:
    """Stations, grids and outline of one street."""

    code: str
    name_zh: str
    name_en: str
    stations: tuple[Station, ...]
    grids: tuple[Grid, ...]
    boundary: tuple[tuple[float, float], ...]

    def boundary_geojson(self) -> dict[str, Any]:
        """The street outline as a GeoJSON Polygon geometry."""
        return {"type": "Polygon", "coordinates": [[list(p) for p in self.boundary]]}

    def to_feature_collection(self) -> dict[str, Any]:
        """GeoJSON FeatureCollection of the grids; the outline rides along as ``boundary``."""
        return {
            "type": "FeatureCollection",
            "name": self.code,
            "boundary": self.boundary_geojson(),
            "features": [g.to_feature() for g in self.grids],
        }


def _ring_tuple(ring: list[list[float]]) -> tuple[tuple[float, float], ...]:
    return tuple((p[0], p[1]) for p in ring)


def _band_serpentine(cells: set[Cell]) -> list[Cell]:
    """Order cells band by band; within a band go column by column, snaking up and down."""
    ordered: list[Cell] = []
    top = min(r for _, r in cells)
    bottom = max(r for _, r in cells)
    for band_top in range(top, bottom + 1, RESIDENTIAL_BAND_ROWS):
        band_rows = list(range(band_top, band_top + RESIDENTIAL_BAND_ROWS))
        columns = sorted({c for c, r in cells if r in band_rows})
        for i, col in enumerate(columns):
            rows = band_rows if i % 2 == 0 else band_rows[::-1]
            ordered.extend((col, r) for r in rows if (col, r) in cells)
    return ordered


def _chunks(items: list[Cell], sizes: tuple[int, ...]) -> list[list[Cell]]:
    if sum(sizes) != len(items):
        raise ValueError(f"station sizes add up to {sum(sizes)}, not {len(items)}")
    out: list[list[Cell]] = []
    start = 0
    for size in sizes:
        out.append(items[start : start + size])
        start += size
    return out


def _residential_grids(cells: set[Cell], lattice: LonLatLattice) -> list[Grid]:
    stations = _chunks(_band_serpentine(cells), STATION_SIZES)
    grids: list[Grid] = []
    for (sid, name_zh, name_en), station_cells in zip(COMMUNITY_STATIONS, stations, strict=True):
        for k, cell in enumerate(station_cells, start=1):
            grids.append(
                Grid(
                    id=f"{len(grids) + 1:03d}",
                    name_zh=f"{name_zh}第{CN_NUMERALS[k - 1]}网格",
                    name_en=f"{name_en} Grid {k}",
                    station=sid,
                    kind=GridKind.RESIDENTIAL,
                    polygon=_ring_tuple(lattice.ring([cell])),
                )
            )
    return grids


def _park_grids(
    groups: dict[str, set[Cell]], lattice: LonLatLattice, first_number: int
) -> list[Grid]:
    kinds = [(label, GridKind.FARMLAND) for label in FARMLAND_LABELS]
    kinds += [(label, GridKind.INDUSTRIAL) for label in INDUSTRIAL_LABELS]
    counters = {GridKind.FARMLAND: 0, GridKind.INDUSTRIAL: 0}
    names = {
        GridKind.FARMLAND: ("农田", "Farmland Grid"),
        GridKind.INDUSTRIAL: ("产业园", "Industrial Park Grid"),
    }
    grids: list[Grid] = []
    for offset, (label, kind) in enumerate(kinds):
        counters[kind] += 1
        k = counters[kind]
        zh, en = names[kind]
        grids.append(
            Grid(
                id=f"{first_number + offset:03d}",
                name_zh=f"{zh}第{CN_NUMERALS[k - 1]}网格",
                name_en=f"{en} {k}",
                station=PARK_STATION[0],
                kind=kind,
                polygon=_ring_tuple(lattice.ring(groups[label])),
            )
        )
    return grids


def generate_street(
    center_lat: float = DEFAULT_CENTER_LAT, center_lon: float = DEFAULT_CENTER_LON
) -> StreetLayout:
    """Build the deterministic reference street layout around a centre point."""
    labels = parse_cell_map(STREET_MAP)
    groups = group_cells(labels)
    cols = max(len(line) for line in STREET_MAP)
    lattice = LonLatLattice.build(
        cols, len(STREET_MAP), CELL_M, LocalProjection(center_lat, center_lon), LAYOUT_SEED
    )
    grids = _residential_grids(groups[RESIDENTIAL], lattice)
    grids += _park_grids(groups, lattice, first_number=len(grids) + 1)
    outline = lattice.ring(labels.keys())
    stations = tuple(Station(*s) for s in (*COMMUNITY_STATIONS, PARK_STATION))
    return StreetLayout(
        code=STREET_CODE,
        name_zh=STREET_NAME_ZH,
        name_en=STREET_NAME_EN,
        stations=stations,
        grids=tuple(grids),
        boundary=_ring_tuple(outline),
    )
