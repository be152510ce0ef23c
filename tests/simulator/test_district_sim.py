"""The simulator in district mode against a real multi-street server, and the demo's reset
of every street it served.

Three streets of the Jizhou preset are seeded with the district seeding code and served
by one real uvicorn on a real Redis; the simulator plays every street at once, each
phone on one of the three protocols. What it did is then read back through the API, as
each street's desk (and the district centre) sees it.
"""

from __future__ import annotations

import asyncio
import io
import random
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import redis
from rich.console import Console

from clients.simulator import stats as S
from clients.simulator.config import SimConfig, parse_args
from clients.simulator.district_display import COLUMNS, TABLE_WIDTH, TOTAL, rows, summary, table
from clients.simulator.district_mode import (
    District,
    Size,
    fit,
    make_district,
    socket_share,
    street_ctx,
    totals,
)
from clients.simulator.district_screen import DISTRICT_POLLS
from clients.simulator.main import simulate_district
from clients.simulator.phones import PhoneKind
from dispatch.demo import (
    DEMO_DISTRICT_SCALE,
    DEMO_DISTRICT_SOCKETS,
    district_banner,
    district_simulator_args,
    reset_data,
    served_streets,
)
from dispatch.keys import Keys
from dispatch.org.district_preset import CENTRE, STREETS, centre_people, district_preset
from dispatch.org.district_seed import seed_district
from dispatch.settings import Settings
from tests.conftest import PASSWORD, LiveServer, run_async

PLAYED = 3
CODES = [code for code, _ in STREETS[:PLAYED]]
ALL_DAY = "am=00:00-12:00,pm=12:00-00:00"
GRIDS_PER_STREET = 48
WORKERS_PER_STREET = 4
RUN_S = 12.0
KINDS = [kind.value for kind in PhoneKind]


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"streets": ",".join(CODES), "district": CENTRE, "patrol_windows": ALL_DAY}


def seed(settings: Settings) -> None:
    """The first streets of the district preset, and the district centre's people."""
    run_async(seed_district(settings, district_preset()[:PLAYED], CENTRE, centre_people(),
                            PASSWORD))


@pytest.fixture
def seeded_district(settings: Settings) -> list[str]:
    seed(settings)
    return CODES


def login(live: LiveServer, username: str) -> str:
    return live.login(username)


def get(live: LiveServer, token: str, path: str, **params: Any) -> Any:
    with live.client(token) as c:
        r = c.get(path, params=params)
    assert r.status_code == 200, r.text
    return r.json()


def district_config(live: LiveServer, **kw: Any) -> SimConfig:
    base = SimConfig(url=live.url, password=PASSWORD, seed=7, district=True, screens=1,
                     scale=WORKERS_PER_STREET / GRIDS_PER_STREET, speed=30.0,
                     duration_s=RUN_S, report_every_s=20.0, osmand_share=0.34,
                     owntracks_share=0.33, patrol_min=0.5, patrol_rest_min=0.2,
                     district_poll_s=2.0, quiet=True)
    return replace(base, **kw)


def test_every_street_plays_on_every_protocol_in_its_own_street(
        live: LiveServer, seeded_district: list[str]) -> None:
    started = time.monotonic()
    district: District = asyncio.run(simulate_district(district_config(live)))
    assert time.monotonic() - started < RUN_S + 30
    assert sorted(district.streets) == sorted(CODES)
    total = totals(district)
    assert total[S.ERRORS] == 0, dict(total.last_error)
    assert district.watch.rows.keys() == set(CODES), "the district view names every street"
    assert total[DISTRICT_POLLS] >= 2
    desks = {code: login(live, f"{code}.disp1") for code in CODES}
    for code, ctx in district.streets.items():
        phones = ctx.phones
        assert sorted(set(phones.values())) == sorted(KINDS), phones
        assert all(name.startswith(f"{code}.") for name in phones), phones
        for kind in KINDS:
            assert ctx.stats[S.pings_of(kind)] > 0, (code, kind)
        desk = desks[code]
        for worker in phones:  # every phone's fixes stored in the worker's own street
            track = get(live, desk, f"/api/v1/workers/{worker}/track")
            assert track["properties"]["points"] >= 1, (code, worker, phones[worker])
        listed = get(live, desk, "/api/v1/workers")["items"]
        assert all(w["worker"].startswith(f"{code}.") for w in listed)
        moving = {w["worker"] for w in listed if w.get("position")}
        assert moving == set(phones), (code, moving, phones)
        cases = get(live, desk, "/api/v1/cases", limit=200)["items"]
        assert cases, f"no report filed in {code}"
        assert all(str(c["reporter"]).startswith(f"{code}.") for c in cases)
        assert ctx.stats[S.REPORTS] > 0
    for code in CODES:  # no street knows another's workers
        for other, ctx in district.streets.items():
            if other == code:
                continue
            worker = next(iter(ctx.phones))
            with live.client(desks[code]) as c:
                assert c.get(f"/api/v1/workers/{worker}/track").status_code == 404
    view = get(live, login(live, "district.screen"), "/api/v1/district")
    reported = {row["street"]: row["reported"] for row in view["streets"]}
    assert set(reported) == set(CODES)
    assert all(n >= 1 for n in reported.values()), reported
    lines = summary(district)
    assert any(line.strip().startswith("total ") for line in lines), lines


