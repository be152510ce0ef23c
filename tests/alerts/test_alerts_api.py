"""Alerts through the service and the API: raise, group a burst, acknowledge, clear by its
cause, resolve by hand, scope on the screens and in the listing, on record."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import orjson
import pytest
from websockets.sync.client import connect

from dispatch.alerts import AlertKind, AlertService, Raised, Scope, Subject
from dispatch.bootstrap import bootstrap
from dispatch.org.model import OrgData
from dispatch.settings import Settings
from tests.conftest import LiveServer

T = 1_800_000_000_000
MIN = 60_000
BURST_S = 600
R = TypeVar("R")
K = AlertKind


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"alert_burst_s": BURST_S}


def with_alerts(settings: Settings, fn: Callable[[AlertService], Awaitable[R]]) -> R:
    async def go() -> R:
        c = bootstrap(settings)
        try:
            return await fn(c.alerts)
        finally:
            await c.aclose()

    return asyncio.run(go())


def station_of(street: OrgData, grid: str) -> str:
    return next(str(f["properties"]["station"]) for f in street.grids["features"]
                if str(f["properties"]["id"]) == grid)


def out_of_grid(settings: Settings, street: OrgData, grid: str, at: int) -> Raised:
    return with_alerts(settings, lambda a: a.raise_alert(
        K.OUT_OF_GRID, subject=Subject(worker=f"gw{grid}"),
        scope=Scope(station=station_of(street, grid)), data={"grid": grid}, now_ms=at))


def back(settings: Settings, grid: str, at: int) -> list[str]:
    return with_alerts(settings, lambda a: a.clear(K.OUT_OF_GRID, Subject(worker=f"gw{grid}"),
                                                   now_ms=at, reason="back_in_grid"))


def api(live: LiveServer, token: str, method: str, path: str, expect: int = 200,
        **kw: Any) -> Any:
    with live.client(token) as c:
        r = c.request(method, path, **kw)
    assert r.status_code == expect, r.text
    return r.json()


def test_a_burst_is_one_alert_acked_then_cleared_by_its_causes(
        live: LiveServer, seeded: OrgData, settings: Settings,
        tokens: Callable[[str], str]) -> None:
    s01, far = station_of(seeded, "001"), station_of(seeded, "100")
    assert station_of(seeded, "002") == station_of(seeded, "003") == s01 != far
    first = out_of_grid(settings, seeded, "001", T)
    second = out_of_grid(settings, seeded, "002", T + MIN)
    other = out_of_grid(settings, seeded, "100", T + MIN)
    assert (first.outcome, second.outcome, other.outcome) == ("raised", "joined", "raised")
    assert first.id == second.id != other.id
    assert out_of_grid(settings, seeded, "001", T + 2 * MIN).outcome == "repeat"

    desk = tokens("disp1")
    listed = api(live, desk, "GET", "/api/v1/alerts")["items"]
    assert [a["id"] for a in listed] == [other.id, first.id]  # newest activity first
    group = api(live, desk, "GET", "/api/v1/alerts", params={"station": s01})["items"]
    assert len(group) == 1
    g = group[0]
    assert (g["kind"], g["severity"], g["owner"], g["state"]) == (
        "out_of_grid", "warning", "station", "open")
    assert (g["count"], g["active"], g["first_ts"], g["last_ts"]) == (2, 2, T, T + MIN)
    assert g["members"] == {"gw001": True, "gw002": True}
    assert g["scope"] == {"street": settings.street, "station": s01}
    assert g["subject"] == {"worker": "gw002"}
    assert api(live, desk, "GET", "/api/v1/alerts", params={"kind": "sos"})["items"] == []
    page = api(live, desk, "GET", "/api/v1/alerts", params={"limit": 1})
    assert [a["id"] for a in page["items"]] == [other.id] and page["next_cursor"]
    rest = api(live, desk, "GET", "/api/v1/alerts",
               params={"limit": 1, "cursor": page["next_cursor"]})
    assert [a["id"] for a in rest["items"]] == [first.id] and rest["next_cursor"] is None
    assert [a["id"] for a in api(live, tokens("lead01"), "GET", "/api/v1/alerts")[
        "items"]] == [other.id, first.id]  # a lead sees the street's worker alerts

    path = f"/api/v1/alerts/{first.id}"
    assert api(live, tokens("screen1"), "POST", f"{path}/ack", 403)["error"]["code"] == (
        "role_forbidden")
    api(live, tokens("assess1"), "POST", f"{path}/ack", 403)
    api(live, tokens("lead01"), "POST", f"{path}/ack", 403)  # a lead: department alerts only
    acked = api(live, desk, "POST", f"{path}/ack", json={"note": "已电话联系网格员"})
    assert (acked["state"], acked["acked_by"], acked["note"]) == ("acked", "disp1",
                                                                  "已电话联系网格员")
    assert api(live, tokens("admin"), "POST", f"{path}/ack", 409)["error"]["code"] == (
        "already_acked")

    assert out_of_grid(settings, seeded, "003", T + 3 * MIN).id == first.id
    again = api(live, desk, "GET", path)
    assert (again["state"], again["count"], again["active"]) == ("open", 3, 3)  # news since

    assert back(settings, "001", T + 4 * MIN) == [first.id]
    assert back(settings, "001", T + 4 * MIN) == []  # already left
    back(settings, "002", T + 5 * MIN)
    assert api(live, desk, "GET", path)["state"] == "open"
    back(settings, "003", T + 6 * MIN)
    cleared = api(live, desk, "GET", path)
    assert (cleared["state"], cleared["reason"], cleared["cleared_ts"]) == (
        "cleared", "back_in_grid", T + 6 * MIN)
    assert cleared["members"] == {"gw001": False, "gw002": False, "gw003": False}
    assert [(e["action"], e.get("by"), e.get("member")) for e in cleared["log"]] == [
        ("raise", None, "gw001"), ("raise", None, "gw002"), ("ack", "disp1", None),
        ("raise", None, "gw003"), ("clear", None, "gw001"), ("clear", None, "gw002"),
        ("clear", None, "gw003")]
    history = api(live, desk, "GET", "/api/v1/alerts", params={"state": "cleared"})["items"]
    assert [a["id"] for a in history] == [first.id]
    assert [a["id"] for a in api(live, desk, "GET", "/api/v1/alerts")["items"]] == [other.id]

    far_path = f"/api/v1/alerts/{other.id}"
    assert api(live, desk, "POST", f"{far_path}/resolve", 400)["error"]["field"] == "note"
    resolved = api(live, desk, "POST", f"{far_path}/resolve", json={"note": "定位漂移，误报"})
    assert (resolved["state"], resolved["reason"], resolved["resolved_by"]) == (
        "cleared", "resolved", "disp1")
    api(live, desk, "POST", f"{far_path}/ack", 409)
    api(live, desk, "POST", f"{far_path}/resolve", 409, json={"note": "again"})
    assert back(settings, "100", T + 7 * MIN) == []  # its cause ends later: nothing to do
    api(live, desk, "GET", "/api/v1/alerts/A999", 404)
    api(live, desk, "GET", "/api/v1/alerts", 400, params={"state": "gone"})


def test_bursts_split_by_time_subjects_count_repeats(seeded: OrgData,
                                                     settings: Settings) -> None:
    a = out_of_grid(settings, seeded, "001", T)
    later = out_of_grid(settings, seeded, "002", T + BURST_S * 1000 + 1)
    assert later.outcome == "raised" and later.id != a.id  # a new burst

    async def sos(alerts: AlertService) -> tuple[Raised, Raised, dict[str, Any] | None]:
        data = {"lat": 39.03, "lon": 117.42, "batt": 0.15}
        one = await alerts.raise_alert(K.SOS, subject=Subject(worker="gw005"),
                                       scope=Scope(station="S01"), data=data, now_ms=T)
        two = await alerts.raise_alert(K.SOS, subject=Subject(worker="gw005"),
                                       scope=Scope(station="S01"), data=data, now_ms=T + 9)
        return one, two, await alerts.store.get(str(one.id))

    one, two, stored = with_alerts(settings, sos)
    assert one.id == two.id and two.outcome == "joined"
    assert stored is not None
    assert (stored["count"], stored["severity"], stored["owner"]) == (2, "critical", "centre")
    assert stored["data"] == {"lat": 39.03, "lon": 117.42, "batt": 0.15}

    with pytest.raises(ValueError):
        with_alerts(settings, lambda al: al.raise_alert(K.CASE_OVERDUE,
                                                        subject=Subject(worker="gw001")))


def test_screens_get_the_alerts_of_their_scope(live: LiveServer, seeded: OrgData,
                                               settings: Settings,
                                               tokens: Callable[[str], str]) -> None:
    s01, far = station_of(seeded, "001"), station_of(seeded, "100")
    early = out_of_grid(settings, seeded, "100", T)
    url = f"{live.ws_url}/ws/screen?token={tokens('screen1')}&station={s01}"
    with connect(url, open_timeout=5) as ws:
        snapshot = orjson.loads(ws.recv(timeout=5))
        assert snapshot["type"] == "snapshot" and snapshot["alerts"] == []
        assert out_of_grid(settings, seeded, "101", T + 1).announced  # not for this screen
        mine = out_of_grid(settings, seeded, "001", T + 2)
        delta = orjson.loads(ws.recv(timeout=5))
        assert (delta["type"], delta["id"], delta["scope"]["station"]) == ("alert", mine.id, s01)
    with connect(f"{live.ws_url}/ws/screen?token={tokens('disp1')}", open_timeout=5) as ws:
        snapshot = orjson.loads(ws.recv(timeout=5))
        assert {a["id"] for a in snapshot["alerts"]} == {early.id, mine.id}
        assert {a["scope"]["station"] for a in snapshot["alerts"]} == {s01, far}


def test_a_burst_alert_that_is_full_starts_another(seeded: OrgData, settings: Settings) -> None:
    """A burst alert takes DISPATCH_ALERT_GROUP_MAX members; the next starts a new one,
    and both clear by their own causes."""
    small = settings.replace(alert_group_max=2)
    first = out_of_grid(small, seeded, "001", T)
    second = out_of_grid(small, seeded, "002", T + MIN)
    third = out_of_grid(small, seeded, "003", T + 2 * MIN)
    assert (first.outcome, second.outcome, third.outcome) == ("raised", "joined", "raised")
    assert first.id == second.id != third.id
    assert station_of(seeded, "004") == station_of(seeded, "001")
    fourth = out_of_grid(small, seeded, "004", T + 3 * MIN)
    assert (fourth.outcome, fourth.id) == ("joined", third.id)  # the new one takes the next
    full = with_alerts(small, lambda a: a.store.get(str(first.id)))
    assert full is not None and (full["state"], full["active"]) == ("open", 2)
    assert back(small, "003", T + 4 * MIN) == [third.id]
    assert back(small, "004", T + 4 * MIN) == [third.id]
    assert sorted(back(small, g, T + 5 * MIN)[0] for g in ("001", "002")) == [first.id] * 2
    done = with_alerts(small, lambda a: a.store.get(str(first.id)))
    assert done is not None and done["state"] == "cleared"
