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


def test_a_lone_fix_goes_out_in_its_own_event_and_a_burst_shows_the_newest(
        settings: Settings, seeded: OrgData) -> None:
    with running(settings) as a:
        tokens = {f"gw{n:03d}": a.login(f"gw{n:03d}") for n in range(1, 31)}
        with connect(f"{a.ws_url}/ws/screen?token={a.login('disp1')}",
                     open_timeout=RECV_S) as screen:
            recv(screen)
            t = now_ms() - 60_000
            lon, lat = inside(seeded, "001")
            with phone(a, tokens["gw001"]) as ws:
                send(ws, {"type": "ping", "seq": 1, "lat": lat, "lon": lon, "ts": t})
                assert recv(ws)["type"] == "ack"
            lone = recv_until(screen, has_worker("gw001"))
            assert [i["worker"] for i in lone["items"]] == ["gw001"]  # not held for others
            # thirty phones send a batch each without waiting: each worker's newest shows
            sockets = [phone(a, token).__enter__() for token in tokens.values()]
            try:
                for n, (worker, ws) in enumerate(zip(tokens, sockets, strict=True)):
                    wlon, wlat = inside(seeded, worker[2:])
                    send(ws, {"type": "pings", "items": [
                        {"seq": k, "lat": wlat, "lon": wlon, "ts": t + 5_000 * (k + 1) + n}
                        for k in range(10)]})
                for ws in sockets:
                    assert recv(ws)["type"] == "ack"
            finally:
                for ws in sockets:
                    ws.close()
            seen: dict[str, int] = {}
            events = 0
            deadline = time.monotonic() + 10
            while len(seen) < 30:
                msg = recv(screen, max(0.01, deadline - time.monotonic()))
                if msg["type"] == "positions":
                    events += 1
                    seen.update({i["worker"]: i["ts"] for i in msg["items"]})
    assert all(ts >= t + 50_000 for ts in seen.values())  # each worker's newest fix
    assert events <= 30  # three hundred fixes, one position per batch at most


def test_two_web_processes_judge_a_jump_alike(settings: Settings, seeded: OrgData) -> None:
    """The jump filter reads the worker's newest fix from Redis, not from the process that
    happened to receive it: a jump is a jump whichever process hears it."""
    lon, lat = inside(seeded, "001")
    t = now_ms() - 60_000
    with running(settings) as a, running(settings) as b:
        with phone(a, a.login("gw001")) as ws:
            send(ws, {"type": "ping", "seq": 1, "lat": lat, "lon": lon, "ts": t})
            assert recv(ws) == {"type": "ack", "seq": 1}
        verdicts = {}
        for name, server, dlat, dt in (("b", b, 0.05, 10_000), ("a", a, 0.06, 20_000)):
            with server.client(server.login("gw001")) as http:
                body = http.post("/api/v1/locations", json={"items": [
                    {"lat": lat + dlat, "lon": lon, "ts": t + dt}]}).json()
            verdicts[name] = body["verdicts"]
        with b.client(b.login("gw001")) as http:
            near = http.post("/api/v1/locations", json={"items": [
                {"lat": lat + 1e-4, "lon": lon, "ts": t + 30_000}]}).json()
    assert verdicts == {"b": {"jump": 1}, "a": {"jump": 1}}  # 5.5 km in 10 s: a jump
    assert near["verdicts"] == {"ok": 1}  # judged against the fix stored through a
