"""Patrols: start in a window, stream a walk, end and measure; windows closing; reading."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from dispatch.bootstrap import Container
from dispatch.identity.principal import Principal
from dispatch.identity.roles import Role
from dispatch.location.patrol_store import PatrolRecord
from dispatch.org.model import OrgData
from dispatch.settings import Settings
from tests.conftest import LiveServer
from tests.location.fixtures import (
    local_ms,
    recent_morning,
    walk,
    with_service,
    worker_ref,
)

WINDOWS = "08:00-12:00,14:00-18:00"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"patrol_windows": WINDOWS, "patrol_min_duration_min": 30,
            "patrol_min_coverage": 0.6}


def start_at(settings: Settings, street: OrgData, worker: str, at: int) -> PatrolRecord:
    async def go(c: Container) -> PatrolRecord:
        record, created = await c.patrols.start(worker_ref(street, worker), now=at)
        assert created
        return record

    return with_service(settings, go)


def upload(live: LiveServer, token: str, pings: list[dict[str, Any]]) -> dict[str, Any]:
    with live.client(token) as http:
        r = http.post("/api/v1/locations", json={"items": pings})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_a_walked_patrol_is_complete(live: LiveServer, seeded: OrgData, settings: Settings,
                                     tokens: Callable[[str], str]) -> None:
    day = recent_morning()
    start = local_ms(day, 8, 30)
    record = start_at(settings, seeded, "gw001", start)
    assert record.window == "08:00-12:00" and record.date == day.isoformat()
    pings = walk(seeded, "001", start + 1_000, minutes=45)
    assert upload(live, tokens("gw001"), pings)["verdicts"] == {"ok": len(pings)}
    with live.client(tokens("gw001")) as http:
        progress = http.get(f"/api/v1/patrols/{record.id}").json()
        assert progress["status"] == "in_progress" and progress["coverage"] > 0.6
        r = http.post(f"/api/v1/patrols/{record.id}/end")
        assert r.status_code == 200, r.text
        ended = r.json()
        again = http.post(f"/api/v1/patrols/{record.id}/end").json()
    assert ended == again
    assert ended["status"] == "complete"
    assert ended["duration_s"] == pytest.approx(45 * 60 - 5, abs=1)
    assert 3_000 < ended["distance_m"] < 4_500  # 1.2 m/s for 45 minutes, plus GPS noise
    assert ended["coverage"] > 0.9 and ended["outside_grid_s"] == 0
    assert ended["points"] == len(pings)
    assert ended["window"] == {"name": "08:00-12:00", "start": local_ms(day, 8),
                               "end": local_ms(day, 12)}
    assert ended["start"] == start and ended["end"] <= local_ms(day, 12)


def test_a_short_patrol_is_incomplete(live: LiveServer, seeded: OrgData, settings: Settings,
                                      tokens: Callable[[str], str]) -> None:
    day = recent_morning()
    start = local_ms(day, 9)
    record = start_at(settings, seeded, "gw002", start)
    upload(live, tokens("gw002"), walk(seeded, "002", start, minutes=12))
    with live.client(tokens("gw002")) as http:
        ended = http.post(f"/api/v1/patrols/{record.id}/end").json()
    assert ended["status"] == "incomplete"
    assert ended["duration_s"] < 12 * 60 and ended["coverage"] < 0.9


def test_a_patrol_outside_the_windows_is_an_extra_one(
        seeded: OrgData, settings: Settings) -> None:
    day = recent_morning()
    gw = worker_ref(seeded, "gw005")

    async def go(c: Container) -> None:
        night, created = await c.patrols.start(gw, now=local_ms(day, 21),
                                               without_location=True)
        assert created and night.kind.value == "extra" and night.without_location
        public = night.public()
        assert public["kind"] == "extra" and public["window"]["name"] == ""
        latest = local_ms(day, 21) + settings.patrol_extra_max_h * 3_600_000
        assert public["window"]["end"] == latest  # the latest end: no window of its own
        assert public["without_location"] is True
        ended = await c.patrols.end(night.id, Principal("gw005", Role.GRID_WORKER, "005"),
                                    now=local_ms(day, 23))
        assert ended.status.value == "incomplete" and ended.kind.value == "extra"
        assert ended.end == local_ms(day, 23)  # no window cuts it short
        stored = await c.patrols.store.get(night.id)
        assert stored is not None and stored.without_location and stored.kind == night.kind
        # the clock ends a forgotten extra patrol after patrol_extra_max_h
        again, _ = await c.patrols.start(gw, now=local_ms(day, 23, 30))
        limit = local_ms(day, 23, 30) + settings.patrol_extra_max_h * 3_600_000
        await c.patrols.close_windows(limit)
        closed = await c.patrols.store.get(again.id)
        assert closed is not None and closed.end == limit and closed.ended_by == "window_end"

    with_service(settings, go)


def test_start_in_and_out_of_a_window_and_one_open_patrol(
        seeded: OrgData, settings: Settings) -> None:
    day = recent_morning()
    gw = worker_ref(seeded, "gw004")

    async def go(c: Container) -> None:
        extra, created = await c.patrols.start(gw, now=local_ms(day, 13))
        assert created and extra.kind.value == "extra" and extra.window == ""
        await c.patrols.end(extra.id, Principal("gw004", Role.GRID_WORKER, "004"),
                            now=local_ms(day, 13, 30))
        first, created = await c.patrols.start(gw, now=local_ms(day, 8, 5))
        second, again = await c.patrols.start(gw, now=local_ms(day, 8, 10))
        assert created and not again and second.id == first.id
        # the morning patrol was never ended: the afternoon start ends it at 12:00
        afternoon, fresh = await c.patrols.start(gw, now=local_ms(day, 14, 5))
        assert fresh and afternoon.window == "14:00-18:00"
        closed = await c.patrols.store.get(first.id)
        assert closed is not None and closed.end == local_ms(day, 12)
        assert closed.ended_by == "window_end" and closed.status.value == "incomplete"

    with_service(settings, go)


def test_window_close_records_misses_and_ends_open_patrols(
        live: LiveServer, seeded: OrgData, settings: Settings,
        tokens: Callable[[str], str]) -> None:
    day = recent_morning()
    early = start_at(settings, seeded, "gw001", local_ms(day, 8, 10))
    late = start_at(settings, seeded, "gw003", local_ms(day, 11, 30))
    upload(live, tokens("gw003"), walk(seeded, "003", local_ms(day, 11, 30), minutes=25))

    async def end_early(c: Container) -> None:
        await c.patrols.end(early.id, Principal("gw001", Role.GRID_WORKER, "001"),
                            now=local_ms(day, 9))

    with_service(settings, end_early)
    before = with_service(settings, lambda c: c.patrols.close_windows(local_ms(day, 11, 59)))
    assert [r for r in before if r.date == day.isoformat()] == []  # (the day before's closed)
    written = with_service(settings, lambda c: c.patrols.close_windows(
        local_ms(day, 12) + 30_000))
    morning = [r for r in written if r.date == day.isoformat() and r.window == "08:00-12:00"]
    by_worker = {r.worker: r for r in morning}
    assert by_worker["gw003"].id == late.id and by_worker["gw003"].ended_by == "window_end"
    assert by_worker["gw003"].end == local_ms(day, 12)
    assert by_worker["gw003"].status.value == "incomplete"
    assert by_worker["gw003"].duration_s == pytest.approx(25 * 60 - 5, abs=1)
    assert "gw001" not in by_worker
    missed = [r for r in morning if r.status.value == "missed"]
    assert len(missed) == 106 and by_worker["gw002"].status.value == "missed"
    assert by_worker["gw002"].start == local_ms(day, 8)
    repeat = with_service(settings, lambda c: c.patrols.close_windows(
        local_ms(day, 12) + 60_000))
    assert repeat == []  # closed once
    alerts = [a for a in with_service(settings, lambda c: c.alerts.active())
              if a["kind"] == "patrol_missed" and a["bucket"] == f"{day}|08:00-12:00"]
    # one alert per station for the window, each counting its workers
    assert sum(a["count"] for a in alerts) == 106
    assert len(alerts) == len({a["scope"]["station"] for a in alerts})
    gw002 = [a for a in alerts if a["members"].get("gw002")]
    assert len(gw002) == 1 and gw002[0]["data"]["window"] == "08:00-12:00"
    assert not [a for a in alerts if {"gw001", "gw003"} & set(a["members"])]
    with live.client(tokens("gw002")) as http:
        mine = http.get("/api/v1/patrols", params={"date": day.isoformat()}).json()["items"]
    assert [(p["window"]["name"], p["status"]) for p in mine] == [("08:00-12:00", "missed")]


def test_the_track_is_a_simplified_line_string(
        live: LiveServer, seeded: OrgData, settings: Settings,
        tokens: Callable[[str], str]) -> None:
    day = recent_morning()
    start = local_ms(day, 10)
    record = start_at(settings, seeded, "gw001", start)
    pings = walk(seeded, "001", start, minutes=20)
    upload(live, tokens("gw001"), pings)
    with live.client(tokens("screen1")) as http:
        feature = http.get(f"/api/v1/patrols/{record.id}/track").json()
        day_track = http.get("/api/v1/workers/gw001/track",
                             params={"date": day.isoformat()}).json()
    assert feature["type"] == "Feature" and feature["geometry"]["type"] == "LineString"
    props = feature["properties"]
    assert props["points"] == len(pings) and props["patrol"] == record.id
    assert 2 <= props["simplified_points"] < len(pings) / 2
    coords = feature["geometry"]["coordinates"]
    assert coords[0] == pytest.approx([pings[0]["lon"], pings[0]["lat"]], abs=1e-6)
    assert coords[-1] == pytest.approx([pings[-1]["lon"], pings[-1]["lat"]], abs=1e-6)
    assert day_track["geometry"]["type"] == "LineString"
    assert day_track["properties"]["points"] == len(pings)


def test_who_sees_which_patrols(live: LiveServer, seeded: OrgData, settings: Settings,
                                tokens: Callable[[str], str]) -> None:
    day = recent_morning()
    one = start_at(settings, seeded, "gw001", local_ms(day, 8, 30))
    two = start_at(settings, seeded, "gw002", local_ms(day, 8, 40))
    params = {"date": day.isoformat()}
    with live.client(tokens("gw001")) as http:
        mine = http.get("/api/v1/patrols", params=params).json()["items"]
        assert [p["id"] for p in mine] == [one.id]
        assert http.get("/api/v1/patrols", params={**params, "worker": "gw002"}
                        ).status_code == 403
        assert http.get(f"/api/v1/patrols/{two.id}").status_code == 403
        assert http.get(f"/api/v1/patrols/{two.id}/track").status_code == 403
        assert http.post(f"/api/v1/patrols/{two.id}/end").status_code == 403
        assert http.get("/api/v1/workers/gw002/track").status_code == 403
        assert http.get("/api/v1/patrols/999999").status_code == 404
        assert http.get("/api/v1/patrols", params={"date": "someday"}).status_code == 400
    for viewer in ("screen1", "disp1", "assess1", "lead01", "admin"):
        with live.client(tokens(viewer)) as http:
            found = http.get("/api/v1/patrols", params=params).json()["items"]
            assert [p["worker"] for p in found] == ["gw001", "gw002"], viewer
            only = http.get("/api/v1/patrols", params={**params, "worker": "gw002"}).json()
            assert [p["id"] for p in only["items"]] == [two.id]
    with live.client(tokens("dm001")) as http:
        assert http.get("/api/v1/patrols", params=params).status_code == 403
