"""The screen stream: snapshot, ordered deltas, resume with since, resync, filters."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import orjson
import pytest
from websockets.sync.client import ClientConnection, connect

from dispatch.access import screen_scope
from dispatch.bootstrap import bootstrap
from dispatch.identity.principal import Principal
from dispatch.identity.roles import Role
from dispatch.settings import Settings
from tests.conftest import LiveServer, emit

RECV_S = 5


def recv(ws: ClientConnection) -> dict[str, Any]:
    return dict(orjson.loads(ws.recv(timeout=RECV_S)))


def screen(live: LiveServer, token: str, query: str = "") -> ClientConnection:
    return connect(f"{live.ws_url}/ws/screen?token={token}{query}", open_timeout=RECV_S)


def case_event(n: int, station: str = "S01", dept: str = "hw") -> dict[str, Any]:
    return {"type": "case", "case": {"id": str(n), "station": station, "department": dept}}


def test_snapshot_then_deltas_in_order(live: LiveServer, tokens: Callable[[str], str]) -> None:
    emit(live.settings, case_event(0))
    with screen(live, tokens("screen1")) as ws:
        snap = recv(ws)
        assert snap["type"] == "snapshot" and snap["seq"] == 1
        emit(live.settings, *(case_event(n) for n in range(1, 6)))
        got = [recv(ws) for _ in range(5)]
    assert [e["seq"] for e in got] == [2, 3, 4, 5, 6]
    assert [e["case"]["id"] for e in got] == ["1", "2", "3", "4", "5"]


def test_resume_with_since_replays_exactly_what_was_missed(
        live: LiveServer, tokens: Callable[[str], str]) -> None:
    with screen(live, tokens("screen1")) as ws:
        seen = recv(ws)["seq"]
    emit(live.settings, *(case_event(n) for n in range(3)))
    with screen(live, tokens("disp1"), f"&since={seen}") as ws:
        replay = [recv(ws) for _ in range(3)]
        emit(live.settings, case_event(9))
        live_one = recv(ws)
    assert [e["type"] for e in replay] == ["case"] * 3
    assert [e["seq"] for e in replay] == [seen + 1, seen + 2, seen + 3]
    assert live_one["seq"] == seen + 4


def test_since_too_old_gets_a_fresh_snapshot(live: LiveServer, settings: Settings,
                                             tokens: Callable[[str], str]) -> None:
    emit(live.settings, *(case_event(n) for n in range(3)))
    async def trim() -> None:
        c = bootstrap(settings)
        await c.redis.xtrim(c.keys.events_stream(), maxlen=1, approximate=False)
        await c.aclose()
    asyncio.run(trim())
    with screen(live, tokens("screen1"), "&since=1") as ws:
        first = recv(ws)
    assert first["type"] == "snapshot" and first["seq"] == 3


def test_station_filter(live: LiveServer, tokens: Callable[[str], str]) -> None:
    with screen(live, tokens("screen1"), "&station=S02") as ws:
        assert recv(ws)["filter"]["station"] == "S02"
        emit(live.settings, case_event(1, "S01"), case_event(2, "S02"),
             {"type": "positions", "items": [{"worker": "gw001", "station": "S01"},
                                             {"worker": "gw050", "station": "S02"}]})
        first, second = recv(ws), recv(ws)
    assert first["case"]["id"] == "2"
    assert second["items"] == [{"worker": "gw050", "station": "S02"}]


def test_lead_sees_only_their_department(live: LiveServer,
                                         tokens: Callable[[str], str]) -> None:
    with screen(live, tokens("lead05"), "&department=cgj") as ws:  # lead05 leads hw
        assert recv(ws)["filter"]["department"] == "hw"
        emit(live.settings, case_event(1, dept="cgj"), case_event(2, dept="hw"))
        assert recv(ws)["case"]["id"] == "2"


def test_station_lead_sees_only_their_station(live: LiveServer,
                                             tokens: Callable[[str], str]) -> None:
    """sl01 leads S01: asking for S02 still follows S01, and nothing of another station or
    of no station reaches the screen (cases, alerts, positions, patrols)."""
    with screen(live, tokens("sl01"), "&station=S02") as ws:
        assert recv(ws)["filter"]["station"] == "S01"
        no_station = {"type": "case", "case": {"id": "3", "department": "hw"}}
        emit(live.settings, case_event(1, "S02"), no_station,
             {"type": "alert", "kind": "checkin_late", "scope": {"street": "st",
                                                                 "station": "S02"}},
             {"type": "alert", "kind": "ingest_lag", "scope": {"street": "st"}},
             {"type": "patrol", "patrol": {"id": "P1", "worker": "gw050", "station": "S02"}},
             {"type": "positions", "items": [{"worker": "gw050", "station": "S02"},
                                             {"worker": "dm001", "department": "cgj"}]},
             case_event(2, "S01"),
             {"type": "alert", "kind": "checkin_late", "scope": {"street": "st",
                                                                 "station": "S01"}},
             {"type": "positions", "items": [{"worker": "gw001", "station": "S01"}]},
             {"type": "patrol", "patrol": {"id": "P2", "worker": "gw001", "station": "S01"}})
        got = [recv(ws) for _ in range(4)]
    assert [e["type"] for e in got] == ["case", "alert", "positions", "patrol"]
    assert got[3]["patrol"]["id"] == "P2"
    assert got[0]["case"]["id"] == "2"
    assert got[1]["scope"]["station"] == "S01"
    assert got[2]["items"] == [{"worker": "gw001", "station": "S01"}]


def test_a_station_leads_scope_holds_whatever_is_asked() -> None:
    """Pure: the station lead's filter is their station whatever the address asks, and a
    lead with no station on record sees nothing that has a place."""
    lead = screen_scope(Principal("sl01", Role.STATION_LEAD, "S01"), "S02", None)
    assert (lead.station, lead.active) == ("S01", True)
    assert lead.admits({"station": "S01"}) and not lead.admits({"station": "S02"})
    assert not lead.admits({"department": "hw"})  # a case or worker of no station
    assert lead.admits({"type": "figures"}, placed=False)
    nowhere = screen_scope(Principal("sl99", Role.STATION_LEAD, None), None, None)
    assert nowhere.active and not nowhere.admits({"station": "S01"})
    street = screen_scope(Principal("screen1", Role.SCREEN), None, None)
    assert not street.active and street.admits({"department": "hw"})


def test_bad_since_is_an_error_message_and_the_socket_stays(
        live: LiveServer, tokens: Callable[[str], str]) -> None:
    with screen(live, tokens("screen1"), "&since=abc") as ws:
        err = recv(ws)
        assert err["type"] == "error" and err["code"] == "bad_request"
        assert recv(ws)["type"] == "snapshot"
        ws.send(orjson.dumps({"type": "ping", "seq": 7}).decode())
        assert recv(ws) == {"type": "pong", "seq": 7}


class TestSlowScreen:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"ws_queue_len": 2}

    def test_overflow_resyncs(self, live: LiveServer, tokens: Callable[[str], str]) -> None:
        with screen(live, tokens("screen1")) as ws:
            recv(ws)
            emit(live.settings, *(case_event(n) for n in range(3000)))
            kinds = set()
            for _ in range(3000):
                msg = recv(ws)
                kinds.add(msg["type"])
                if msg["type"] == "snapshot":
                    break
        assert "resync" in kinds and "snapshot" in kinds
