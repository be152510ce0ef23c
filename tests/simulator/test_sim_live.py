"""The simulator against the real server: every protocol, the race, short runs."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from clients.simulator import stats as S
from clients.simulator.config import SimConfig
from clients.simulator.context import Ctx
from clients.simulator.main import main, make_context, simulate
from clients.simulator.members import Department, Member
from clients.simulator.phones import OsmAndPhone, OwnTracksPhone, PhoneKind, SocketPhone
from clients.simulator.screens import Screen
from clients.simulator.street_mode import load_street
from clients.simulator.walker import Walker
from clients.simulator.worker import GridWorker
from tests.conftest import PASSWORD, LiveServer
from tests.waiting import until

ROOT = Path(__file__).resolve().parents[2]
WAIT_S = 10.0
FIX_STEP_S = 5.0
FIX_GAP_MS = 5000
#: Patrols may start at any hour of the day in these tests.
ALL_DAY = "am=00:00-12:00,pm=12:00-00:00"
#: Human delays shrink so much that a test's race is over in a moment.
FAST = 1000.0
WORKER = "gw001"
#: A joint case's parts and a whistle's check-ins take several steps each (a busy machine).
JOINT_WAIT_S = 60.0

Tokens = Callable[[str], str]


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"patrol_windows": ALL_DAY}


def config(live: LiveServer, **kw: Any) -> SimConfig:
    return replace(SimConfig(url=live.url, password=PASSWORD, seed=11), **kw)


async def with_ctx(live: LiveServer, tokens: Tokens, body: Callable[[Ctx], Awaitable[None]],
                   **kw: Any) -> Ctx:
    ctx = make_context(config(live, **kw))
    try:
        await load_street(ctx, tokens("disp1"))
        await body(ctx)
    finally:
        await ctx.tasks.cancel_all()
        await ctx.api.aclose()
    return ctx


def pings(ctx: Ctx, worker: str, count: int, first_seq: int = 1) -> list[dict[str, Any]]:
    grid = ctx.street.of_worker(worker)
    assert grid is not None
    walker = Walker(grid, random.Random(1), wanderer=False)
    start = int(time.time() * 1000) - count * FIX_GAP_MS
    return [walker.step(FIX_STEP_S).ping(first_seq + n, start + n * FIX_GAP_MS)
            for n in range(count)]


async def noop(message: dict[str, Any]) -> None:
    return None


def no_errors(ctx_stats: S.Stats) -> None:
    assert ctx_stats[S.ERRORS] == 0, dict(ctx_stats.last_error)


def test_socket_phone_batches_are_acked(live: LiveServer, tokens: Tokens) -> None:
    async def body(ctx: Ctx) -> None:
        phone = SocketPhone(ctx, WORKER, tokens(WORKER), noop)
        ctx.spawn(phone.run(), "phone")
        await asyncio.wait_for(phone.socket.connected.wait(), WAIT_S)
        for ping in pings(ctx, WORKER, 3):
            await phone.fix(ping)
        await phone.flush()
        await until(lambda: ctx.stats[S.ACKS] >= 1, "an ack")
        assert not phone.unacked

    ctx = asyncio.run(with_ctx(live, tokens, body))
    assert ctx.stats[S.PINGS] >= 3
    assert ctx.stats.p(S.ACK_MS, S.P50) is not None
    no_errors(ctx.stats)


def test_osmand_and_owntracks_reach_the_server(live: LiveServer, tokens: Tokens) -> None:
    async def body(ctx: Ctx) -> None:
        query = OsmAndPhone(ctx, "gw002", random.Random(1))
        query.json_body = False
        newer = OsmAndPhone(ctx, "gw003", random.Random(1))
        newer.json_body = True
        owntracks = OwnTracksPhone(ctx, "gw004", PASSWORD)
        for phone, worker in ((query, "gw002"), (newer, "gw003"), (owntracks, "gw004")):
            for ping in pings(ctx, worker, 2):
                await phone.fix(ping)

    ctx = asyncio.run(with_ctx(live, tokens, body))
    no_errors(ctx.stats)  # OsmAnd answered 200, OwnTracks 200 with []
    assert ctx.stats[S.PINGS] == 6
    with live.client(tokens("disp1")) as c:
        workers = {w["worker"]: w for w in c.get("/api/v1/workers").json()["items"]}
    for worker in ("gw002", "gw003", "gw004"):
        assert workers[worker]["position"] is not None, workers[worker]


def test_late_upload_is_stored_out_of_order_and_once(live: LiveServer, tokens: Tokens) -> None:
    async def body(ctx: Ctx) -> None:
        phone = SocketPhone(ctx, WORKER, tokens(WORKER), noop)
        buffered = pings(ctx, WORKER, 6)
        await phone.upload_late(buffered)
        await phone.upload_late(buffered[:2])  # the same fixes again: stored once

    ctx = asyncio.run(with_ctx(live, tokens, body))
    no_errors(ctx.stats)
    assert ctx.stats[S.LATE_UPLOADED] >= 8
    with live.client(tokens("disp1")) as c:
        track = c.get(f"/api/v1/workers/{WORKER}/track").json()
    assert track["properties"]["points"] == 6, track["properties"]


def test_screen_times_pings_until_they_show(live: LiveServer, tokens: Tokens) -> None:
    async def body(ctx: Ctx) -> None:
        Screen(ctx, tokens("screen1"), 0, timing=True).start()
        phone = SocketPhone(ctx, WORKER, tokens(WORKER), noop)
        ctx.spawn(phone.run(), "phone")
        await asyncio.wait_for(phone.socket.connected.wait(), WAIT_S)
        await until(lambda: ctx.stats[S.SCREEN_EVENTS] >= 1, "the snapshot")
        now = int(time.time() * 1000)
        for n, ping in enumerate(pings(ctx, WORKER, 3)):
            ping["ts"] = now + n
            await phone.fix(ping)
            await phone.flush()
        await until(lambda: ctx.stats.latency(S.SCREEN_MS).count >= 1, "a positions event")

    ctx = asyncio.run(with_ctx(live, tokens, body))
    no_errors(ctx.stats)


def test_members_race_and_only_one_wins(live: LiveServer, tokens: Tokens) -> None:
    async def body(ctx: Ctx) -> None:
        catalogue_item = next(i for i in ctx.catalogue.items if i.tier == "complex")
        grid = ctx.street.of_worker(WORKER)
        assert grid is not None
        lon, lat = grid.random_lonlat(ctx.rng)
        reply = await ctx.api.post("report", "/api/v1/cases", tokens(WORKER),
                                   {"client_id": "race-1", "item": catalogue_item.code,
                                    "lat": lat, "lon": lon, "description": "test"})
        case = reply.body
        assert reply.status == 201 and case["state"] == "dispatched", reply.describe()
        dept = await ctx.api.get("dept", f"/api/v1/departments/{case['department']}",
                                 tokens("disp1"))
        team = Department(ctx, case["department"])
        for name in dept.body["members"][:2]:
            member = Member(ctx, name, tokens(name), team)
            team.people.append(member)
            member.start()
        for member in team.people:
            await asyncio.wait_for(member.socket.connected.wait(), WAIT_S)
        await until(lambda: ctx.stats[S.OFFERS] >= 2, "the offer on both sockets")
        won = await asyncio.gather(*(m.try_accept(case) for m in team.people))
        assert sorted(won) == [False, True]
        await until(lambda: ctx.stats[S.TAKEN] >= 1, "job.taken for the loser")

    ctx = asyncio.run(with_ctx(live, tokens, body, speed=FAST))
    assert ctx.stats[S.ACCEPTED] == 1 and ctx.stats[S.LOST_RACES] == 1
    no_errors(ctx.stats)


def test_a_short_run_reports_dispatches_accepts_and_refuses(
        live: LiveServer, tokens: Tokens) -> None:
    tokens("disp1")  # the street is seeded
    cfg = config(live, workers=4, members=18, screens=1, speed=30.0, duration_s=10.0,
                 report_every_s=30.0, bad_share=0.3, osmand_share=0.25, owntracks_share=0.25,
                 patrol_min=0.5, patrol_rest_min=0.2, quiet=True)
    stats = asyncio.run(simulate(cfg))
    assert stats[S.PINGS] > 0 and stats[S.ACKS] > 0
    assert stats[S.PATROLS_STARTED] >= 1
    assert stats[S.REPORTS] > 0
    assert stats[S.REFUSED] >= 1, "no bad report was refused"
    assert stats[S.OFFERS] > 0 and stats[S.ACCEPTED] > 0
    assert stats.p(S.ACCEPT_MS, S.P50) is not None
    assert stats[S.SCREEN_EVENTS] > 0
    no_errors(stats)


def test_load_mode_prints_one_table(live: LiveServer, tokens: Tokens,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    tokens("disp1")
    cfg = config(live, phones=40, interval_s=1.0, duration_s=3.0, reports_per_s=4.0,
                 screens=1, workers=10)
    stats = asyncio.run(simulate(cfg))
    out = capsys.readouterr().out
    for label in ("pings/s achieved", "ack latency p50 / p99", "ping -> screen p50 / p99",
                  "report -> offer p50 / p99", "errors", "server RSS", "server CPU",
                  "simulator CPU"):
        assert label in out
    assert stats[S.ACKS] > 0 and stats[S.REPORTS] > 0
    assert stats.latency(S.OFFER_MS).count > 0
    no_errors(stats)


def test_main_prints_figures_and_stops_on_its_own(live: LiveServer, tokens: Tokens,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    tokens("disp1")
    code = main(["--url", live.url, "--password", PASSWORD, "--workers", "2", "--members", "2",
                 "--screens", "1", "--speed", "20", "--duration", "2.5", "--plain"])
    out = capsys.readouterr().out
    assert code == 0
    line = out.splitlines()[0]
    for field in ("ping/s=", "ack=", "rep=", "acc=", "err=", "recon=", "scr/s="):
        assert field in line
    assert len(line) <= 80
    assert "simulated street:" in out


def test_sigterm_stops_it_cleanly(live: LiveServer, tokens: Tokens) -> None:
    tokens("disp1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "clients.simulator.main", "--url", live.url, "--password",
         PASSWORD, "--workers", "3", "--members", "3", "--speed", "10", "--plain"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert proc.stdout is not None
    reader = ThreadPoolExecutor(max_workers=1)
    first = reader.submit(proc.stdout.readline).result(timeout=3 * WAIT_S)  # it is playing
    reader.shutdown()
    assert b"ping/s=" in first, first
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=WAIT_S)
    out = first + out
    assert proc.returncode == 0, err.decode()
    assert b"simulated street:" in out
    assert b"Task was destroyed" not in err and b"Traceback" not in err


def test_patrols_start_and_end_on_the_socket_and_over_http(
        live: LiveServer, tokens: Tokens) -> None:
    async def body(ctx: Ctx) -> None:
        grid = ctx.street.of_worker(WORKER)
        assert grid is not None
        worker = GridWorker(ctx, WORKER, tokens(WORKER), grid, PhoneKind.SOCKET)
        phone = worker.phone
        assert isinstance(phone, SocketPhone)
        ctx.spawn(phone.run(), "phone")
        await asyncio.wait_for(phone.socket.connected.wait(), WAIT_S)
        started = await phone.patrol("patrol.start")
        assert started is not None and started["type"] == "patrol.started", started
        for ping in pings(ctx, WORKER, 4):
            await phone.fix(ping)
        await phone.flush()
        ended = await phone.patrol("patrol.end")
        assert ended is not None and ended["type"] == "patrol.ended", ended
        await phone.socket.offline()  # now the worker's patrols go over HTTP
        patrol = await worker.start_patrol()
        assert patrol is not None
        await worker.end_patrol(patrol)

    ctx = asyncio.run(with_ctx(live, tokens, body))
    no_errors(ctx.stats)
    assert ctx.stats[S.PATROLS_STARTED] == 1 and ctx.stats[S.PATROLS_ENDED] == 1
    with live.client(tokens(WORKER)) as c:
        found = c.get("/api/v1/patrols", params={"worker": WORKER}).json()["items"]
    assert len(found) == 2
    assert {p["status"] for p in found} <= {"complete", "incomplete"}


def test_screen_resumes_with_since_after_a_drop(live: LiveServer, tokens: Tokens) -> None:
    async def body(ctx: Ctx) -> None:
        screen = Screen(ctx, tokens("screen1"), 0, timing=False)
        screen.start()
        await until(lambda: screen.last_seq is not None, "the snapshot")
        await screen.socket.offline()
        phone = SocketPhone(ctx, WORKER, tokens(WORKER), noop)
        ctx.spawn(phone.run(), "phone")
        await asyncio.wait_for(phone.socket.connected.wait(), WAIT_S)
        for ping in pings(ctx, WORKER, 2):
            await phone.fix(ping)
        await phone.flush()
        await until(lambda: ctx.stats[S.ACKS] >= 1, "an ack")
        missed_from = screen.last_seq
        assert missed_from is not None
        screen.socket.back_online()
        await until(lambda: (screen.last_seq or 0) > missed_from, "the missed events")
        assert screen.snapshots == 1 and screen.gaps == 0

    ctx = asyncio.run(with_ctx(live, tokens, body))
    assert ctx.stats[S.RECONNECTS] >= 1
    no_errors(ctx.stats)


def test_members_play_a_joint_case_and_a_whistle(live: LiveServer, tokens: Tokens,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Illegal construction (SR07): housing and construction (zj) leads, law enforcement
    (zhzf) and city management (cgj) assist; the simulated members win each part and
    report it, the lead resolves once they did; a whistle on the case brings one member of
    each summoned department on site (checked in), one tapping from afar is refused."""
    async def body(ctx: Ctx) -> None:
        grid = ctx.street.of_worker(WORKER)
        assert grid is not None
        lon, lat = grid.random_lonlat(ctx.rng)
        reply = await ctx.api.post("report", "/api/v1/cases", tokens(WORKER),
                                   {"client_id": "joint-1", "item": "SR07",
                                    "lat": lat, "lon": lon, "description": "违建"})
        case = reply.body
        assert [p["department"] for p in case["parts"]] == ["zhzf", "cgj"], reply.describe()
        teams = {}
        for dept in ("zhzf", "cgj"):
            info = await ctx.api.get("dept", f"/api/v1/departments/{dept}", tokens("disp1"))
            team = teams[dept] = Department(ctx, dept)
            for name in info.body["members"][:2]:
                member = Member(ctx, name, tokens(name), team)
                team.people.append(member)
                member.start()
        for team in teams.values():
            for member in team.people:
                await asyncio.wait_for(member.socket.connected.wait(), WAIT_S)
        cid = case["id"]
        for team in teams.values():  # parts offered before the sockets opened: on connect
            await until(lambda t=team: cid in t.parts, f"{team.id} offer", JOINT_WAIT_S)
        await until(lambda: ctx.stats[S.PARTS_RESOLVED] >= 2, "both parts reported",
                    JOINT_WAIT_S)
        lead = Member(ctx, "dm175", tokens("dm175"), Department(ctx, "zj"))  # the lead's
        assert await lead.try_accept(case)
        await lead.resolve(cid)
        assert ctx.stats[S.RESOLVED] == 1
        blown = await ctx.api.post("whistle", f"/api/v1/cases/{cid}/whistle", tokens("disp1"),
                                   {"departments": ["zhzf", "cgj"], "respond_min": 30})
        assert blown.ok, blown.describe()
        await until(lambda: ctx.stats[S.CHECKINS] >= 2, "both departments on site",
                    JOINT_WAIT_S)
        await until(lambda: ctx.stats[S.CHECKINS_REFUSED] >= 1, "the far tap refused",
                    JOINT_WAIT_S)
        got = await ctx.api.get("case", f"/api/v1/cases/{cid}", tokens("disp1"))
        assert all(d["checkin"] for d in got.body["whistle"]["departments"])
        assert got.body["state"] == "resolved"
        assert [p["state"] for p in got.body["parts"]] == ["resolved", "resolved"]

    monkeypatch.setattr("clients.simulator.members.FAR_CHECKIN_SHARE", 1.0)  # one taps afar
    ctx = asyncio.run(with_ctx(live, tokens, body, speed=FAST))
    assert ctx.stats[S.PARTS_ACCEPTED] == 2
    no_errors(ctx.stats)
