"""Benchmark: location ingest end to end, against a bare WebSocket baseline in the same run.

Starts its own redis-server and uvicorn processes, then measures
  1. server CPU per ping: the full path (WS ping -> filtered -> stored -> positions
     event) against a bare Starlette WebSocket endpoint that parses JSON and acks;
  2. thousands of phones pinging every 5 s on one web process: ping -> stored ->
     seen by a screen-channel subscriber (p50/p99), memory per connected phone;
  3. patrol figures (coverage) for a day of the street's 108 workers;
  4. Redis memory per worker-day of track (two 4-hour windows, one fix per 5 s).

Run from the repository root:  python bench/bench_ingest.py  [--phones 5000] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
for path in (ROOT, BENCH):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import httpx  # noqa: E402
import numpy as np  # noqa: E402
import orjson  # noqa: E402
import psutil  # noqa: E402
from bench_point_in_grid import random_walk  # noqa: E402
from redis.asyncio import Redis  # noqa: E402
from starlette.applications import Starlette  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import Response  # noqa: E402
from starlette.routing import Route, WebSocketRoute  # noqa: E402
from starlette.websockets import WebSocket, WebSocketDisconnect  # noqa: E402
from websockets.asyncio.client import ClientConnection, connect  # noqa: E402

from dispatch.bootstrap import Container, bootstrap  # noqa: E402
from dispatch.embedded_redis import free_port, scratch_redis  # noqa: E402
from dispatch.geo.projection import LocalProjection  # noqa: E402
from dispatch.geo.street import DEFAULT_CENTER_LAT, DEFAULT_CENTER_LON, generate_street  # noqa: E402
from dispatch.geo.walk import patrol_walk  # noqa: E402
from dispatch.identity.roles import Role  # noqa: E402
from dispatch.identity.users import User  # noqa: E402
from dispatch.location.directory import WorkerRef  # noqa: E402
from dispatch.org.preset import street_preset  # noqa: E402
from dispatch.org.seed import seed_org  # noqa: E402
from dispatch.patrol.filters import Ping, clean_track  # noqa: E402
from dispatch.patrol.metrics import patrol_metrics  # noqa: E402
from dispatch.server import HTTP_IMPL, LOOP_IMPL, WS_DEFLATE, WS_IMPL  # noqa: E402
from dispatch.settings import Settings  # noqa: E402

PASSWORD = "bench-pass"
SCRYPT_N = 16
START_TIMEOUT_S = 60.0
#: Opening a socket on a busy machine (many phones connect at once).
OPEN_TIMEOUT_S = 60.0
ALL_DAY = "00:00-12:00,12:00-00:00"
MS = 1000
#: Scenario 1: phones in a closed loop (send, wait for the ack), pings each.
CPU_PHONES = 50
CPU_PINGS = 200
RUNS = 3
#: Hours of fix time a ratio run's walks take (single pings, then the batches).
RUN_SPAN_H = 12
WARMUP_PINGS = 40
FIX_S = 5
#: Scenario 2.
PHONES = 2000
PING_EVERY_S = 5.0
RUN_S = 15.0
CONNECT_BATCH = 200
#: Idle sockets opened at once: on a loaded machine 200 handshakes at once outwait the
#: Redis pool's connect timeout (503); the figure moves by ~2 KiB per socket between them.
IDLE_CONNECT_BATCH = 50
SETTLE_S = 5.0
LOADGEN_GC_THRESHOLDS = (100_000, 50, 1000)
#: Scenarios 3 and 4: two 4-hour windows, one fix per 5 s.
WINDOW_H = 4
WINDOWS = ((8, 0), (14, 0))
UPLOAD_BATCH = 500
TZ = "Asia/Shanghai"
SEED = 42


def phase(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- the baseline server -----------------------------------------------------------------


#: Where the floor server appends what it got (one RPUSH a message: a batch is one write).
FLOOR_KEY = "bench:floor"


def floor_store(app: Starlette) -> Redis | None:
    """The floor server's Redis (its lifespan makes one); None on the bare server."""
    return getattr(app.state, "redis", None)


async def bare_socket(websocket: WebSocket) -> None:
    """Parse each message as JSON and answer an ack: the least a phone endpoint does. On
    the floor server, what it got is stored in Redis (one round trip) before the ack: the
    least any design pays that acks a fix only once it is kept."""
    store = floor_store(websocket.app)
    await websocket.accept()
    try:
        while True:
            text = await websocket.receive_text()
            message = orjson.loads(text)
            if store is not None:
                await store.rpush(FLOOR_KEY, text)
            await websocket.send_text(
                orjson.dumps({"type": "ack", "seq": message.get("seq")}).decode())
    except WebSocketDisconnect:
        pass


