"""The fixed vocabulary of the street: departments, stations, grids, severities."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

#: The command centre (指挥调度中心): handles tier ``hard`` and triage.
CENTRE = "centre"
CENTRE_NAMES = ("指挥调度中心", "Command centre")

#: The street's 18 disposal departments: id -> (Chinese name, English name).
DEPARTMENTS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "cgj": ("城市管理", "City management"),
        "zhzf": ("综合执法", "Comprehensive law enforcement"),
        "jj": ("交警", "Traffic police"),
        "scjg": ("市场监管", "Market supervision"),
        "hw": ("环卫公司", "Sanitation contractor"),
        "wy": ("物业公司", "Property companies"),
        "yjgl": ("应急管理", "Emergency management"),
        "xf": ("消防", "Fire safety"),
        "pcs": ("派出所", "Police station"),
        "sfs": ("司法所", "Justice and mediation"),
        "zj": ("住建", "Housing and construction"),
        "sw": ("水务", "Water affairs"),
        "gd": ("供电", "Power supply"),
        "rq": ("燃气", "Gas"),
        "yl": ("园林绿化", "Landscaping"),
        "sthj": ("生态环境", "Ecology and environment"),
        "mz": ("民政", "Civil affairs"),
        "ws": ("卫生健康", "Health"),
    }
)
DEPARTMENT_IDS: frozenset[str] = frozenset(DEPARTMENTS)

STATION_COUNT = 11
GRID_COUNT = 108
STATIONS: tuple[str, ...] = tuple(f"S{n:02d}" for n in range(1, STATION_COUNT + 1))
GRIDS: tuple[str, ...] = tuple(f"{n:03d}" for n in range(1, GRID_COUNT + 1))

SEVERITIES: tuple[str, ...] = ("low", "normal", "high", "critical")
DEFAULT_SEVERITY = "normal"
