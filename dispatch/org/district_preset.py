"""A Jizhou-scale district (蓟州区, Tianjin): 26 streets and towns, 1,248 grids.

The district is a rectangle of square-ish cells (about 500 m) on one lattice, so
neighbouring grids share their edges exactly: the grids tile the district with no gap
and no overlap, and each street is a block of the lattice (13 columns of blocks, 2 rows).
Each street has its own stations (one per column of its block), its own departments
(the reference street's 18, smaller) and its own people, with user names that carry the
street's code (``yuyang.gw001``), unique across the district.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dispatch.identity.roles import Role
from dispatch.identity.users import User
from dispatch.org.model import Department, OrgData, Person, Station, Street
from dispatch.org.preset import DEPARTMENT_SIZES, person_names
from dispatch.rules.vocab import DEPARTMENTS

DISTRICT_ZH, DISTRICT_EN = "蓟州区", "Jizhou District"
#: The district centre's code (its own people: the district's dispatchers and screen).
CENTRE = "jizhou"
#: (code, name) of each street and town, west to east, north to south.
STREETS: tuple[tuple[str, str], ...] = (
    ("xiaying", "下营镇"), ("luozhuangzi", "罗庄子镇"), ("sungezhuang", "孙各庄满族乡"),
    ("chuanfangyu", "穿芳峪镇"), ("mashenqiao", "马伸桥镇"), ("xilonghuyu", "西龙虎峪镇"),
    ("guanzhuang", "官庄镇"), ("bieshan", "别山镇"), ("chutouling", "出头岭镇"),
    ("bangjun", "邦均镇"), ("dongshigu", "东施古镇"), ("xujiatai", "许家台镇"),
    ("baijian", "白涧镇"), ("yuyang", "渔阳镇"), ("wenchang", "文昌街道"),
    ("gulou", "鼓楼街道"), ("nanhuan", "南环街道"), ("chengdong", "城东街道"),
    ("shangcang", "上仓镇"), ("xiacang", "下仓镇"), ("yangjinzhuang", "杨津庄镇"),
    ("houjiaying", "侯家营镇"), ("xiawotou", "下窝头镇"), ("dongerying", "东二营镇"),
    ("sangzi", "桑梓镇"), ("youguzhuang", "尤古庄镇"),
)
BLOCK_COLS, BLOCK_ROWS = 13, 2
#: A street's block of cells: STATION_COLS columns (a station each) of GRID_ROWS grids.
STATION_COLS, GRID_ROWS = 4, 12
#: The district's north-west corner and a cell's size in degrees (about 510 m x 500 m).
NORTH, WEST = 40.2500000, 117.1500000
CELL_LON, CELL_LAT = 0.0060000, 0.0045000
COORD_DIGITS = 7
#: Each department of a street: this many members (and a lead).
MEMBERS_PER_DEPARTMENT = 2
DISPATCHERS = 2


def _corner(col: int, row: int) -> list[float]:
    return [round(WEST + col * CELL_LON, COORD_DIGITS),
            round(NORTH - row * CELL_LAT, COORD_DIGITS)]


def _rect(col0: int, row0: int, cols: int, rows: int) -> dict[str, Any]:
    ring = [_corner(col0, row0), _corner(col0, row0 + rows),
            _corner(col0 + cols, row0 + rows), _corner(col0 + cols, row0),
            _corner(col0, row0)]
    return {"type": "Polygon", "coordinates": [ring]}


def district_bounds() -> dict[str, Any]:
    """The whole district's outline."""
    return _rect(0, 0, BLOCK_COLS * STATION_COLS, BLOCK_ROWS * GRID_ROWS)


def _street(index: int, code: str, name: str, names: Iterator[str]) -> OrgData:
    bcol, brow = index % BLOCK_COLS, index // BLOCK_COLS
    col0, row0 = bcol * STATION_COLS, brow * GRID_ROWS
    stations = [Station(f"S{s + 1:02d}", f"{name}第{s + 1}片区", f"{code} area {s + 1}")
                for s in range(STATION_COLS)]
    features: list[dict[str, Any]] = []
    for s in range(STATION_COLS):
        for r in range(GRID_ROWS):
            n = s * GRID_ROWS + r + 1
            features.append({"type": "Feature", "properties": {
                "id": f"{n:03d}", "name": f"{name}第{n}网格", "name_en": f"{code} grid {n}",
                "station": stations[s].id, "kind": "residential"},
                "geometry": _rect(col0 + s, row0 + r, 1, 1)})
    grids = {"type": "FeatureCollection", "name": code,
             "boundary": _rect(col0, row0, STATION_COLS, GRID_ROWS), "features": features}
    departments = [Department(d, *DEPARTMENTS[d]) for d in DEPARTMENT_SIZES]
    people = [Person(User(f"{code}.gw{f['properties']['id']}", Role.GRID_WORKER,
                          f["properties"]["id"], next(names)),
                     device=f"{code}.gw{f['properties']['id']}") for f in features]
    for d in DEPARTMENT_SIZES:
        people += [Person(User(f"{code}.{d}{m}", Role.DISPOSAL_MEMBER, d, next(names)))
                   for m in range(1, MEMBERS_PER_DEPARTMENT + 1)]
        people.append(Person(User(f"{code}.lead-{d}", Role.DEPT_LEAD, d, next(names))))
    people += [Person(User(f"{code}.disp{i}", Role.DISPATCHER, None, next(names)))
               for i in range(1, DISPATCHERS + 1)]
    people += [Person(User(f"{code}.sl{s.id[1:]}", Role.STATION_LEAD, s.id, next(names)))
               for s in stations]
    people += [Person(User(f"{code}.assess", Role.ASSESSOR, None, next(names))),
               Person(User(f"{code}.screen", Role.SCREEN, None, f"{name}指挥中心大屏")),
               Person(User(f"{code}.admin", Role.ADMIN, None, f"{name}系统管理员"))]
    return OrgData(Street(code, name, code, DISTRICT_ZH), stations, grids, departments, people)


def district_preset() -> list[OrgData]:
    """Every street of the district, in order."""
    per_street = (STATION_COLS * GRID_ROWS
                  + len(DEPARTMENT_SIZES) * (MEMBERS_PER_DEPARTMENT + 1)
                  + DISPATCHERS + STATION_COLS + 3)
    names = iter(person_names(per_street * len(STREETS)))
    return [_street(i, code, name, names) for i, (code, name) in enumerate(STREETS)]


def centre_people() -> list[User]:
    """The district centre's own people."""
    return [User("district.disp1", Role.DISPATCHER, None, "区指挥中心值班员"),
            User("district.disp2", Role.DISPATCHER, None, "区指挥中心值班员"),
            User("district.assess", Role.ASSESSOR, None, "区考核员"),
            User("district.screen", Role.SCREEN, None, "区指挥中心大屏"),
            User("district.admin", Role.ADMIN, None, "区系统管理员")]