async def bare_osmand(request: Request) -> Response:
    """Read the OsmAnd query string's numbers and answer JSON: the least an endpoint does
    (on the floor server, with the fix stored in Redis first)."""
    q = request.query_params
    float(q["lat"]), float(q["lon"]), int(q["timestamp"])
    store = floor_store(request.app)
    if store is not None:
        await store.rpush(FLOOR_KEY, request.url.query)
    return Response(orjson.dumps({"ok": True}), media_type="application/json")


ROUTES = [WebSocketRoute("/ws/phone", bare_socket),
          Route("/osmand", bare_osmand, methods=["POST"])]
bare_app = Starlette(routes=ROUTES)

# --- the floor: the baseline and one Redis write per message ----------------------------


@contextlib.asynccontextmanager
async def floor_lifespan(app: Starlette) -> AsyncIterator[None]:
    app.state.redis = Redis.from_url(os.environ["REDIS_URL"])  # hiredis parses, as ours
    try:
        yield
    finally:
        await app.state.redis.aclose()


floor_app = Starlette(routes=ROUTES, lifespan=floor_lifespan)


# --- processes ---------------------------------------------------------------------------


@contextlib.contextmanager
def redis_server(directory: Path) -> Iterator[tuple[str, psutil.Process]]:
    with scratch_redis(directory) as server:
        yield server.url, psutil.Process(server.process.pid)


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    port: int

    @property
    def ps(self) -> psutil.Process:
        return psutil.Process(self.proc.pid)

    def cpu_s(self) -> float:
        times = self.ps.cpu_times()
        return float(times.user + times.system)

    def rss(self) -> int:
        return int(self.ps.memory_info().rss)

    def url(self, path: str) -> str:
        return f"ws://127.0.0.1:{self.port}{path}"


def _env(redis_url: str, data: Path) -> dict[str, str]:
    return {**os.environ, "REDIS_URL": redis_url, "DISPATCH_DATA": str(data),
            "DISPATCH_SCRYPT_N": str(SCRYPT_N), "DISPATCH_PATROL_WINDOWS": ALL_DAY,
            "DISPATCH_WS_RATE": "1000000", "DISPATCH_LOG_LEVEL": "warning",
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(BENCH)])}


@contextlib.contextmanager
def uvicorn(app: list[str], env: dict[str, str], ws: str = WS_IMPL,
            python: tuple[str, ...] = ()) -> Iterator[Server]:
    """A uvicorn process with the protocol choices of ``dispatch serve`` (``python``: what
    runs uvicorn's command line instead of ``-m uvicorn``, e.g. a profiler)."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, *(python or ("-m", "uvicorn")), *app, "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning", "--no-access-log", "--lifespan", "on",
         "--ws", ws, "--loop", LOOP_IMPL, "--http", HTTP_IMPL, "--ws-per-message-deflate",
         os.environ.get("BENCH_WS_DEFLATE", str(WS_DEFLATE).lower())],
        env=env, cwd=ROOT)
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        with contextlib.suppress(OSError), psutil.Process(proc.pid).oneshot():
            if any(c.laddr.port == port for c in psutil.Process(proc.pid).net_connections()):
                break
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise RuntimeError(f"uvicorn {app} did not start")
        time.sleep(0.1)
    try:
        yield Server(proc, port)
    finally:
        proc.terminate()
        proc.wait(10)


def dispatch_app() -> list[str]:
    return ["--factory", "dispatch.app:create_app"]


def baseline_app() -> list[str]:
    return ["bench_ingest:bare_app"]


def floor_app_args() -> list[str]:
    return ["bench_ingest:floor_app"]


# --- the street and its phones -----------------------------------------------------------


async def seed(settings: Settings, extra_phones: int) -> dict[str, str]:
    """The reference street plus ``extra_phones`` grid workers; a token for each worker."""
    c = bootstrap(settings)
    try:
        street = street_preset()
        await seed_org(c.redis, c.keys, c.users, c.org, street, PASSWORD)
        grids = [str(f["properties"]["id"]) for f in street.grids["features"]]
        extra = [User(f"ph{n:05d}", Role.GRID_WORKER, grids[n % len(grids)])
                 for n in range(extra_phones)]
        async with c.redis.pipeline(transaction=False) as pipe:
            for user in extra:
                c.users.write(user, None, pipe)
            await pipe.execute()
        users = [await c.users.get(f"gw{n:03d}") for n in range(1, len(grids) + 1)] + extra
        users.append(await c.users.get("screen1"))
        tokens = {}
        for user in users:
            tokens[user.username], _ = await c.tokens.issue(user)
        return tokens
    finally:
        await c.aclose()


def walks(n_phones: int, messages: int, t0: int, first: int = 0,
          batch: int = 1) -> dict[str, list[bytes]]:
    """gw001.. (from the ``first``-th) each walking their own grid: ``messages`` encoded
    messages of fixes 5 s apart, a ``ping`` each, or with ``batch`` > 1 a ``pings`` batch
    of that many."""
    street = generate_street()
    out = {}
    for k in range(first, first + n_phones):
        grid = street.grids[k % len(street.grids)]
        lonlat = patrol_walk([list(p) for p in grid.polygon],
                             duration_s=messages * batch * FIX_S, seed=k)
        fixes = [{"type": "ping", "seq": i, "lat": float(lat), "lon": float(lon),
                  "ts": t0 + i * FIX_S * MS, "acc": 5.0, "batt": 80}
                 for i, (lon, lat) in enumerate(lonlat)]
        if batch == 1:
            out[f"gw{k + 1:03d}"] = [orjson.dumps(f) for f in fixes[:messages]]
        else:
            out[f"gw{k + 1:03d}"] = [
                orjson.dumps({"type": "pings", "items": fixes[i * batch:(i + 1) * batch]})
                for i in range(messages)]
    return out


# --- scenario 1: CPU per ping ----------------------------------------------------------------


async def closed_loop(server: Server, token: str, pings: list[bytes]) -> None:
    async with connect(server.url(f"/ws/phone?token={token}"), max_queue=None,
                       open_timeout=OPEN_TIMEOUT_S) as ws:
        for message in pings:
            await ws.send(message.decode())
            reply = orjson.loads(await ws.recv())
            if reply.get("type") != "ack":
                raise RuntimeError(f"unexpected reply {reply}")


async def drive(server: Server, tokens: dict[str, str], pings: dict[str, list[bytes]],
                part: slice) -> float:
    """Send ``part`` of every phone's pings; returns the wall time."""
    started = time.perf_counter()
    await asyncio.gather(*(closed_loop(server, tokens[w], p[part]) for w, p in pings.items()))
    return time.perf_counter() - started


