"""The phone socket: acks by highest stored seq, batches with bad items, the live position."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

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
    send,
    with_service,
)


@pytest.fixture
def settings_overrides(ingest_client: dict[str, bool]) -> dict[str, Any]:
    return {"patrol_windows": ALL_DAY_WINDOWS, "max_batch": 5, **ingest_client}


def test_single_pings_are_acked_with_the_highest_seq_stored(
        live: LiveServer, seeded: OrgData, tokens: Callable[[str], str]) -> None:
    lon, lat = inside(seeded, "001")
    t = now_ms()
    with phone(live, tokens("gw001")) as ws:
        send(ws, ping(1, lon, lat, t - 20_000))
        assert recv(ws) == {"type": "ack", "seq": 1}
        send(ws, ping(5, lon + 0.0001, lat, t - 10_000))
        assert recv(ws) == {"type": "ack", "seq": 5}
        send(ws, ping(3, lon + 0.0002, lat, t - 15_000))  # late and out of order: still 5
        assert recv(ws) == {"type": "ack", "seq": 5}
        send(ws, ping(6, lon, lat, t - 10_000))  # same time again: already stored, acked
        assert recv(ws) == {"type": "ack", "seq": 6}
        send(ws, ping(7, 0.0, 0.0, t))
        assert recv(ws) == {"type": "error", "code": "ping_invalid",
                            "message": "the position is not a valid fix", "ref": 7}
        send(ws, {"type": "ping", "seq": 8, "lat": "x", "lon": lon, "ts": t})
        err = recv(ws)
        assert err["type"] == "error" and err["field"] == "lat" and err["ref"] == 8


def test_a_batch_keeps_the_good_pings_and_reports_the_bad(
        live: LiveServer, seeded: OrgData, settings: Settings,
        tokens: Callable[[str], str]) -> None:
    lon, lat = inside(seeded, "001")
    t = now_ms() - MINUTE_MS
    items = [
        {"seq": 10, "lat": lat, "lon": lon, "ts": t},
        {"seq": 11, "lat": 95.0, "lon": lon, "ts": t + 5_000},        # impossible latitude
        {"seq": 12, "lon": lon, "ts": t + 10_000},                    # no latitude
        {"seq": 13, "lat": lat, "lon": lon, "ts": t + 15_000 + 3_600_000},  # an hour ahead
        {"seq": 14, "lat": lat + 0.00005, "lon": lon, "ts": t + 20_000},
    ]
    with phone(live, tokens("gw001")) as ws:
        send(ws, {"type": "pings", "items": items})
        replies = [recv(ws) for _ in range(4)]
        assert replies[0] == {"type": "ack", "seq": 14}
        errors = {r["ref"]: r for r in replies[1:]}
        assert errors[11]["code"] == "ping_invalid"
        assert errors[12]["code"] == "missing_field" and errors[12]["field"] == "items[2].lat"
        assert errors[13]["code"] == "ping_future"
        send(ws, {"type": "pings", "items": items + items})  # over max_batch (5)
        too_many = recv(ws)
        assert too_many["code"] == "too_many_items" and too_many["field"] == "items"
    track = with_service(settings, lambda c: c.location.track_between("gw001", t, t + 60_000))
    assert track.ts.tolist() == [t, t + 20_000]


def test_live_position_follows_the_newest_fix_only(
        live: LiveServer, seeded: OrgData, settings: Settings,
        tokens: Callable[[str], str]) -> None:
    lon, lat = inside(seeded, "001")
    t = now_ms() - 2 * MINUTE_MS
    newer = ping(2, lon + 0.0002, lat, t + 60_000)
    older = ping(1, lon, lat, t)
    with phone(live, tokens("gw001")) as ws:
        send(ws, newer)
        recv(ws)
        send(ws, older)  # late: stored in the track, the worker stays where they are
        recv(ws)
    with live.client(tokens("disp1")) as http:
        items = http.get("/api/v1/workers").json()["items"]
    me = next(w for w in items if w["worker"] == "gw001")
    assert me["position"]["ts"] == t + 60_000
    assert me["position"]["lon"] == pytest.approx(lon + 0.0002)
    assert me["position"]["grid"] == "001" and me["state"] == "online"
    track = with_service(settings, lambda c: c.location.track_between("gw001", t, t + 60_000))
    assert track.ts.tolist() == [t, t + 60_000]
    near = with_service(settings, lambda c: c.location.store.near(lon + 0.0002, lat, 10.0))
    assert near == ["gw001"]


def test_a_worker_sends_only_their_own_location(
        live: LiveServer, seeded: OrgData, tokens: Callable[[str], str]) -> None:
    lon, lat = inside(seeded, "002")
    with phone(live, tokens("gw001")) as ws:
        send(ws, {**ping(1, lon, lat, now_ms()), "worker": "gw002"})
        err = recv(ws)
    assert err["type"] == "error" and err["code"] == "not_your_location" and err["ref"] == 1


def test_patrol_over_the_socket_and_pushes_to_the_phone(
        live: LiveServer, seeded: OrgData, settings: Settings,
        tokens: Callable[[str], str]) -> None:
    with phone(live, tokens("gw001")) as ws:
        send(ws, {"type": "patrol.start"})
        started = recv(ws)
        assert started["type"] == "patrol.started"
        assert started["patrol"]["status"] == "in_progress"
        send(ws, {"type": "patrol.start"})  # one open patrol: the same one again
        assert recv(ws)["patrol"]["id"] == started["patrol"]["id"]
        task = {"type": "task", "kind": "verify", "case": "42"}

        async def push(c: Any) -> None:
            from dispatch.realtime.hub import publish
            await publish(c.redis, c.keys.user_channel("gw001"), task)

        with_service(settings, push)
        assert recv(ws) == task
        send(ws, {"type": "patrol.end"})
        ended = recv(ws)
        assert ended["type"] == "patrol.ended" and ended["patrol"]["status"] == "incomplete"
        send(ws, {"type": "patrol.end"})
        assert recv(ws)["code"] == "no_open_patrol"
        send(ws, {"type": "dance"})
        assert recv(ws)["code"] == "unknown_type"
