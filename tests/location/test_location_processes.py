"""Two web processes on one Redis: a fix received by one reaches screens on the other."""

from __future__ import annotations

import time
from typing import Any

from websockets.sync.client import connect

from dispatch.org.model import OrgData
from dispatch.settings import Settings
from tests.conftest import running
from tests.location.fixtures import RECV_S, inside, now_ms, phone, recv, recv_until, send


def has_worker(worker: str) -> Any:
    def pred(msg: dict[str, Any]) -> bool:
        return msg["type"] == "positions" and any(i["worker"] == worker for i in msg["items"])

    return pred


def test_positions_reach_a_screen_attached_to_another_process(
        settings: Settings, seeded: OrgData) -> None:
    lon, lat = inside(seeded, "001")
    with running(settings) as a, running(settings) as b, connect(
            f"{b.ws_url}/ws/screen?token={b.login('screen1')}", open_timeout=RECV_S) as screen:
        snapshot = recv(screen)
        assert snapshot["type"] == "snapshot"
        assert len(snapshot["workers"]) == 108 and snapshot["alerts"] == []
        t = now_ms() - 30_000
        batch = [{"seq": n, "lat": lat + n * 1e-5, "lon": lon, "ts": t + n * 5_000}
                 for n in range(5)]
        with phone(a, a.login("gw001")) as ws:
            send(ws, {"type": "pings", "items": batch})
            assert recv(ws) == {"type": "ack", "seq": 4}
            event = recv_until(screen, has_worker("gw001"))
    mine = [i for i in event["items"] if i["worker"] == "gw001"]
    assert len(mine) == 1  # coalesced: the newest fix only
    assert mine[0]["ts"] == t + 20_000 and mine[0]["grid"] == "001"
    assert mine[0]["state"] == "online" and mine[0]["station"] == "S01"
    assert event["seq"] > snapshot["seq"]


def test_many_phones_many_fixes_few_positions_events(
        settings: Settings, seeded: OrgData) -> None:
    with running(settings) as a:
        tokens = {f"gw{n:03d}": a.login(f"gw{n:03d}") for n in range(1, 11)}
        with connect(f"{a.ws_url}/ws/screen?token={a.login('disp1')}",
                     open_timeout=RECV_S) as screen:
            recv(screen)
            t = now_ms() - 60_000
            for round_ in range(3):
                for worker, token in tokens.items():
                    lon, lat = inside(seeded, worker[2:])
                    with phone(a, token) as ws:
                        send(ws, {"type": "ping", "seq": round_, "lat": lat, "lon": lon,
                                  "ts": t + round_ * 5_000})
                        recv(ws)
            seen: dict[str, int] = {}
            events = 0
            deadline = time.monotonic() + 5
            while len(seen) < 10 or any(ts < t + 10_000 for ts in seen.values()):
                msg = recv(screen, max(0.01, deadline - time.monotonic()))
                if msg["type"] == "positions":
                    events += 1
                    seen.update({i["worker"]: i["ts"] for i in msg["items"]})
    assert events < 30 / 2  # thirty fixes, far fewer events