@dataclass
class CpuFigures:
    pings: int
    server_s: float
    redis_s: float
    wall_s: float

    @property
    def us_per_ping(self) -> float:
        return self.server_s / self.pings * 1e6

    @property
    def redis_us_per_ping(self) -> float:
        return self.redis_s / self.pings * 1e6


def measure_cpu(server: Server, redis_proc: psutil.Process | None, tokens: dict[str, str],
                pings: dict[str, list[bytes]]) -> CpuFigures:
    asyncio.run(drive(server, tokens, pings, slice(0, WARMUP_PINGS)))
    time.sleep(1.0)
    cpu0 = server.cpu_s()
    redis0 = _cpu(redis_proc)
    wall = asyncio.run(drive(server, tokens, pings, slice(WARMUP_PINGS, None)))
    time.sleep(1.0)  # the last positions flush
    n = sum(len(p) - WARMUP_PINGS for p in pings.values())
    return CpuFigures(n, server.cpu_s() - cpu0, _cpu(redis_proc) - redis0, wall)


def _cpu(proc: psutil.Process | None) -> float:
    if proc is None:
        return 0.0
    times = proc.cpu_times()
    return float(times.user + times.system)


# --- scenario 1 as the goals measure it: ratios against bare endpoints, several runs ----------

#: Goals of the ratios (full path, web + redis-server CPU, over the bare endpoint).
GOAL_SINGLE = 2.0
GOAL_BATCH = 4.0
GOAL_OSMAND = 1.5
GOAL_IDLE_MEMORY = 1.05
BATCH = 50
IDLE_PHONES = 1000


async def osmand_loop(server: Server, fixes: list[tuple[str, int, float, float]]) -> float:
    """POST one fix per request (OsmAnd / Traccar Client): each device its own fixes in
    order, one request at a time, as the app does; the devices at once."""
    devices: dict[str, list[tuple[str, int, float, float]]] = {}
    for fix in fixes:
        devices.setdefault(fix[0], []).append(fix)
    limits = httpx.Limits(max_connections=len(devices), max_keepalive_connections=len(devices))
    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}", limits=limits,
                                 timeout=60) as client:
        async def one(chunk: list[tuple[str, int, float, float]]) -> None:
            for device, ts, lat, lon in chunk:
                r = await client.post(f"/osmand?id={device}&timestamp={ts // MS}"
                                      f"&lat={lat:.7f}&lon={lon:.7f}&speed=1.0&batt=80")
                if r.status_code != 200:
                    raise RuntimeError(f"osmand answered {r.status_code}: {r.text}")
        await asyncio.gather(*(one(chunk) for chunk in devices.values()))
    return time.perf_counter() - started


def osmand_fixes(first: int, count: int, t0: int) -> list[tuple[str, int, float, float]]:
    """``count`` fixes of 50 workers from gw(first+1), 1 s apart each (OsmAnd's second
    resolution), walking their grid."""
    street = generate_street()
    out = []
    per = count // CPU_PHONES
    for k in range(first, first + CPU_PHONES):
        grid = street.grids[k % len(street.grids)]
        walk = patrol_walk([list(p) for p in grid.polygon], duration_s=per * FIX_S, seed=k)
        out += [(f"gw{k + 1:03d}", t0 + i * FIX_S * MS, float(lat), float(lon))
                for i, (lon, lat) in enumerate(walk[:per])]
    return out