def test_people_are_scaled_to_fit_the_sockets_allowed() -> None:
    sizes = {code: Size(workers=48, members=36, leads=18) for code, _ in STREETS}
    config = SimConfig(district=True, scale=0.25, max_sockets=400, osmand_share=0.2,
                       owntracks_share=0.1, screens=1)
    planned = fit(config, sizes)
    sockets = sum(s.sockets(0.7, 1) for s in planned.values())
    assert sockets <= 400
    assert all(s.workers >= 1 for s in planned.values())
    roomy = fit(replace(config, max_sockets=100_000), sizes)
    assert all(s == Size(12, 9, 4) for s in roomy.values()), roomy


def test_district_mode_defaults_to_the_protocol_mix_of_the_district() -> None:
    district = parse_args(["--district"])
    assert (district.osmand_share, district.owntracks_share) == (0.2, 0.1)
    street = parse_args([])
    assert (street.osmand_share, street.owntracks_share) == (0.1, 0.1)
    assert parse_args(["--district", "--osmand-share", "0"]).osmand_share == 0.0
    assert (district.screens, street.screens) == (1, 3)


def _keys_of(client: redis.Redis, code: str) -> int:
    return sum(1 for _ in client.scan_iter(match=Keys(code).pattern(), count=1000))


def test_demo_reset_wipes_every_street_served(settings: Settings, rdb: redis.Redis,
                                              tmp_path: Path) -> None:
    seed(settings)
    for code in (*CODES, CENTRE):
        assert _keys_of(rdb, code) > 0, code
    rdb.set("unrelated", "kept")
    reset_data(settings)
    for code in (*CODES, CENTRE):
        assert _keys_of(rdb, code) == 0, code
    assert rdb.get("unrelated") == "kept"


def test_demo_reset_of_the_district_preset_wipes_the_district(
        settings: Settings, rdb: redis.Redis) -> None:
    seed(settings)
    one_street = settings.replace(streets="", district="")  # the demo's own settings
    assert len(served_streets(one_street, district=True)) == len(STREETS) + 1
    reset_data(one_street, district=True)
    for code in (*CODES, CENTRE):
        assert _keys_of(rdb, code) == 0, code


def test_figures_show_every_street_and_the_totals() -> None:
    async def build() -> District:
        district = make_district(SimConfig(district=True))
        for n, code in enumerate(CODES):
            ctx = street_ctx(district, code, random.Random(n))
            ctx.stats.add(S.PINGS, 10 * (n + 1))
            ctx.stats.add(S.pings_of(PhoneKind.OSMAND.value), n + 1)
            ctx.stats.add(S.REPORTS, n)
            district.streets[code] = ctx
        district.watch.rows = {CODES[0]: {"street": CODES[0], "open": 7, "red": 2,
                                          "reported_closed": 5}}
        await district.aclose()
        return district

    district = asyncio.run(build())
    shown = dict(rows(district, {}, 1.0))
    assert list(shown) == [*CODES, TOTAL]
    cell = dict(zip(COLUMNS, shown[TOTAL], strict=True))
    assert (cell["ping/s"], cell["osmand"], cell["reports"]) == ("60.0", "6", "3")
    first = dict(zip(COLUMNS, shown[CODES[0]], strict=True))
    assert (first["open"], first["red"], first["closed"]) == ("7", "2", "5")
    assert dict(zip(COLUMNS, shown[CODES[1]], strict=True))["open"] == "-"
    out = io.StringIO()
    Console(file=out, width=TABLE_WIDTH).print(table(district, {}, 1.0))
    printed = out.getvalue()
    assert all(code in printed for code in (*CODES, TOTAL)), printed


def test_the_district_demo_plays_every_street_at_its_scale() -> None:
    args = district_simulator_args("http://127.0.0.1:8123", "pw")
    assert args[0] == "simulate"
    config = parse_args(args[1:])
    assert config.district and not config.streets
    assert (config.url, config.password) == ("http://127.0.0.1:8123", "pw")
    assert (config.scale, config.max_sockets) == (DEMO_DISTRICT_SCALE, DEMO_DISTRICT_SOCKETS)
    sizes = {code: Size(workers=48, members=36, leads=18) for code, _ in STREETS}
    planned = fit(config, sizes)
    assert sum(s.sockets(socket_share(config), config.screens)
               for s in planned.values()) <= DEMO_DISTRICT_SOCKETS
    banner = district_banner("http://127.0.0.1:8123", "pw", len(STREETS), Path("/logs"))
    assert "http://127.0.0.1:8123/district" in banner
    assert "Command screen:  http://127.0.0.1:8123/ " in banner


def test_named_streets_are_played_without_the_district_user(
        live: LiveServer, seeded_district: list[str]) -> None:
    config = district_config(live, streets=(CODES[1],), district_user="nobody",
                             duration_s=4.0)
    district = asyncio.run(simulate_district(config))
    assert list(district.streets) == [CODES[1]]
    played = district.streets[CODES[1]]
    assert played.stats[S.PINGS] > 0 and played.stats[S.ERRORS] == 0
    assert dict(totals(district).errors) == {"district login refused": 1}
    assert totals(district)[DISTRICT_POLLS] == 0
