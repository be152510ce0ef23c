"""The reference street of DOMAIN.md: Junliangcheng street, Dongli district, Tianjin."""

from __future__ import annotations

import random
from typing import Any

from dispatch.geo.street import generate_street
from dispatch.identity.roles import Role
from dispatch.identity.users import User
from dispatch.org.model import Department, OrgData, Person, Station, Street

STREET = Street(code="jlc", name="军粮城街道", name_en="Junliangcheng Street", district="东丽区")

#: (id, Chinese name, English name, members): 18 departments, 240 members in all.
DEPARTMENTS: tuple[tuple[str, str, str, int], ...] = (
    ("cgj", "城市管理", "City management", 24),
    ("zhzf", "综合执法", "Comprehensive law enforcement", 22),
    ("jj", "交警", "Traffic police", 12),
    ("scjg", "市场监管", "Market supervision", 14),
    ("hw", "环卫公司", "Sanitation contractor", 30),
    ("wy", "物业公司", "Property companies", 26),
    ("yjgl", "应急管理", "Emergency management", 12),
    ("xf", "消防", "Fire safety", 10),
    ("pcs", "派出所", "Police station", 16),
    ("sfs", "司法所", "Justice and mediation", 8),
    ("zj", "住建", "Housing and construction", 12),
    ("sw", "水务", "Water affairs", 10),
    ("gd", "供电", "Power supply", 8),
    ("rq", "燃气", "Gas", 8),
    ("yl", "园林绿化", "Landscaping", 10),
    ("sthj", "生态环境", "Ecology and environment", 8),
    ("mz", "民政", "Civil affairs", 6),
    ("ws", "卫生健康", "Health", 4),
)
DISPATCHERS = 5
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
    total = len(grid_ids) + sum(d[3] for d in DEPARTMENTS) + len(DEPARTMENTS) + 12
    names = iter(person_names(total))
    people = [
        Person(User(f"gw{g}", Role.GRID_WORKER, g, next(names)), device=f"gw{g}")
        for g in grid_ids
    ]
    member = 0
    for dept_id, _zh, _en, size in DEPARTMENTS:
        for _ in range(size):
            member += 1
            user = User(f"dm{member:03d}", Role.DISPOSAL_MEMBER, dept_id, next(names))
            people.append(Person(user))
    for i, (dept_id, *_rest) in enumerate(DEPARTMENTS, start=1):
        people.append(Person(User(f"lead{i:02d}", Role.DEPT_LEAD, dept_id, next(names))))
    people += [Person(User(f"disp{i}", Role.DISPATCHER, None, next(names)))
               for i in range(1, DISPATCHERS + 1)]
    people += [Person(User(f"assess{i}", Role.ASSESSOR, None, next(names)))
               for i in range(1, ASSESSORS + 1)]
    people.append(Person(User("screen1", Role.SCREEN, None, "指挥中心大屏")))
    people.append(Person(User("admin", Role.ADMIN, None, "系统管理员")))
    return people


def street_preset() -> OrgData:
    layout = generate_street()
    fc: dict[str, Any] = layout.to_feature_collection()
    stations = [Station(s.id, s.name_zh, s.name_en) for s in layout.stations]
    grid_ids = [str(f["properties"]["id"]) for f in fc["features"]]
    departments = [Department(d, zh, en) for d, zh, en, _n in DEPARTMENTS]
    return OrgData(STREET, stations, fc, departments, _people(grid_ids))
