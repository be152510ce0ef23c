"""The reference street: exact counts, grids as GeoJSON, departments with members."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from dispatch.bootstrap import bootstrap
from dispatch.errors import Conflict
from dispatch.org.model import OrgData
from dispatch.org.seed import seed_org
from dispatch.settings import Settings
from tests.conftest import PASSWORD, LiveServer, run_async


def test_preset_has_the_counts_of_the_street(street: OrgData) -> None:
    roles = Counter(p.user.role.value for p in street.people)
    assert roles == {"grid_worker": 108, "disposal_member": 240, "dept_lead": 18,
                     "dispatcher": 5, "assessor": 4, "screen": 1, "admin": 1,
                     "station_lead": 11, "grid_assistant": 108, "informant": 324}
    assert len(street.stations) == 11
    assert len(street.grids["features"]) == 108
    assert len(street.departments) == 18
    sizes = Counter(p.user.scope for p in street.people if p.user.role.value == "disposal_member")
    assert sum(sizes.values()) == 240
    assert len(set(sizes.values())) > 5  # departments differ in size
    names = {p.user.username for p in street.people}
    assert {"gw001", "gw108", "dm001", "dm240", "lead01", "lead18", "disp1", "disp5",
            "assess1", "assess4", "screen1", "admin"} <= names


def test_grids_endpoint(live: LiveServer, tokens: Callable[[str], str]) -> None:
    with live.client(tokens("gw001")) as c:
        fc = c.get("/api/v1/grids").json()
    assert fc["type"] == "FeatureCollection"
    assert len(fc["features"]) == 108
    first = fc["features"][0]
    assert first["geometry"]["type"] in {"Polygon", "MultiPolygon"}
    assert first["properties"]["id"] == "001"
    assert first["properties"]["worker"] == "gw001"
    assert first["properties"]["station"].startswith("S")
    assert {f["properties"]["station"] for f in fc["features"]} == {f"S{i:02d}"
                                                                    for i in range(1, 12)}


def test_departments_endpoint(live: LiveServer, tokens: Callable[[str], str]) -> None:
    with live.client(tokens("dm001")) as c:
        items = c.get("/api/v1/departments").json()["items"]
        one = c.get("/api/v1/departments/hw").json()
    assert len(items) == 18
    assert sum(len(d["members"]) for d in items) == 240
    assert one["name"] == "环卫公司"
    assert one["lead"].startswith("lead")
    assert len(one["members"]) == 30


def test_seed_refuses_to_overwrite_without_force(settings: Settings, seeded: OrgData) -> None:
    async def again(force: bool) -> Any:
        c = bootstrap(settings)
        try:
            return await seed_org(c.redis, c.keys, c.users, c.org, seeded, PASSWORD, force=force)
        finally:
            await c.aclose()

    with pytest.raises(Conflict):
        run_async(again(False))
    report = run_async(again(True))
    assert report.total_users == 820


def test_point_in_grid_for_every_grid(live: LiveServer, seeded: OrgData,
                                      settings: Settings) -> None:
    from shapely.geometry import shape

    async def go() -> list[tuple[str, str | None]]:
        c = bootstrap(settings)
        try:
            index = await c.org.index()
            out = []
            for f in seeded.grids["features"]:
                p = shape(f["geometry"]).representative_point()
                out.append((f["properties"]["id"], index.locate(p.x, p.y)))
            return out
        finally:
            await c.aclose()

    for expected, found in run_async(go()):
        assert found == expected


def test_street_tells_its_clock(live: LiveServer, tokens: Callable[[str], str]) -> None:
    with live.client(tokens("gw001")) as c:
        street = c.get("/api/v1/street").json()
    assert street["code"] == "jlc" and street["name"] == "军粮城街道"
    assert street["tz"] == "Asia/Shanghai"
    assert [w["start"] for w in street["patrol_windows"]] == ["08:00", "14:00"]
    assert street["limits"] == {"media_bytes": live.settings.max_media_bytes, "photos": 9}
