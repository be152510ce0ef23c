"""Case search: words over id, text, grid, item, department, state and light, a time range,
closed cases included, each caller's scope kept, and an archive merged under one cursor."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from dispatch.bootstrap import bootstrap
from dispatch.cases.listing import Query, decode_cursor
from dispatch.cases.search import ArchivePage, Search, number_of
from dispatch.identity.principal import Principal
from dispatch.identity.roles import Role
from dispatch.org.model import OrgData
from dispatch.settings import Settings
from tests.cases.helpers import HW_ITEM, Cases

TZ = ZoneInfo("Asia/Shanghai")



def ids(cases: Cases, user: str = "disp1", **params: Any) -> list[str]:
    return [c["id"] for c in cases.listing(user, **params)["items"]]


def test_words_find_cases_by_every_part_closed_ones_too(cases: Cases) -> None:
    light = cases.report(grid="021", description="三号楼门口路灯不亮")["id"]  # SS01, cgj
    rubbish = cases.report(item=HW_ITEM, grid="022", description="垃圾桶满溢无人清运")["id"]
    hole = cases.report(item="SS03", grid="023", description="井盖缺失，夜间危险")["id"]
    cases.act("dm001", hole, "accept")
    cases.act("dm001", hole, "resolve", note="已更换井盖")
    cases.act("gw001", hole, "verify", ok=True)

    assert ids(cases, q="井盖") == [hole]  # the report's text, a closed case
    assert ids(cases, q=hole.lower()) == [hole]
    assert ids(cases, q="022") == [rubbish]  # grid
    assert ids(cases, q="22") == [rubbish]
    assert ids(cases, q="sr01") == [rubbish]  # item code
    assert ids(cases, q="暴露垃圾") == [rubbish]  # item name
    assert ids(cases, q="城市管理") == [hole, light]  # department name
    assert ids(cases, q="环卫公司 满溢") == [rubbish]  # every word must match
    assert ids(cases, q="环卫公司 井盖") == []
    assert ids(cases, q="closed") == [hole]
    assert ids(cases, q="路灯", state="closed") == []
    assert ids(cases, q="green", department="cgj") == [hole, light]  # lights stay when closed
    assert ids(cases, q="cgj", light="green", state="open") == [light]
    assert ids(cases, "gw021", q="城市管理") == [light]  # a grid worker: their grid only
    assert ids(cases, "dm073", q="垃圾") == [rubbish]  # a member: their department only
    assert ids(cases, "dm073", q="井盖") == []


def test_a_time_range_by_milliseconds_or_the_streets_dates(cases: Cases) -> None:
    first = cases.report(grid="031")
    second = cases.report(grid="032")
    assert ids(cases, **{"from": first["created"], "to": first["created"]}) == [first["id"]]
    assert ids(cases, **{"from": second["created"]}) == [second["id"]]
    today = datetime.fromtimestamp(first["created"] / 1000, TZ).date().isoformat()
    assert ids(cases, **{"from": today, "to": today}) == [second["id"], first["id"]]
    assert ids(cases, **{"to": "2020-01-01"}) == []
    assert ids(cases, **{"from": f"{today}T00:00:00", "q": "032"}) == [second["id"]]
    for bad in ({"from": "yesterday"}, {"from": "2030-01-02", "to": "2030-01-01"},
                {"q": " ".join(f"w{n}" for n in range(9))}):
        r = cases.call("disp1", "GET", "/api/v1/cases", params=bad)
        assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_field"


class ListArchive:
    """An archive of closed cases kept elsewhere (here: a list of summaries)."""

    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items = sorted(items, key=number_of, reverse=True)

    async def page(self, actor: Principal, query: Query, below: int | None, limit: int,
                   now_ms: int) -> ArchivePage:
        words = query.search.words
        found = [i for i in self.items if (below is None or number_of(i) < below)
                 and all(w in i["item_name"] for w in words)]
        if len(found) > limit:
            return ArchivePage(found[:limit], number_of(found[limit - 1]))
        return ArchivePage(found, None)


def test_an_archive_is_searched_with_the_live_cases(cases: Cases, settings: Settings,
                                                    seeded: OrgData) -> None:
    live = [cases.report(grid=f"04{n}")["id"] for n in range(3)]  # C1..C3, 路灯不亮
    archived = [{"id": "C0", "item_name": "路灯不亮", "state": "closed"},
                {"id": "C4", "item_name": "暴露垃圾", "state": "closed"}]
    desk = Principal("disp1", Role.DISPATCHER)

    async def pages() -> list[list[str]]:
        c = bootstrap(settings)
        c.cases.archives.append(ListArchive(archived))
        try:
            got, below = [], None
            while True:
                query = Query(below=below, limit=2, search=Search(("路灯",)))
                page = await c.cases.listing(desk, query)
                got.append([i["id"] for i in page["items"]])
                if page["next_cursor"] is None:
                    return got
                below = decode_cursor(page["next_cursor"])
        finally:
            await c.aclose()

    assert asyncio.run(pages()) == [[live[2], live[1]], [live[0], "C0"]]
