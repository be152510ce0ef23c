"""The whistle and check-in (吹哨报到) through the API: the desk summons departments to a
case within a response limit; a summoned member's check-in counts only when their latest
accepted fix is within the set distance of the case; a department not on site in time is
marked late on the timeline and raised as an alert of the case's station."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from dispatch.bootstrap import bootstrap
from dispatch.settings import Settings
from tests.cases.conftest import MovableClock
from tests.cases.helpers import HW_ITEM, Cases, Socket, of_type
from tests.conftest import LiveServer

MIN = 60_000
QUIET_S = 0.3
M_PER_DEG_LAT = 111_000.0


@pytest.fixture
def live(clocked: LiveServer) -> LiveServer:
    return clocked



def send_fix(cases: Cases, member: str, lat: float, lon: float, ts: int) -> dict[str, Any]:
    r = cases.call(member, "POST", "/api/v1/locations",
                   json={"items": [{"lat": lat, "lon": lon, "ts": ts, "acc": 8}]})
    assert r.status_code == 200, r.text
    return dict(r.json())


def fire_whistles(settings: Settings, now: int) -> list[tuple[str, list[str]]]:
    async def go() -> list[tuple[str, list[str]]]:
        c = bootstrap(settings)
        try:
            return await c.cases.fire_whistles(now)
        finally:
            await c.aclose()

    return asyncio.run(go())


def test_one_member_on_site_is_checked_in_one_far_away_is_refused(
        live: LiveServer, tokens: Callable[[str], str], cases: Cases, clock: MovableClock) -> None:
    case = cases.report(item=HW_ITEM, grid="040")
    cid, lat, lon = case["id"], case["lat"], case["lon"]
    base = f"/api/v1/cases/{cid}"
    # who may blow it, and what it needs
    assert cases.call("dm073", "POST", f"{base}/whistle",
                      json={"departments": ["cgj"]}).status_code == 403
    assert cases.call("gw040", "POST", f"{base}/whistle",
                      json={"departments": ["cgj"]}).status_code == 403
    bad = cases.call("disp1", "POST", f"{base}/whistle", json={"departments": ["nope"]})
    assert (bad.status_code, bad.json()["error"]["field"]) == (400, "departments.0")
    empty = cases.call("disp1", "POST", f"{base}/whistle", json={"departments": []})
    assert empty.status_code == 400
    with Socket(live, tokens("dm002"), settle_s=QUIET_S) as cgj_member:
        blown = cases.call("disp1", "POST", f"{base}/whistle",
                           json={"departments": ["cgj", "zhzf"], "respond_min": 30,
                                 "note": "占道施工，请立即到场"})
        assert blown.status_code == 200, blown.text
        summons = cgj_member.wait(of_type("whistle", cid))
        assert (summons["departments"], summons["due"]) == (["cgj", "zhzf"],
                                                            clock.now + 30 * MIN)
    whistle = blown.json()["whistle"]
    assert whistle["due"] == clock.now + 30 * MIN
    assert [d["department"] for d in whistle["departments"]] == ["cgj", "zhzf"]
    assert blown.json()["timeline"][-1]["action"] == "whistle"

    # a tap alone does not count: no position yet
    no_fix = cases.call("dm001", "POST", f"{base}/checkin")
    assert (no_fix.status_code, no_fix.json()["error"]["code"]) == (409, "no_position")
    assert cases.call("dm150", "POST", f"{base}/checkin").status_code == 403  # not summoned

    clock.advance(12)
    send_fix(cases, "dm001", lat + 30 / M_PER_DEG_LAT, lon, clock.now - 5_000)  # 30 m away
    send_fix(cases, "dm025", lat + 2000 / M_PER_DEG_LAT, lon, clock.now - 5_000)  # 2 km
    with Socket(live, tokens("disp1"), settle_s=QUIET_S) as desk:
        on_site = cases.call("dm001", "POST", f"{base}/checkin")
        assert on_site.status_code == 200, on_site.text
        told = desk.wait(of_type("checkin", cid))
        assert (told["department"], told["member"], told["late"]) == ("cgj", "dm001", False)
    cgj = on_site.json()["whistle"]["departments"][0]
    assert (cgj["checkin"]["member"], cgj["late"]) == ("dm001", False)
    assert cgj["checkin"]["distance_m"] < 40
    entry = on_site.json()["timeline"][-1]
    assert (entry["action"], entry["summoned"], entry["arrival_s"]) == ("checkin", "cgj", 720)
    far = cases.call("dm025", "POST", f"{base}/checkin")
    assert far.status_code == 409
    error = far.json()["error"]
    assert error["code"] == "not_on_site"
    assert 1900 < error["distance_m"] < 2100 and error["radius_m"] == 100
    again = cases.call("dm002", "POST", f"{base}/checkin")
    assert again.json()["error"]["code"] == "already_checked_in"

    # a stale fix does not count either
    send_fix(cases, "dm026", lat, lon, clock.now - 10 * MIN)
    stale = cases.call("dm026", "POST", f"{base}/checkin")
    assert stale.json()["error"]["code"] == "no_position"

    # the limit passes: zhzf is late, on the timeline and on the station's screen
    clock.advance(20)
    assert fire_whistles(live.settings, clock.now) == [(cid, ["zhzf"])]
    assert fire_whistles(live.settings, clock.now) == []  # once
    after = cases.get("disp1", cid)
    assert after["timeline"][-1]["action"] == "checkin_missed"
    assert after["timeline"][-1]["missing"] == ["zhzf"]
    alerts = cases.call("disp1", "GET", "/api/v1/alerts",
                        params={"kind": "checkin_late"}).json()["items"]
    assert [(a["scope"]["department"], a["scope"]["station"], a["state"]) for a in alerts] == [
        ("zhzf", case["station"], "open")]

    # a late check-in on site counts, as late, and clears the alert
    send_fix(cases, "dm025", lat, lon + 20 / 86_000, clock.now - 2_000)
    late = cases.call("dm025", "POST", f"{base}/checkin")
    assert late.status_code == 200, late.text
    zhzf = late.json()["whistle"]["departments"][1]
    assert (zhzf["checkin"]["member"], zhzf["late"]) == ("dm025", True)
    assert cases.call("disp1", "GET", "/api/v1/alerts",
                      params={"kind": "checkin_late"}).json()["items"] == []
    cleared = cases.call("disp1", "GET", "/api/v1/alerts",
                         params={"kind": "checkin_late", "state": "cleared"}).json()["items"]
    assert [a["state"] for a in cleared] == ["cleared"]

    # the report pages: whistles, on-time check-ins and the time to arrive, per department
    report = cases.call("assess1", "GET", "/api/v1/reports/daily").json()
    cgj, zhzf = report["departments"]["cgj"], report["departments"]["zhzf"]
    assert (cgj["summoned"], cgj["checkins_on_time"], cgj["checkins_late"]) == (1, 1, 0)
    assert (zhzf["summoned"], zhzf["checkins_on_time"], zhzf["checkins_late"]) == (1, 0, 1)
    assert cgj["arrival_mean_s"] == 720.0
    assert zhzf["arrival_mean_s"] == 32 * 60.0
    assert report["totals"]["summoned"] == 2
    assert report["totals"]["arrival_mean_s"] == (720.0 + 32 * 60.0) / 2


def test_member_positions_are_judged_like_patrols(cases: Cases, clock: MovableClock) -> None:
    lat, lon = cases.places.point("041")
    got = send_fix(cases, "dm001", lat, lon, clock.now + 60 * MIN)  # from the future
    assert got["stored"] == 0 and got["verdicts"] == {"future": 1}
    with cases.live.client(cases.tokens("dm001")) as c:
        other = c.post("/api/v1/locations", json={"worker": "dm002", "items": [
            {"lat": lat, "lon": lon, "ts": clock.now}]})
    assert other.status_code == 403


def test_a_station_lead_blows_the_whistle_on_the_station_s_cases(cases: Cases) -> None:
    own = cases.report(item=HW_ITEM, grid="035")  # station S04 (grids 031..040)
    other = cases.report(item=HW_ITEM, grid="012")  # S02
    assert cases.get("sl04", own["id"])["station"] == "S04"
    cases.get("sl04", other["id"], expect=403)
    listed = [c["id"] for c in cases.listing("sl04")["items"]]
    assert own["id"] in listed and other["id"] not in listed
    blown = cases.call("sl04", "POST", f"/api/v1/cases/{own['id']}/whistle",
                       json={"departments": ["cgj"]})
    assert blown.status_code == 200, blown.text
    assert blown.json()["whistle"]["by"] == "sl04"
    assert blown.json()["whistle"]["due"] - blown.json()["whistle"]["ts"] == 30 * MIN
    refused = cases.call("sl04", "POST", f"/api/v1/cases/{other['id']}/whistle",
                         json={"departments": ["cgj"]})
    assert refused.status_code == 403
    assert cases.call("sl04", "POST", f"/api/v1/cases/{own['id']}/supervise",
                      json={"note": "x"}).status_code == 403  # the desk's, not the station's


def recount_checkins(timeline: list[dict[str, Any]]) -> dict[str, tuple[int, int, int]]:
    """(summoned, on site in time, late or missing) per department, from a case's timeline
    alone: each whistle's departments, their check-ins and the clock's missed marks."""
    summoned: dict[tuple[int, str], str] = {}
    for e in timeline:
        if e["action"] == "whistle":
            summoned.update({(e["n"], d): "waiting" for d in e["departments"]})
        elif e["action"] == "checkin" and summoned.get((e["n"], e["summoned"])) != "on_time":
            summoned[(e["n"], e["summoned"])] = "late" if e["late"] else "on_time"
        elif e["action"] == "checkin_missed":
            for d in e["missing"]:
                if summoned.get((e["n"], d)) == "waiting":
                    summoned[(e["n"], d)] = "late"
    out: dict[str, tuple[int, int, int]] = {}
    for (_, d), verdict in summoned.items():
        n, on, late = out.get(d, (0, 0, 0))
        out[d] = (n + 1, on + (verdict == "on_time"), late + (verdict == "late"))
    return out


def test_a_missed_check_in_counts_against_the_department_s_score(
        cases: Cases, clock: MovableClock) -> None:
    case = cases.report(item=HW_ITEM, grid="040")
    cid, lat, lon = case["id"], case["lat"], case["lon"]
    base = f"/api/v1/cases/{cid}"
    blown = cases.call("disp1", "POST", f"{base}/whistle",
                       json={"departments": ["cgj", "zhzf"], "respond_min": 30})
    assert blown.status_code == 200, blown.text
    clock.advance(10)
    send_fix(cases, "dm001", lat + 20 / M_PER_DEG_LAT, lon, clock.now - 2_000)
    assert cases.call("dm001", "POST", f"{base}/checkin").status_code == 200  # cgj in time
    clock.advance(25)  # zhzf never comes
    assert fire_whistles(cases.live.settings, clock.now) == [(cid, ["zhzf"])]

    scores = cases.call("assess1", "GET", "/api/v1/scores", params={"period": "day"}).json()
    rows = {s["subject"]: s for s in scores["departments"]}
    cgj, zhzf = rows["cgj"], rows["zhzf"]
    # alike in everything but the check-in: the one that missed it scores lower
    assert cgj["parts"]["checkin"] == 1.0 and zhzf["parts"]["checkin"] == 0.0
    assert cgj["score"] is not None and zhzf["score"] is not None
    assert zhzf["score"] < cgj["score"]
    assert zhzf["rank"] > cgj["rank"]
    # the figures equal a recount from the case's own timeline
    timeline = cases.get("disp1", cid)["timeline"]
    recount = recount_checkins(timeline)
    assert recount == {"cgj": (1, 1, 0), "zhzf": (1, 0, 1)}
    for department, (n, on, late) in recount.items():
        raw = rows[department]["raw"]
        assert (raw["summoned"], raw["checkins_on_time"], raw["checkins_late"]) == (n, on, late)
        assert rows[department]["parts"]["checkin"] == on / (on + late)
    # a department summoned by no whistle is not judged on check-ins
    assert rows.get("hw", {"parts": {}})["parts"].get("checkin") is None