async def idle_phones(server: Server, tokens: list[str]) -> float:
    """Server memory per open, idle phone socket (RSS delta over ``len(tokens)``)."""
    gc.collect()
    rss0 = server.rss()
    opened = []
    for i in range(0, len(tokens), IDLE_CONNECT_BATCH):
        opened += await asyncio.gather(*(
            connect(server.url(f"/ws/phone?token={t}"), ping_interval=None,
                    open_timeout=OPEN_TIMEOUT_S) for t in tokens[i:i + IDLE_CONNECT_BATCH]))
    await asyncio.sleep(SETTLE_S)
    per = (server.rss() - rss0) / len(tokens)
    await asyncio.gather(*(ws.close() for ws in opened))
    return per


@dataclass
class RatioRun:
    single: float
    batch: float
    osmand: float
    memory: float
    figures: dict[str, float]


def cpu_of(server: Server, redis_proc: psutil.Process | None, run: Any) -> tuple[float, float]:
    """Server and redis-server CPU seconds spent by ``run()``."""
    time.sleep(0.5)
    cpu0, redis0 = server.cpu_s(), _cpu(redis_proc)
    run()
    time.sleep(0.5)
    return server.cpu_s() - cpu0, _cpu(redis_proc) - redis0


#: Messages of a batch per phone, against a single ping's: more of them than the pings'
#: 1 / BATCH, so that the bare endpoint's few ms of CPU are read off the clock ticks well.
BATCH_MESSAGES_FACTOR = 8
#: Batch messages a phone sends before the measured rounds.
BATCH_WARMUP = 4
#: Rounds a run takes of each server in turn (bare, floor, full, bare, ...): a figure of
#: the run is its median over them, so that a slow moment of the machine counts once.
ROUNDS = 3

Fix = tuple[str, int, float, float]


@dataclass(frozen=True)
class Work:
    """One round of the same work for every server."""

    single: slice
    batch: slice
    osmand: list[Fix]


def cpu_figures(server: Server, rp: psutil.Process | None, name: str, tokens: dict[str, str],
                single: dict[str, list[bytes]], batches: dict[str, list[bytes]],
                work: Work) -> dict[str, float]:
    """CPU us per fix (web + redis-server, and redis-server alone) of single pings,
    batches and OsmAnd POSTs on ``server``: one round."""
    figures: dict[str, float] = {}
    for kind, pings, part in (("single", single, work.single), ("batch", batches, work.batch)):
        count = sum(len(p[part]) for p in pings.values())
        count *= BATCH if kind == "batch" else 1
        web, red = cpu_of(server, rp, lambda w=pings, s=part: asyncio.run(
            drive(server, tokens, w, s)))
        figures[f"{name} {kind}"] = (web + red) / count * 1e6
        figures[f"{name} {kind} redis"] = red / count * 1e6
    web, red = cpu_of(server, rp, lambda: asyncio.run(osmand_loop(server, work.osmand)))
    figures[f"{name} osmand"] = (web + red) / len(work.osmand) * 1e6
    figures[f"{name} osmand redis"] = red / len(work.osmand) * 1e6
    return figures


