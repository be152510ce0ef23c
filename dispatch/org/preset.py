"""The reference street of docs/domain.md: Junliangcheng street, Dongli district, Tianjin."""

from __future__ import annotations

import random
from typing import Any

from dispatch.geo.street import generate_street
from dispatch.identity.roles import Role
from dispatch.identity.users import User
from dispatch.org.model import Department, OrgData, Person, Station, Street
from dispatch.rules.vocab import DEPARTMENTS

STREET = Street(code="jlc", name="军粮城街道", name_en="Junliangcheng Street", district="东丽区")

#: Members per department (240 in all); names come from the rules vocabulary.
DEPARTMENT_SIZES: dict[str, int] = {
    "cgj": 24, "zhzf": 22, "jj": 12, "scjg": 14, "hw": 30, "wy": 26, "yjgl": 12, "xf": 10,
    "pcs": 16, "sfs": 8, "zj": 12, "sw": 10, "gd": 8, "rq": 8, "yl": 10, "sthj": 8, "mz": 6,
    "ws": 4,
}
DISPATCHERS = 5
#: Grid stations (10 community stations and 1 for the farmland and park grids), one lead each.
STATIONS = 11
#: 一格多员: one grid assistant a grid, and 2 to 4 informants (by the grid's number).
MIN_INFORMANTS, INFORMANT_SPREAD = 2, 3


def informants_of(grid: str) -> int:
    return MIN_INFORMANTS + int(grid) % INFORMANT_SPREAD
ASSESSORS = 4
NAME_SEED = 20260101

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
_GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂英华玉兰萍红鹏辉建国文斌宇浩凯丹健"
    "波宁俊峰海亮欣颖婷慧琳晨阳雪梅"
)


def person_names(count: int, seed: int = NAME_SEED) -> list[str]:
    """Deterministic, plausible Chinese names."""
    rng = random.Random(seed)
    names = []
    for _ in range(count):
        given = "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2))))
        names.append(rng.choice(_SURNAMES) + given)
    return names


def _people(grid_ids: list[str]) -> list[Person]:
    total = (len(grid_ids) + sum(DEPARTMENT_SIZES.values()) + len(DEPARTMENT_SIZES) + 12
             + STATIONS + len(grid_ids) + sum(informants_of(g) for g in grid_ids))
    names = iter(person_names(total))
    people = [
        Person(User(f"gw{g}", Role.GRID_WORKER, g, next(names)), device=f"gw{g}")
        for g in grid_ids
    ]
    member = 0
    for dept_id, size in DEPARTMENT_SIZES.items():
        for _ in range(size):
            member += 1
            user = User(f"dm{member:03d}", Role.DISPOSAL_MEMBER, dept_id, next(names))
            people.append(Person(user))
    for i, dept_id in enumerate(DEPARTMENT_SIZES, start=1):
        people.append(Person(User(f"lead{i:02d}", Role.DEPT_LEAD, dept_id, next(names))))
    people += [Person(User(f"disp{i}", Role.DISPATCHER, None, next(names)))
               for i in range(1, DISPATCHERS + 1)]
    people += [Person(User(f"assess{i}", Role.ASSESSOR, None, next(names)))
               for i in range(1, ASSESSORS + 1)]
    people += [Person(User(f"sl{n:02d}", Role.STATION_LEAD, f"S{n:02d}", next(names)))
               for n in range(1, STATIONS + 1)]
    people.append(Person(User("screen1", Role.SCREEN, None, "指挥中心大屏")))
    people += [Person(User(f"ga{g}", Role.GRID_ASSISTANT, g, next(names)), device=f"ga{g}")
               for g in grid_ids]
    people += [Person(User(f"inf{g}-{n}", Role.INFORMANT, g, next(names)))
               for g in grid_ids for n in range(1, informants_of(g) + 1)]
    people.append(Person(User("admin", Role.ADMIN, None, "系统管理员")))
    return people


def street_preset() -> OrgData:
    layout = generate_street()
    fc: dict[str, Any] = layout.to_feature_collection()
    stations = [Station(s.id, s.name_zh, s.name_en) for s in layout.stations]
    grid_ids = [str(f["properties"]["id"]) for f in fc["features"]]
    departments = [Department(d, *DEPARTMENTS[d]) for d in DEPARTMENT_SIZES]
    return OrgData(STREET, stations, fc, departments, _people(grid_ids))
