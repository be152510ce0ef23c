"""Presence and out-of-grid alerts: to the phone, the open-alerts store and the screens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import pytest
import redis

from dispatch.bootstrap import Container
from dispatch.keys import Keys
from dispatch.org.model import OrgData
from dispatch.settings import Settings
from tests.conftest import LiveServer
from tests.location.fixtures import (
    ALL_DAY_WINDOWS,
    MINUTE_MS,
    inside,
    now_ms,
    phone,
    ping,
    recv,
    recv_until,
    send,
    with_service,
)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"patrol_windows": ALL_DAY_WINDOWS, "out_of_grid_min": 5, "signal_lost_min": 5,
            "offline_min": 15}


def open_alerts(settings: Settings) -> list[dict[str, Any]]:
    return with_service(settings, lambda c: c.alerts.active())


def screen_events(settings: Settings, kind: str) -> list[dict[str, Any]]:
    async def read(c: Container) -> list[dict[str, Any]]:
        entries = await c.redis.xrange(c.keys.events_stream())
        return [orjson.loads(fields["e"]) for _id, fields in entries]

    return [e for e in with_service(settings, read) if e["type"] == kind]


def is_alert(msg: dict[str, Any]) -> bool:
    return msg["type"] == "alert"


def station_messages(pubsub: Any) -> list[dict[str, Any]]:
    found = []
    while (message := pubsub.get_message(timeout=0.5)) is not None:
        if message["type"] == "message":
            found.append(orjson.loads(message["data"]))
    return found


def test_out_of_grid_fires_after_n_minutes_and_clears_on_return(
        live: LiveServer, seeded: OrgData, settings: Settings, rdb: redis.Redis,
        tokens: Callable[[str], str]) -> None:
    home, away = inside(seeded, "001"), inside(seeded, "002")
    t = now_ms() - 12 * MINUTE_MS
    station = rdb.pubsub()
    station.subscribe(Keys(settings.street).station_channel("S01"))
    with phone(live, tokens("gw001")) as ws:
        send(ws, {"type": "patrol.start"})
        patrol = recv(ws)["patrol"]["id"]
        send(ws, ping(1, *home, t))
        recv(ws)
        send(ws, ping(2, *away, t + 2 * MINUTE_MS))   # leaves the grid
        recv(ws)
        send(ws, ping(3, *away, t + 6 * MINUTE_MS))   # 4 minutes out: not yet
        assert recv(ws) == {"type": "ack", "seq": 3}
        assert open_alerts(settings) == []
        send(ws, ping(4, *away, t + 7 * MINUTE_MS + 1))  # 5 minutes out: alert
        opened = recv_until(ws, is_alert)
        assert opened["kind"] == "out_of_grid" and opened["state"] == "open"
        assert opened["subject"] == {"worker": "gw001"} and opened["data"]["grid"] == "001"
        assert opened["data"]["at_grid"] == "002" and opened["data"]["patrol"] == patrol
        assert opened["scope"] == {"street": settings.street, "station": "S01"}
        assert opened["owner"] == "station" and opened["severity"] == "warning"
        assert [a["id"] for a in open_alerts(settings)] == [opened["id"]]
        send(ws, ping(5, *away, t + 8 * MINUTE_MS))   # still out: no second alert
        assert recv(ws) == {"type": "ack", "seq": 5}
        send(ws, ping(6, *home, t + 10 * MINUTE_MS))  # back home: cleared
        closed = recv_until(ws, is_alert)
        assert closed["id"] == opened["id"] and closed["state"] == "cleared"
        assert closed["reason"] == "back_in_grid"
        assert open_alerts(settings) == []
        send(ws, ping(7, *away, t + 9 * MINUTE_MS))   # late, outside: changes nothing
        assert recv(ws) == {"type": "ack", "seq": 7}
    on_screen = screen_events(settings, "alert")
    assert [(a["id"], a["state"]) for a in on_screen] == [(opened["id"], "open"),
                                                          (opened["id"], "cleared")]
    assert [(a["id"], a["state"]) for a in station_messages(station)] == [
        (opened["id"], "open"), (opened["id"], "cleared")]
    station.close()
    assert open_alerts(settings) == []


def test_late_fixes_never_fire_a_geofence_alert(
        live: LiveServer, seeded: OrgData, settings: Settings,
        tokens: Callable[[str], str]) -> None:
    home, away = inside(seeded, "001"), inside(seeded, "002")
    t = now_ms() - 30 * MINUTE_MS
    with phone(live, tokens("gw001")) as ws:
        send(ws, {"type": "patrol.start"})
        recv(ws)
        send(ws, ping(100, *home, t + 20 * MINUTE_MS))
        recv(ws)
        late = [{"seq": n, "lat": away[1], "lon": away[0], "ts": t + n * MINUTE_MS}
                for n in range(12)]  # eleven minutes outside, uploaded after the newest fix
        send(ws, {"type": "pings", "items": late})
        assert recv(ws) == {"type": "ack", "seq": 100}
    assert open_alerts(settings) == []
    assert screen_events(settings, "alert") == []


def test_signal_lost_by_sweep_and_back_with_a_fix(
        live: LiveServer, seeded: OrgData, settings: Settings,
        tokens: Callable[[str], str]) -> None:
    home = inside(seeded, "001")
    t = now_ms()
    with phone(live, tokens("gw001")) as ws:
        send(ws, {"type": "patrol.start"})
        recv(ws)
        send(ws, ping(1, *home, t))
        recv(ws)
        quiet = with_service(settings, lambda c: c.location.sweep(t + 4 * MINUTE_MS))
        assert quiet.opened == []
        report = with_service(settings, lambda c: c.location.sweep(t + 6 * MINUTE_MS))
        assert report.states == {"signal_lost": 1} and len(report.opened) == 1
        lost = recv_until(ws, is_alert)
        assert lost["kind"] == "signal_lost" and lost["state"] == "open"
        assert [a["kind"] for a in open_alerts(settings)] == ["signal_lost"]
        again = with_service(settings, lambda c: c.location.sweep(t + 7 * MINUTE_MS))
        assert again.opened == [] and again.states == {}
        send(ws, ping(2, *home, now_ms()))
        back = recv_until(ws, is_alert)
        assert back["id"] == lost["id"] and back["state"] == "cleared"
        assert back["reason"] == "signal_back"
    assert open_alerts(settings) == []
    workers = with_service(settings, lambda c: c.location.workers())
    assert next(w for w in workers if w["worker"] == "gw001")["state"] == "online"


def test_sweep_takes_a_silent_worker_offline_and_tells_the_screens(
        live: LiveServer, seeded: OrgData, settings: Settings,
        tokens: Callable[[str], str]) -> None:
    home = inside(seeded, "003")
    t = now_ms()
    with phone(live, tokens("gw003")) as ws:
        send(ws, ping(1, *home, t))
        recv(ws)
    report = with_service(settings, lambda c: c.location.sweep(t + 16 * MINUTE_MS))
    assert report.states == {"offline": 1} and report.opened == []
    positions = screen_events(settings, "positions")
    assert positions[-1]["items"] == [{
        "worker": "gw003", "station": "S01", "lat": home[1], "lon": home[0], "ts": t,
        "state": "offline", "grid": "003"}]


def test_out_of_grid_judged_by_the_sweep_when_no_fix_comes(
        live: LiveServer, seeded: OrgData, settings: Settings,
        tokens: Callable[[str], str]) -> None:
    away = inside(seeded, "002")
    t = now_ms()
    with phone(live, tokens("gw001")) as ws:
        send(ws, {"type": "patrol.start"})
        recv(ws)
        send(ws, ping(1, *away, t))
        recv(ws)
        report = with_service(settings, lambda c: c.location.sweep(t + 6 * MINUTE_MS))
        kinds = sorted(a.split(":")[0] for a in report.opened)
        assert kinds == ["out_of_grid", "signal_lost"]
        got = {recv_until(ws, is_alert)["kind"] for _ in range(2)}
        assert got == {"out_of_grid", "signal_lost"}
        send(ws, {"type": "patrol.end"})
        closed = [recv_until(ws, is_alert) for _ in range(2)]
        assert {(a["kind"], a["state"], a["reason"]) for a in closed} == {
            ("out_of_grid", "cleared", "patrol_ended"),
            ("signal_lost", "cleared", "patrol_ended")}
    assert open_alerts(settings) == []


def test_a_phone_silent_on_patrol_as_long_as_an_offline_one_raises_offline_on_patrol(
        live: LiveServer, seeded: OrgData, settings: Settings,
        tokens: Callable[[str], str]) -> None:
    home = inside(seeded, "004")
    t = now_ms()
    with phone(live, tokens("gw004")) as ws:
        send(ws, {"type": "patrol.start"})
        recv(ws)
        send(ws, ping(1, *home, t))
        recv(ws)
        with_service(settings, lambda c: c.location.sweep(t + 6 * MINUTE_MS))  # signal lost
        assert recv_until(ws, is_alert)["kind"] == "signal_lost"
        first = with_service(settings, lambda c: c.location.sweep(t + 16 * MINUTE_MS))
        assert first.opened == ["offline_on_patrol:gw004"]
        told = recv_until(ws, is_alert)
        assert (told["kind"], told["state"]) == ("offline_on_patrol", "open")
        again = with_service(settings, lambda c: c.location.sweep(t + 17 * MINUTE_MS))
        assert again.opened == []  # once per silence
        assert sorted(a["kind"] for a in open_alerts(settings)) == [
            "offline_on_patrol", "signal_lost"]
        offline = next(a for a in open_alerts(settings) if a["kind"] == "offline_on_patrol")
        assert (offline["severity"], offline["subject"]) == ("major", {"worker": "gw004"})
        send(ws, ping(2, *home, now_ms()))  # heard again: both clear
        cleared = [recv_until(ws, is_alert) for _ in range(2)]
        assert {(a["kind"], a["state"]) for a in cleared} == {
            ("signal_lost", "cleared"), ("offline_on_patrol", "cleared")}
    assert open_alerts(settings) == []