def osmand_rounds(fixes: list[Fix]) -> tuple[list[Fix], list[list[Fix]]]:
    """Each device's first fix (the device look-ups, before measuring), and its other
    fixes in ROUNDS parts, in time order."""
    by_device: dict[str, list[Fix]] = {}
    for fix in fixes:
        by_device.setdefault(fix[0], []).append(fix)
    warm = [own[0] for own in by_device.values()]
    rounds: list[list[Fix]] = [[] for _ in range(ROUNDS)]
    for own in by_device.values():
        rest = own[1:]
        for r in range(ROUNDS):
            rounds[r] += rest[r * len(rest) // ROUNDS:(r + 1) * len(rest) // ROUNDS]
    return warm, rounds


def ratio_run(n: int, env: dict[str, str], redis_proc: psutil.Process,
              tokens: dict[str, str], pings: int, t0: int) -> RatioRun:
    """One run of every ratio: bare, floor and full servers, the same work on each, in
    ROUNDS turns."""
    span = (WARMUP_PINGS + ROUNDS * pings) * FIX_S * MS
    per_round = pings // BATCH * BATCH_MESSAGES_FACTOR
    single = walks(CPU_PHONES, WARMUP_PINGS + ROUNDS * pings, t0)
    batches = walks(CPU_PHONES, BATCH_WARMUP + ROUNDS * per_round, t0 + span, batch=BATCH)
    warm, osm = osmand_rounds(osmand_fixes(CPU_PHONES, ROUNDS * pings * CPU_PHONES // 4, t0))
    idle = sorted(t for name, t in tokens.items() if name.startswith("ph"))[:IDLE_PHONES]
    rounds = [Work(slice(WARMUP_PINGS + r * pings, WARMUP_PINGS + (r + 1) * pings),
                   slice(BATCH_WARMUP + r * per_round, BATCH_WARMUP + (r + 1) * per_round),
                   osm[r]) for r in range(ROUNDS)]
    apps = (("bare", baseline_app()), ("floor", floor_app_args()), ("full", dispatch_app()))
    taken: dict[str, list[float]] = {}
    with contextlib.ExitStack() as stack:
        servers = {name: stack.enter_context(uvicorn(app, env)) for name, app in apps}
        for server in servers.values():
            asyncio.run(drive(server, tokens, single, slice(0, WARMUP_PINGS)))
            asyncio.run(drive(server, tokens, batches, slice(0, BATCH_WARMUP)))
            asyncio.run(osmand_loop(server, warm))
        for work in rounds:
            for name, server in servers.items():
                got = cpu_figures(server, None if name == "bare" else redis_proc, name,
                                  tokens, single, batches, work)
                for key, value in got.items():
                    taken.setdefault(key, []).append(value)
    figures = {key: statistics.median(values) for key, values in taken.items()}
    for name, app in apps:
        if name == "floor":
            continue
        # idle sockets in a fresh process: what the phases above freed (and the heap kept
        # or gave back) does not count for or against either server
        with uvicorn(app, env) as server:
            figures[f"{name} idle KiB"] = asyncio.run(idle_phones(server, idle)) / 1024
    phase(f"   run {n}: " + ", ".join(f"{k} {v:.0f}" for k, v in figures.items()))
    return RatioRun(figures["full single"] / figures["bare single"],
                    figures["full batch"] / figures["bare batch"],
                    figures["full osmand"] / figures["bare osmand"],
                    figures["full idle KiB"] / figures["bare idle KiB"], figures)


def spread(values: list[float]) -> str:
    """min / median / max."""
    return (f"{min(values):.2f} / {statistics.median(values):.2f} / {max(values):.2f}")


def against(values: list[float], goal: float) -> str:
    """min / median / max beside the goal, and whether the median meets it."""
    met = "met" if statistics.median(values) <= goal else "missed"
    return f"{spread(values)}   goal <= {goal:g}x: {met}"


def floor_rows(kind: str, us: Callable[[str], str], ratio: Callable[[str, str], str]
               ) -> list[tuple[str, str]]:
    """The floor's figures of ``kind``: what one Redis write a message costs by itself."""
    return [
        ("1. ... floor: bare + one Redis write a message, web + redis", us(f"floor {kind}")),
        ("1.    of which redis-server", us(f"floor {kind} redis")),
        ("1.    floor / bare (what storing before the ack costs at least)",
         ratio(f"floor {kind}", f"bare {kind}")),
        ("1.    full / floor (what dispatch adds above that)",
         ratio(f"full {kind}", f"floor {kind}")),
    ]


def ratio_rows(runs: list[RatioRun]) -> list[tuple[str, str]]:
    def us(key: str) -> str:
        return spread([r.figures[key] for r in runs])

    def ratio(top: str, bottom: str) -> str:
        return spread([r.figures[top] / r.figures[bottom] for r in runs]) + "x"

    return [
        ("1. CPU us per ping, bare WS endpoint, single pings (min/median/max)", us("bare single")),
        *floor_rows("single", us, ratio),
        ("1. ... full path, web + redis-server", us("full single")),
        ("1.    of which redis-server", us("full single redis")),
        (f"1. ratio single pings, full / bare (goal <= {GOAL_SINGLE:g}x)",
         against([r.single for r in runs], GOAL_SINGLE)),
        (f"1. CPU us per ping in batches of {BATCH}, bare", us("bare batch")),
        *floor_rows("batch", us, ratio),
        ("1. ... full path, web + redis-server", us("full batch")),
        ("1.    of which redis-server", us("full batch redis")),
        (f"1. ratio batches, full / bare (goal <= {GOAL_BATCH:g}x)",
         against([r.batch for r in runs], GOAL_BATCH)),
        ("1. CPU us per OsmAnd POST (one fix), bare Starlette HTTP", us("bare osmand")),
        *floor_rows("osmand", us, ratio),
        ("1. ... full path, web + redis-server", us("full osmand")),
        ("1.    of which redis-server", us("full osmand redis")),
        (f"1. ratio OsmAnd, full / bare (goal <= {GOAL_OSMAND:g}x)",
         against([r.osmand for r in runs], GOAL_OSMAND)),
        (f"1. KiB per idle phone socket ({IDLE_PHONES:,}), bare server", us("bare idle KiB")),
        ("1. ... dispatch", us("full idle KiB")),
        (f"1. ratio idle socket memory (goal <= {GOAL_IDLE_MEMORY:g}x)",
         against([r.memory for r in runs], GOAL_IDLE_MEMORY)),
    ]


# --- scenario 2: many phones -------------------------------------------------------------------


@dataclass
class FleetFigures:
    phones: int
    connect_s: float
    rss_per_phone: float
    pings: int
    acked: int
    latencies_ms: list[float]
    ack_ms: list[float]
    server_cpu_pct: float
    events: int
    cpu_s: float = 0.0
    screens: int = 0

    @property
    def cpu_us_per_ping(self) -> float:
        return self.cpu_s / max(1, self.pings) * 1e6


@contextlib.contextmanager
def screens_elsewhere(url: str, count: int) -> Iterator[None]:
    """``count`` command screens reading (and dropping) their stream in another process."""
    if count <= 0:
        yield
        return
    proc = subprocess.Popen([sys.executable, str(BENCH / "screen_drains.py"), url, str(count)],
                            stdout=subprocess.PIPE, cwd=ROOT)
    try:
        assert proc.stdout is not None
        if proc.stdout.readline().strip() != b"ready":
            raise RuntimeError("the screens did not open")
        yield
    finally:
        proc.terminate()
        proc.wait(10)


async def fleet(server: Server, settings: Settings, tokens: dict[str, str], phones: int,
                run_s: float, screens: int = 0) -> FleetFigures:
    """Phones pinging every 5 s; latency is measured at a screen-channel subscriber, or,
    with ``screens``, at the first of that many real /ws/screen sockets."""
    names = sorted(n for n in tokens if n.startswith("ph"))[:phones]
    street = generate_street()
    spots = {}
    for k, name in enumerate(names):
        ring = np.asarray(street.grids[k % len(street.grids)].polygon)
        spots[name] = (float(ring[:, 0].mean()), float(ring[:, 1].mean()))
    sent: dict[tuple[str, int], float] = {}
    latencies: list[float] = []
    acks: list[float] = []
    events = 0
    c = bootstrap(settings)
    pubsub = c.redis.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(c.keys.screen_channel())
    # the screen measured here; the others read their streams in a process of their own
    sockets_of_screens = [await connect(
        server.url(f"/ws/screen?token={tokens['screen1']}"), max_queue=None,
        ping_interval=None, max_size=None, open_timeout=OPEN_TIMEOUT_S)] if screens else []
    others = contextlib.ExitStack()
    others.enter_context(screens_elsewhere(server.url(f"/ws/screen?token={tokens['screen1']}"),
                                           screens - 1))

    async def stream() -> Any:
        if sockets_of_screens:
            async for raw in sockets_of_screens[0]:
                yield raw
        else:
            async for message in pubsub.listen():
                yield message["data"]

    async def screen() -> None:
        nonlocal events
        async for raw in stream():
            now = time.perf_counter()
            event = orjson.loads(raw)
            if event.get("type") != "positions":
                continue
            events += 1
            for item in event["items"]:
                t = sent.pop((item["worker"], item["ts"]), None)
                if t is not None:
                    latencies.append((now - t) * MS)

    watcher = asyncio.create_task(screen())
    rss0 = server.rss()
    started = time.perf_counter()
    sockets: dict[str, ClientConnection] = {}
    for i in range(0, len(names), CONNECT_BATCH):
        batch = names[i:i + CONNECT_BATCH]
        opened = await asyncio.gather(*(connect(server.url(f"/ws/phone?token={tokens[n]}"),
                                                max_queue=None, ping_interval=None,
                                                open_timeout=OPEN_TIMEOUT_S)
                                        for n in batch))
        sockets.update(zip(batch, opened, strict=True))
    connect_s = time.perf_counter() - started
    gc.collect()
    gc.freeze()  # the load generator's own pauses would count as latency
    gc.set_threshold(*LOADGEN_GC_THRESHOLDS)
    await asyncio.sleep(SETTLE_S)
    rss1 = server.rss()
    deadline = time.perf_counter() + run_s
    count = 0
    acked = 0

    async def phone(k: int, name: str, ws: ClientConnection) -> None:
        nonlocal count, acked
        await asyncio.sleep(PING_EVERY_S * k / len(names))
        lon, lat = spots[name]
        seq = 0
        while time.perf_counter() < deadline:
            seq += 1
            ts = int(time.time() * MS)
            t = time.perf_counter()
            sent[(name, ts)] = t
            await ws.send(orjson.dumps({"type": "ping", "seq": seq, "lat": lat + seq * 1e-6,
                                        "lon": lon, "ts": ts, "acc": 5.0}).decode())
            count += 1
            reply = orjson.loads(await ws.recv())
            if reply.get("type") == "ack":
                acked += 1
                acks.append((time.perf_counter() - t) * MS)
            await asyncio.sleep(max(0.0, PING_EVERY_S - (time.perf_counter() - t)))

    cpu0 = server.cpu_s()
    t0 = time.perf_counter()
    await asyncio.gather(*(phone(k, n, sockets[n]) for k, n in enumerate(names)))
    await asyncio.sleep(2 * settings.positions_flush_ms / MS + 0.5)
    cpu_s = server.cpu_s() - cpu0
    cpu_pct = cpu_s / (time.perf_counter() - t0) * 100
    watcher.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await watcher
    others.close()
    await asyncio.gather(*(ws.close() for ws in [*sockets.values(), *sockets_of_screens]))
    await pubsub.aclose()
    await c.aclose()
    return FleetFigures(len(names), connect_s, (rss1 - rss0) / len(names), count, acked,
                        latencies, acks, cpu_pct, events, cpu_s, screens)


# --- scenarios 3 and 4: a day of tracks ----------------------------------------------------------


def local_ms(day: date, hour: int, minute: int = 0) -> int:
    return int(datetime(day.year, day.month, day.day, hour, minute,
                        tzinfo=ZoneInfo(TZ)).timestamp() * MS)


@dataclass
class DayFigures:
    workers: int
    fixes: int
    store_s: float
    memory_bytes: int
    key_bytes: list[int]
    service_s: float
    pure_s: float
    patrols: int
    coverage_mean: float


async def track_day(settings: Settings) -> DayFigures:
    c = bootstrap(settings)
    try:
        return await _track_day(c)
    finally:
        await c.aclose()


async def _track_day(c: Container) -> DayFigures:
    street = generate_street()
    proj = LocalProjection(DEFAULT_CENTER_LAT, DEFAULT_CENTER_LON)
    rng = np.random.default_rng(SEED)
    day = date(2024, 6, 11)
    fixes = WINDOW_H * 3600 // FIX_S
    windows = [(local_ms(day, h, m), local_ms(day, h + WINDOW_H, m)) for h, m in WINDOWS]
    await c.redis.flushall()
    await seed_org(c.redis, c.keys, c.users, c.org, street_preset(), PASSWORD)
    used0 = int((await c.redis.info("memory"))["used_memory"])
    plan: list[tuple[WorkerRef, list[Ping], int, int]] = []
    for grid in street.grids:
        worker = WorkerRef(f"gw{grid.id}", grid.id, grid.station)
        for start, end in windows:
            lonlat = random_walk(grid, proj, fixes, rng)
            pings = [Ping(ts=start + i * FIX_S * MS, lat=float(lat), lon=float(lon), acc=5.0)
                     for i, (lon, lat) in enumerate(lonlat)]
            plan.append((worker, pings, start, end))
    gc.collect()
    gc.freeze()  # the plan's 600k fixes are not garbage: keep collections from walking them
    phase(f"storing {len(plan)} patrols x {fixes} fixes through the ingest path")
    now = windows[-1][1]
    t = time.perf_counter()
    for worker, pings, _, _ in plan:
        for i in range(0, len(pings), UPLOAD_BATCH):
            await c.location.ingest(worker, pings[i:i + UPLOAD_BATCH], "bench", now=now)
    store_s = time.perf_counter() - t
    used1 = int((await c.redis.info("memory"))["used_memory"])
    keys = [c.keys.loc_track(f"gw{g.id}", day.isoformat()) for g in street.grids]
    key_bytes = [int(await c.redis.memory_usage(k, samples=0) or 0) for k in keys]

    phase("measuring every patrol through the service (read, decode, clean, metrics)")
    records = []
    for worker, _, start, end in plan:
        patrol_id = str(len(records) + 1)
        records.append((await _record(c, worker, patrol_id, day, start, end), end))
    t = time.perf_counter()
    results = [await c.patrols.measure(r, end) for r, end in records]
    service_s = time.perf_counter() - t
    phase("measuring the same patrols in memory (patrol_metrics only)")
    index = await c.org.index()
    t = time.perf_counter()
    for worker, pings, start, end in plan:
        patrol_metrics(clean_track(pings, c.location.filters), index.polygon(worker.grid or ""),
                       start_ms=start, end_ms=end)
    pure_s = time.perf_counter() - t
    return DayFigures(len(street.grids), len(plan) * fixes, store_s, used1 - used0, key_bytes,
                      service_s, pure_s, len(plan),
                      float(np.mean([m.coverage for m in results])))


async def _record(c: Container, worker: WorkerRef, patrol_id: str, day: date, start: int,
                  end: int) -> Any:
    from dispatch.location.patrol_store import PatrolRecord

    return PatrolRecord(id=patrol_id, worker=worker.username, grid=worker.grid,
                        station=worker.station, date=day.isoformat(), window="bench",
                        window_start=start, window_end=end, start=start)


# --- the run ---------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--phones", type=int, default=PHONES)
    parser.add_argument("--seconds", type=float, default=RUN_S)
    parser.add_argument("--runs", type=int, default=RUNS, help="runs of the ratios (scenario 1)")
    parser.add_argument("--quick", action="store_true", help="smaller runs, for a smoke test")
    parser.add_argument("--ratios-only", action="store_true", help="scenario 1 only")
    args = parser.parse_args()
    phones = min(args.phones, 500) if args.quick else args.phones
    run_s = min(args.seconds, 10.0) if args.quick else args.seconds
    cpu_pings = CPU_PINGS // 4 if args.quick else CPU_PINGS
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp, redis_server(Path(tmp)) as (url, redis_proc):
        settings = Settings.from_env({}, redis_url=url, data_dir=Path(tmp) / "data",
                                     scrypt_n=SCRYPT_N, patrol_windows=ALL_DAY)
        phase(f"seeding the street and {phones} extra phones")
        tokens = asyncio.run(seed(settings, max(phones, IDLE_PHONES)))
        env = _env(url, Path(tmp) / "data")
        span = RUN_SPAN_H * 3600 * MS  # each run's fixes in their own hours
        t_first = int(time.time() * MS) - args.runs * span - 60 * MS
        runs = []
        for n in range(args.runs):
            phase(f"1. run {n + 1}/{args.runs}: bare and full servers; {CPU_PHONES} phones x "
                  f"{cpu_pings} pings, then in batches of {BATCH}, OsmAnd POSTs, "
                  f"{IDLE_PHONES:,} idle sockets")
            runs.append(ratio_run(n + 1, env, redis_proc, tokens, cpu_pings,
                                  t_first + n * span))
        rows += ratio_rows(runs)
        if args.ratios_only:
            print_rows(rows)
            return
        phase(f"2. {phones} phones, one ping each every {PING_EVERY_S:.0f} s, {run_s:.0f} s")
        with uvicorn(dispatch_app(), env) as server:
            fl = asyncio.run(fleet(server, settings, tokens, phones, run_s))
        rows += [
            (f"2. phones connected (in {fl.connect_s:.1f} s)", f"{fl.phones:,}"),
            ("2. pings sent / acked", f"{fl.pings:,} / {fl.acked:,}"),
            ("2. ping -> screen subscriber p50 / p99",
             f"{pct(fl.latencies_ms, 0.5):.0f} / {pct(fl.latencies_ms, 0.99):.0f} ms "
             f"({len(fl.latencies_ms):,} seen, flush every {settings.positions_flush_ms} ms)"),
            ("2. ping -> ack p50 / p99",
             f"{pct(fl.ack_ms, 0.5):.1f} / {pct(fl.ack_ms, 0.99):.1f} ms"),
            ("2. positions events", f"{fl.events:,} ({fl.pings / max(1, fl.events):.0f} "
                                   "fixes per event)"),
            ("2. server CPU at that load", f"{fl.server_cpu_pct:.0f}% of one core"),
            ("2. server memory per connected phone", f"{fl.rss_per_phone / 1024:.1f} KiB"),
        ]
        phase("3./4. a day of tracks for 108 workers")
        day = asyncio.run(track_day(settings))
        per_day = day.memory_bytes / day.workers
        rows += [
            (f"3. patrol figures, {day.patrols} patrols of {WINDOW_H} h "
             f"({day.fixes:,} fixes), via the service",
             f"{day.service_s:.2f} s  ({day.service_s / day.patrols * MS:.1f} ms per patrol)"),
            ("3. the same, patrol_metrics in memory only",
             f"{day.pure_s:.2f} s  ({day.pure_s / day.patrols * MS:.1f} ms per patrol)"),
            ("3. mean coverage (random walks)", f"{day.coverage_mean:.2f}"),
            ("3. storing the day through ingest (500-fix batches)",
             f"{day.store_s:.2f} s  ({day.fixes / day.store_s:,.0f} fixes/s)"),
            (f"4. Redis memory per worker-day (2 x {WINDOW_H} h, 1 fix / {FIX_S} s)",
             f"{per_day / 1024:.0f} KiB  ({per_day / (day.fixes / day.workers):.1f} B/fix; "
             f"MEMORY USAGE of a track key: {statistics.median(day.key_bytes) / 1024:.0f} KiB)"),
            ("4. ... for the street, 108 workers x 35 days retention",
             f"{per_day * day.workers * 35 / 1024**2:.0f} MiB"),
        ]
    print_rows(rows)


def print_rows(rows: list[tuple[str, str]]) -> None:
    width = max(len(name) for name, _ in rows)
    print()
    print(f"{'measure':<{width}}  value")
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print()
    phase("done (the machine may be shared: compare ratios, not absolute times)")


if __name__ == "__main__":
    main()
