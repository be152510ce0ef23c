"""Every street of a multi-street deployment is served by its own street, not the home one:
tracking devices, Open311 (keys, jurisdictions, the citizens' page), the command line and
the clock's metrics."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

import pytest
import redis

from dispatch.bootstrap import bootstrap
from dispatch.clock import now_ms
from dispatch.keys import Keys
from dispatch.org.model import OrgData, Street
from dispatch.org.seed import seed_org
from dispatch.settings import Settings
from tests.cases.helpers import Places
from tests.conftest import PASSWORD, LiveServer, run_async
from tests.test_district import CENTRE, DISTRICT_USERS, HOME, OTHER, call, login  # noqa: F401

#: The other street's phones carry ids of their own (the same people's names otherwise).
DEVICE_PREFIX = "hd-"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"streets": f"{HOME},{OTHER}", "district": CENTRE}


def other_street(street: OrgData) -> OrgData:
    people = [dataclasses.replace(p, device=f"{DEVICE_PREFIX}{p.device}" if p.device else None)
              for p in street.people]
    return dataclasses.replace(street, people=people, street=Street(
        code=OTHER, name="华东街道", name_en="Huadong Street", district="东丽区"))


@pytest.fixture
def district(settings: Settings, street: OrgData) -> dict[str, OrgData]:
    """Two streets (the reference street twice, the other's devices renamed) and the
    district centre's own people."""
    streets = {HOME: street, OTHER: other_street(street)}

    async def go() -> None:
        for code, data in streets.items():
            c = bootstrap(dataclasses.replace(settings, street=code))
            try:
                await seed_org(c.redis, c.keys, c.users, c.org, data, PASSWORD,
                               seeded_ms=int(time.time() * 1000))
            finally:
                await c.aclose()
        c = bootstrap(dataclasses.replace(settings, street=CENTRE))
        try:
            for user in DISTRICT_USERS:
                await c.users.add(user, PASSWORD)
        finally:
            await c.aclose()

    run_async(go())
    return streets


# --- tracking devices ------------------------------------------------------------------------


def osmand(live: LiveServer, device: str, lat: float, lon: float) -> Any:
    with live.client() as http:
        return http.post(f"/osmand?id={device}&timestamp={now_ms() // 1000 - 5}"
                         f"&lat={lat}&lon={lon}&speed=1.0")


def test_a_device_files_its_fixes_in_the_street_that_registered_it(
        live: LiveServer, district: dict[str, OrgData], rdb: redis.Redis) -> None:
    lat, lon = Places(district[OTHER].grids).centre("001")
    for _ in range(2):  # the second fix comes from the cached street
        r = osmand(live, f"{DEVICE_PREFIX}gw001", lat, lon)
        assert r.status_code == 200, r.text
    assert rdb.exists(Keys(OTHER).loc_live("gw001"))
    assert not rdb.exists(Keys(HOME).loc_live("gw001"))
    r = osmand(live, "gw002", lat, lon)  # a home street's device stays at home
    assert r.status_code == 200, r.text
    assert rdb.exists(Keys(HOME).loc_live("gw002"))
    assert not rdb.exists(Keys(OTHER).loc_live("gw002"))


def test_a_street_sees_its_own_devices_workers_only(
        live: LiveServer, district: dict[str, OrgData],
        login: Callable[[str], str]) -> None:  # noqa: F811
    lat, lon = Places(district[OTHER].grids).centre("003")
    assert osmand(live, f"{DEVICE_PREFIX}gw003", lat, lon).status_code == 200

    def positioned(token: str) -> set[str]:
        items = call(live, token, "GET", "/api/v1/workers").json()["items"]
        return {w["worker"] for w in items if w["position"] is not None}

    assert "gw003" in positioned(login(f"disp1@{OTHER}"))
    assert "gw003" not in positioned(login("disp1"))


def test_an_unknown_device_is_refused_in_every_street(
        live: LiveServer, district: dict[str, OrgData]) -> None:
    lat, lon = Places(district[HOME].grids).centre("001")
    for device in ("nobody", f"{DEVICE_PREFIX}nobody"):
        r = osmand(live, device, lat, lon)
        assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_device"


# --- the command line ------------------------------------------------------------------------


@pytest.fixture
def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Callable[..., int]:
    """``dispatch ARGS`` in this process, configured as the deployment under test."""
    from dispatch.cli import main

    for name, value in {"REDIS_URL": str(settings.redis_url),
                        "DISPATCH_DATA": str(settings.data_dir),
                        "DISPATCH_SCRYPT_N": str(settings.scrypt_n),
                        "DISPATCH_STREETS": f"{HOME},{OTHER}",
                        "DISPATCH_DISTRICT": CENTRE}.items():
        monkeypatch.setenv(name, value)

    def run(*args: str) -> int:
        return main(list(args))

    return run


def test_users_act_on_the_street_named(
        live: LiveServer, login: Callable[[str], str], cli: Callable[..., int],  # noqa: F811
        rdb: redis.Redis, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("users", "add", "disp9", "--role", "dispatcher", "--password", "first-pw",
               "--street", OTHER) == 0
    assert rdb.exists(Keys(OTHER).user("disp9")) and not rdb.exists(Keys(HOME).user("disp9"))
    assert live.login("disp9", "first-pw").startswith(f"{OTHER}.")
    theirs, ours = login(f"disp1@{OTHER}"), login("disp1")
    capsys.readouterr()
    assert cli("users", "revoke", "disp1", "--street", OTHER) == 0
    assert "1 token(s) revoked" in capsys.readouterr().out
    assert call(live, theirs, "GET", "/api/v1/me").status_code == 401
    assert call(live, ours, "GET", "/api/v1/me").status_code == 200  # the home one's kept
    assert cli("users", "list", "--role", "dispatcher") == 0  # the home street by default
    assert "disp9" not in capsys.readouterr().out
    assert cli("users", "list", "--street", OTHER, "--role", "dispatcher") == 0
    assert "disp9" in capsys.readouterr().out


def test_a_street_not_served_is_refused(
        district: dict[str, OrgData], cli: Callable[..., int],
        capsys: pytest.CaptureFixture[str]) -> None:
    for args in (("users", "list"), ("rules", "reload"), ("open311", "keys", "list"),
                 ("archive", "--status")):
        assert cli(*args, "--street", "zz") == 2
        assert "no street zz" in capsys.readouterr().err


def test_rules_reload_and_open311_keys_act_on_the_street_named(
        district: dict[str, OrgData], cli: Callable[..., int], rdb: redis.Redis) -> None:
    def version(code: str) -> str | None:
        found = rdb.hget(Keys(code).rules_current(), "version")
        return None if found is None else str(found)

    before = version(HOME)
    assert cli("rules", "reload", "--street", OTHER) == 0
    assert version(OTHER) is not None and version(HOME) == before
    assert cli("open311", "keys", "add", "their-system", "--street", OTHER) == 0
    assert rdb.hlen(Keys(OTHER).open311_keys()) == 1
    assert not rdb.exists(Keys(HOME).open311_keys())


# --- the clock's figures ---------------------------------------------------------------------

T0 = 1_800_000_000_000
DAY_MS = 24 * 3_600_000


def samples(text: str, family: str) -> dict[tuple[tuple[str, str], ...], float]:
    """A family's samples by their labels, from a /metrics text."""
    from prometheus_client.parser import text_string_to_metric_families

    return {tuple(sorted(s.labels.items())): s.value
            for f in text_string_to_metric_families(text) for s in f.samples
            if s.name == family}


def of_street(found: dict[tuple[tuple[str, str], ...], float], street: str) -> float:
    return sum(v for labels, v in found.items() if ("street", street) in labels)


def test_one_clock_reports_every_street_it_leads(
        settings: Settings, district: dict[str, OrgData]) -> None:
    from dispatch.cases.commands import ReportCommand
    from dispatch.district import bootstrap_deployment
    from dispatch.identity.principal import Principal
    from dispatch.identity.roles import Role
    from dispatch.jobs.clock import Clock
    from dispatch.jobs.schedule import periodic_jobs, recurring_jobs, refresh_metrics
    from tests.cases.helpers import HW_ITEM

    lat, lon = Places(district[OTHER].grids).centre("001")
    at = {"now": T0}

    async def go() -> str:
        streets = bootstrap_deployment(settings)
        try:
            clocks = [Clock(c, periodic_jobs(c), recurring_jobs(c), now=lambda: at["now"])
                      for c in streets]
            other = streets.containers[OTHER]
            await other.rules.ensure_installed()
            cmd = ReportCommand("m1", HW_ITEM, lat, lon, "垃圾满溢", None, (), None)
            await other.cases.report(Principal("gw001", Role.GRID_WORKER, "001"), cmd,
                                     now_ms=T0)
            for clock in clocks:
                await clock.step()  # the first start: nothing before now is owed
            at["now"] = T0 + DAY_MS  # past the case's timers and the daily report
            for clock in clocks:
                await clock.step()
            await refresh_metrics(streets.home, clocks)
            return streets.home.metrics.render().decode()
        finally:
            await streets.aclose()

    text = run_async(go())
    leading = samples(text, "dispatch_clock_leading")
    assert {of_street(leading, s) for s in (HOME, OTHER, CENTRE)} == {1.0}
    late = samples(text, "dispatch_timer_lateness_seconds_count")
    assert of_street(late, OTHER) >= 1 and of_street(late, HOME) == 0  # its own timers only
    ran = samples(text, "dispatch_clock_occurrences_total")
    for street in (HOME, OTHER):
        assert ran[(("job", "daily"), ("street", street))] == 1.0
    ticks = samples(text, "dispatch_clock_job_seconds_count")
    assert ticks[(("job", "timers"), ("street", OTHER))] == 2.0
    cases = samples(text, "dispatch_cases")
    assert (of_street(cases, OTHER), of_street(cases, HOME)) == (1.0, 0.0)


# --- Open311 ---------------------------------------------------------------------------------

V2 = "/open311/v2"


def key_of(settings: Settings, street: str) -> str:
    from tests.open311.helpers import api_key

    return api_key(dataclasses.replace(settings, street=street), name=f"{street}-hotline")


def get(live: LiveServer, path: str, **params: str) -> Any:
    with live.client() as http:
        return http.get(path, params=params)


def file_in(live: LiveServer, district: dict[str, OrgData], key: str, grid: str = "001",
            **extra: str) -> Any:
    lat, lon = Places(district[OTHER].grids).point(grid)
    with live.client() as http:
        return http.post(f"{V2}/requests.json", data={
            "api_key": key, "service_code": "SS01", "lat": str(lat), "long": str(lon),
            "description": "路灯坏了", **extra})


def test_an_api_key_of_a_street_files_into_that_street(
        live: LiveServer, settings: Settings, district: dict[str, OrgData],
        login: Callable[[str], str]) -> None:  # noqa: F811
    r = file_in(live, district, key_of(settings, OTHER))
    assert r.status_code == 200, r.text
    cid, token = r.json()[0]["service_request_id"], r.json()[0]["token"]
    theirs = get(live, f"{V2}/requests/{cid}.json", jurisdiction_id=OTHER)
    assert theirs.status_code == 200 and theirs.json()[0]["service_request_id"] == cid
    listed = get(live, f"{V2}/requests.json", jurisdiction_id=OTHER).json()
    assert [x["service_request_id"] for x in listed] == [cid]
    assert get(live, f"{V2}/requests.json").json() == []  # the home street has none
    home = get(live, f"{V2}/requests/{cid}.json", jurisdiction_id=HOME)
    assert home.status_code == 404 and home.json()[0]["code"] == 404
    desk = call(live, login(f"disp1@{OTHER}"), "GET", f"/api/v1/cases/{cid}")
    assert desk.status_code == 200 and desk.json()["source"] == "open311"
    assert call(live, login("disp1"), "GET", f"/api/v1/cases/{cid}").status_code == 404
    followed = get(live, f"{V2}/tokens/{token}.json").json()[0]  # found wherever issued
    assert (followed["service_request_id"], followed["jurisdiction_id"]) == (cid, OTHER)
    assert get(live, f"{V2}/tokens/{token}.json", jurisdiction_id=HOME).status_code == 404


def test_a_key_cannot_file_into_another_street_and_a_jurisdiction_must_be_served(
        live: LiveServer, settings: Settings, district: dict[str, OrgData]) -> None:
    theirs = key_of(settings, OTHER)
    refused = file_in(live, district, theirs, jurisdiction_id=HOME)
    assert refused.status_code == 403 and refused.json()[0]["code"] == 403
    assert file_in(live, district, key_of(settings, HOME)).status_code == 200
    assert get(live, f"{V2}/requests.json", jurisdiction_id=OTHER).json() == []
    for code in ("zz", CENTRE):  # the district centre is no jurisdiction
        r = get(live, f"{V2}/services.json", jurisdiction_id=code)
        assert r.status_code == 404 and "no jurisdiction" in r.json()[0]["description"]
        assert file_in(live, district, theirs, jurisdiction_id=code).status_code == 404
    assert get(live, f"{V2}/services.json", jurisdiction_id=OTHER).status_code == 200
    found = get(live, f"{V2}/discovery.json", jurisdiction_id=OTHER).json()
    assert found["contact"] == "华东街道"  # the street's own name
    assert get(live, f"{V2}/discovery.json").json()["contact"] != "华东街道"
    xml = get(live, f"{V2}/services.xml", jurisdiction_id="zz")
    assert xml.status_code == 404 and "<errors>" in xml.text


def test_the_citizens_page_of_a_street_files_into_it(
        live: LiveServer, district: dict[str, OrgData]) -> None:
    home = get(live, "/report/config.json").json()
    theirs = get(live, "/report/config.json", street=OTHER).json()
    assert get(live, "/report/config.json", jurisdiction_id=OTHER).json() == theirs
    assert (home["street"]["code"], theirs["street"]["code"]) == (HOME, OTHER)
    assert theirs["street"]["name"] == "华东街道"
    assert [s["code"] for s in theirs["streets"]] == [HOME, OTHER]  # to choose from
    assert theirs["api_key"] != home["api_key"]
    filed = file_in(live, district, theirs["api_key"], jurisdiction_id=OTHER)
    assert filed.status_code == 200, filed.text
    cid = filed.json()[0]["service_request_id"]
    assert get(live, f"{V2}/requests/{cid}.json", jurisdiction_id=OTHER).status_code == 200
    refused = file_in(live, district, theirs["api_key"], jurisdiction_id=HOME)
    assert refused.status_code == 403
    unknown = get(live, "/report/config.json", street="zz")
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "unknown_jurisdiction"
    assert unknown.json()["error"]["field"] == "street"
