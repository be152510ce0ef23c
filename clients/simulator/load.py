"""Load mode: N synthetic phones at one ping per S seconds, R reports a second, one table.

Phones are spread over the grids and sign in as the grid workers, round-robin (the
phone socket takes several sockets per user). Each phone is one socket and one task
that reads its acks; a single scheduler sends every due ping, staggered over the
interval, so the simulator stays light. Phones of one worker walk together (a few
metres apart) so the server's jump filter sees a plausible track. Measuring starts
once every phone is connected.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
import os
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException

from clients.simulator.api import HTTP_OK
from clients.simulator.clock import now_ms
from clients.simulator.context import Ctx
from clients.simulator.screens import Screen
from clients.simulator.sockets import (
    BACKOFF_FACTOR,
    BACKOFF_FIRST_S,
    BACKOFF_MAX_S,
    OPEN_TIMEOUT_S,
    Socket,
)
from clients.simulator.stats import (
    ACK_MS,
    ACKS,
    ERRORS,
    OFFER_MS,
    OFFERS,
    P50,
    P99,
    PINGS,
    RECONNECTS,
    REPORTS,
    SCREEN_EVENTS,
    SCREEN_MS,
    Stats,
)
from clients.simulator.street import COORD_DECIMALS
from clients.simulator.street_mode import (
    DESK_USER,
    SCREEN_USER,
    WORKER_DIGITS,
    WORKER_PREFIX,
    SetupFailed,
    load_street,
)
from clients.simulator.walker import Walker

TICK_S = 0.05
#: Sockets opened at once while connecting: a steady load is measured, not a stampede.
CONNECT_CONCURRENCY = 20
LOGIN_CONCURRENCY = 8
#: Reports waiting for an answer at most (as many as pooled HTTP connections); past it a
#: report is skipped and counted, which shows the server is not keeping up.
REPORTS_IN_FLIGHT = 128
PHONE_SPREAD_M = 8.0
PHONE_NOISE_M = 3.0
PHONE_ACC_M = 8.0
BYTES_PER_KB = 1024
BYTES_PER_MB = 1024 * 1024
PERCENT = 100.0
REPORT_HTTP_MS = "report_http"
REPORTS_SKIPPED = "reports_skipped"
ACK_PREFIX = b'{"type":"ack"'
RSS_METRIC = "process_resident_memory_bytes"
CONNECT_ERROR = "load phone connect"
MAX_CONNECT_TRIES = 5
CLOSE_ALL_S = 10.0
#: utime and stime in /proc/PID/stat, counted after the command's ")".
STAT_UTIME, STAT_STIME = 11, 12
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class LoadPhone:
    number: int
    worker: str
    token: str
    walker: Walker
    dx: float
    dy: float
    phase: float
    seq: int = 0
    ws: ClientConnection | None = None
    sent: deque[float] = field(default_factory=deque)


@dataclass
class Tokens:
    workers: list[tuple[str, str]] = field(default_factory=list)
    desk: str = ""
    screen: str = ""
    listeners: list[str] = field(default_factory=list)


class LoadRun:
    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx
        self.cfg = ctx.config
        self.phones: list[LoadPhone] = []
        self.walkers: dict[str, Walker] = {}
        self.walked_at: dict[str, float] = {}
        self.last_ts: dict[str, int] = {}
        self.reports_in_flight = 0
        self.report_counter = itertools.count()
        self.tokens = Tokens()

    # --- setup ----------------------------------------------------------------------
    async def _login(self, username: str, gate: asyncio.Semaphore) -> str:
        async with gate:
            return await self.ctx.api.login(username, self.cfg.password)

    async def sign_in(self) -> list[dict[str, Any]]:
        api, cfg = self.ctx.api, self.cfg
        self.tokens.desk = await api.login(DESK_USER, cfg.password)
        departments = await load_street(self.ctx, self.tokens.desk)
        count = min(cfg.workers, len(self.ctx.street.grids), max(1, cfg.phones))
        names = [f"{WORKER_PREFIX}{n:0{WORKER_DIGITS}d}" for n in range(1, count + 1)]
        listeners = [str(d["members"][0]) for d in departments if d.get("members")]
        gate = asyncio.Semaphore(LOGIN_CONCURRENCY)
        found = await asyncio.gather(*(self._login(n, gate) for n in names + listeners))
        self.tokens.workers = list(zip(names, found[:len(names)], strict=True))
        self.tokens.listeners = list(found[len(names):])
        if cfg.screens:
            self.tokens.screen = await api.login(SCREEN_USER, cfg.password)
        return departments

    def make_phones(self) -> None:
        rng, cfg = self.ctx.rng, self.cfg
        for worker, _ in self.tokens.workers:
            grid = self.ctx.street.of_worker(worker)
            if grid is None:
                raise SetupFailed(f"no grid for {worker}")
            self.walkers[worker] = Walker(grid, rng, wanderer=False)
            self.walked_at[worker] = time.monotonic()
        workers = self.tokens.workers
        for n in range(cfg.phones):
            worker, token = workers[n % len(workers)]
            self.phones.append(LoadPhone(
                n, worker, token, self.walkers[worker],
                rng.uniform(-PHONE_SPREAD_M, PHONE_SPREAD_M),
                rng.uniform(-PHONE_SPREAD_M, PHONE_SPREAD_M),
                phase=cfg.interval_s * n / cfg.phones))

    # --- phones ---------------------------------------------------------------------
    def _url(self, phone: LoadPhone) -> str:
        return f"{self.ctx.ws_base}/ws/phone?token={phone.token}"

    async def _open(self, phone: LoadPhone) -> ClientConnection | None:
        try:
            return await connect(self._url(phone), open_timeout=OPEN_TIMEOUT_S,
                                 compression=None, proxy=None, ping_interval=None)
        except InvalidStatus as exc:
            self.ctx.stats.error(f"{CONNECT_ERROR} {exc.response.status_code}", str(exc))
        except (WebSocketException, OSError, TimeoutError) as exc:
            self.ctx.stats.error(CONNECT_ERROR, f"{type(exc).__name__}: {exc}")
        return None

    async def connect_all(self) -> int:
        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

        async def one(phone: LoadPhone) -> None:
            async with gate:
                for attempt in range(MAX_CONNECT_TRIES):
                    phone.ws = await self._open(phone)
                    if phone.ws is not None:
                        return
                    await asyncio.sleep(BACKOFF_FIRST_S * (attempt + 1))

        await asyncio.gather(*(one(p) for p in self.phones))
        for phone in self.phones:
            self.ctx.spawn(self.read(phone), f"load-phone:{phone.number}")
        return sum(1 for p in self.phones if p.ws is not None)

    async def read(self, phone: LoadPhone) -> None:
        """Acks of one phone; reconnects when the socket drops."""
        stats = self.ctx.stats
        delay = BACKOFF_FIRST_S
        while True:
            ws = phone.ws
            if ws is not None:
                try:
                    async for raw in ws:
                        self._received(phone, raw)
                except ConnectionClosed as exc:
                    stats.error("load phone closed", str(exc))
                phone.ws = None
                phone.sent.clear()
                stats.add(RECONNECTS)
            await asyncio.sleep(delay)
            delay = min(BACKOFF_MAX_S, delay * BACKOFF_FACTOR)
            phone.ws = await self._open(phone)
            if phone.ws is not None:
                delay = BACKOFF_FIRST_S

    def _received(self, phone: LoadPhone, raw: str | bytes) -> None:
        data = raw.encode() if isinstance(raw, str) else raw
        if data.startswith(ACK_PREFIX):
            if phone.sent:
                self.ctx.stats.time(ACK_MS, time.monotonic() - phone.sent.popleft())
            self.ctx.stats.add(ACKS)
            return
        message = orjson.loads(data)
        if message.get("type") == "error":
            if phone.sent:
                phone.sent.popleft()
            self.ctx.stats.error(f"load phone {message.get('code')}", str(message))

    def _position(self, phone: LoadPhone, now: float) -> tuple[float, float]:
        walker = self.walkers[phone.worker]
        elapsed = now - self.walked_at[phone.worker]
        if elapsed > 0:
            walker.step(elapsed)
            self.walked_at[phone.worker] = now
        rng = self.ctx.rng
        return walker.grid.lonlat(walker.x + phone.dx + rng.gauss(0.0, PHONE_NOISE_M),
                                  walker.y + phone.dy + rng.gauss(0.0, PHONE_NOISE_M))

    def _ping(self, phone: LoadPhone, now: float) -> bytes:
        lon, lat = self._position(phone, now)
        ts = max(now_ms(), self.last_ts.get(phone.worker, 0) + 1)
        self.last_ts[phone.worker] = ts
        phone.seq += 1
        walker = self.walkers[phone.worker]
        self.ctx.ledger.record(phone.worker, ts, now)
        return orjson.dumps({"type": "ping", "seq": phone.seq, "ts": ts,
                             "lat": round(lat, COORD_DECIMALS), "lon": round(lon, COORD_DECIMALS),
                             "acc": PHONE_ACC_M,
                             "speed": round(walker.speed_mps, 2),
                             "heading": round(walker.heading, 1),
                             "batt": round(walker.batt * PERCENT)})

    async def schedule(self) -> None:
        """Every phone pings once per interval, at its own phase."""
        interval = self.cfg.interval_s
        start = time.monotonic()
        order = sorted(self.phones, key=lambda p: p.phase)
        rounds = 0
        index = 0
        while True:
            now = time.monotonic()
            horizon = now - start - rounds * interval
            while index < len(order) and order[index].phase <= horizon:
                await self._send(order[index], now)
                index += 1
            if index >= len(order):
                index = 0
                rounds += 1
                continue
            await asyncio.sleep(TICK_S)

    async def _send(self, phone: LoadPhone, now: float) -> None:
        ws = phone.ws
        if ws is None:
            return
        data = self._ping(phone, now)
        try:
            await ws.send(data, text=True)
        except (ConnectionClosed, OSError):
            return
        phone.sent.append(now)
        self.ctx.stats.add(PINGS)

    # --- reports --------------------------------------------------------------------
    async def reports(self) -> None:
        rate = self.cfg.reports_per_s
        if rate <= 0:
            return
        credit = 0.0
        last = time.monotonic()
        while True:
            await asyncio.sleep(TICK_S)
            now = time.monotonic()
            credit += rate * (now - last)
            last = now
            while credit >= 1.0:
                credit -= 1.0
                if self.reports_in_flight >= REPORTS_IN_FLIGHT:
                    self.ctx.stats.add(REPORTS_SKIPPED)
                    continue
                self.reports_in_flight += 1
                self.ctx.spawn(self.report(), "load-report")

    async def report(self) -> None:
        ctx = self.ctx
        try:
            n = next(self.report_counter)
            worker, token = self.tokens.workers[n % len(self.tokens.workers)]
            grid = ctx.street.of_worker(worker)
            if grid is None:
                return
            lon, lat = grid.random_lonlat(ctx.rng)
            item = ctx.catalogue.choose(ctx.rng)
            body = {"client_id": f"load-{os.getpid()}-{n}", "item": item.code,
                    "lat": round(lat, COORD_DECIMALS), "lon": round(lon, COORD_DECIMALS),
                    "description": f"{item.name}（压力测试）"}
            sent = time.monotonic()
            reply = await ctx.api.post("load report", "/api/v1/cases", token, body)
            ctx.stats.time(REPORT_HTTP_MS, time.monotonic() - sent)
            if reply.ok and isinstance(reply.body, dict):
                ctx.stats.add(REPORTS)
                if reply.body.get("state") == "dispatched":
                    ctx.reports.reported(str(reply.body["id"]), sent)
        finally:
            self.reports_in_flight -= 1

    async def close_all(self) -> None:
        """Close every phone's socket (the reader tasks are cancelled separately)."""
        sockets = [p.ws for p in self.phones if p.ws is not None]
        for phone in self.phones:
            phone.ws = None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True),
                CLOSE_ALL_S)

    # --- listeners ------------------------------------------------------------------
    def listen(self) -> None:
        ctx = self.ctx

        async def on_team(message: dict[str, Any]) -> None:
            case = message.get("case")
            if message.get("type") == "job.offered" and isinstance(case, dict):
                ctx.stats.add(OFFERS)
                ctx.reports.offer_seen(str(case.get("id")))

        for n, token in enumerate([*self.tokens.listeners, self.tokens.desk]):
            socket = Socket(ctx.ws_base, "/ws/team", token, on_team, ctx.stats, ctx.rng,
                            label="load team socket")
            ctx.spawn(socket.run(), f"load-team:{n}")
        for n in range(self.cfg.screens):
            Screen(ctx, self.tokens.screen, n, timing=n == 0).start()


# --- the table --------------------------------------------------------------------------
async def server_rss(ctx: Ctx) -> str:
    """From the server's /metrics when it tells, else from /proc by --server-pid."""
    reply = await ctx.api.send("GET", "/metrics")
    if reply.status == HTTP_OK and isinstance(reply.body, str):
        for line in reply.body.splitlines():
            if line.startswith(RSS_METRIC):
                return f"{float(line.split()[-1]) / BYTES_PER_MB:.0f} MB (/metrics)"
    pid = ctx.config.server_pid
    kb = proc_rss_kb(pid) if pid else None
    if kb is not None:
        return f"{kb * BYTES_PER_KB / BYTES_PER_MB:.0f} MB (pid {pid})"
    return "n/a (no process metrics; pass --server-pid)"


def proc_cpu_s(pid: int | None) -> float | None:
    """A process's user + system CPU seconds, from /proc."""
    if not pid:
        return None
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[STAT_UTIME]) + int(fields[STAT_STIME])) / CLOCK_TICKS


def proc_rss_kb(pid: int) -> int | None:
    """A process's resident set size in kB, from /proc."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _pair(stats: Stats, name: str) -> str:
    p50, p99 = stats.p(name, P50), stats.p(name, P99)
    if p50 is None or p99 is None:
        return "no samples"
    count = stats.latency(name).count
    return f"{p50:.0f} / {p99:.0f} ms  (n={count})"


def result_rows(stats: Stats, cfg: Any, *, connected: int, wall_s: float, cpu_s: float,
                rss: str, server_cpu_s: float | None = None) -> list[tuple[str, str]]:
    wall = max(wall_s, 1e-9)
    target_pps = cfg.phones / cfg.interval_s
    errors = ", ".join(f"{k} x{n}" for k, n in stats.errors.most_common(3))
    return [
        ("phones connected", f"{connected} / {cfg.phones}"),
        ("measured", f"{wall_s:.1f} s"),
        ("pings/s achieved", f"{stats[PINGS] / wall:.0f}  (target {target_pps:.0f})"),
        ("acks/s", f"{stats[ACKS] / wall:.0f}"),
        ("ack latency p50 / p99", _pair(stats, ACK_MS)),
        ("ping -> screen p50 / p99", _pair(stats, SCREEN_MS)),
        ("screen events/s", f"{stats[SCREEN_EVENTS] / wall:.1f}"),
        ("reports/s achieved", f"{stats[REPORTS] / wall:.1f}  (target {cfg.reports_per_s:g}"
                               f", skipped {stats[REPORTS_SKIPPED]})"),
        ("report HTTP p50 / p99", _pair(stats, REPORT_HTTP_MS)),
        ("report -> offer p50 / p99", _pair(stats, OFFER_MS)),
        ("errors", f"{stats[ERRORS]}" + (f"  ({errors})" if errors else "")),
        ("reconnects", str(stats[RECONNECTS])),
        ("server RSS", rss),
        ("server CPU", "n/a (pass --server-pid)" if server_cpu_s is None
         else f"{server_cpu_s / wall * PERCENT:.0f}% of one core"),
        ("simulator CPU", f"{cpu_s / wall * PERCENT:.0f}% of one core"),
    ]


def print_table(rows: list[tuple[str, str]]) -> None:
    table = Table(title="dispatch load", show_header=False)
    table.add_column(style="cyan")
    table.add_column(justify="right")
    for label, value in rows:
        table.add_row(label, value)
    Console().print(table)


async def run_load(ctx: Ctx, stop: asyncio.Event) -> list[tuple[str, str]]:
    """Set up, warm up, measure for --duration, and return the table's rows."""
    load = LoadRun(ctx)
    try:
        await load.sign_in()
        load.make_phones()
        started = time.monotonic()
        print(f"connecting {len(load.phones)} phones ...", flush=True)
        connected = await load.connect_all()
        load.listen()
        ctx.spawn(load.schedule(), "load-schedule")
        ctx.spawn(load.reports(), "load-reports")
        ctx.stats.reset()
        ctx.playing = True
        wall0, cpu0 = time.monotonic(), time.process_time()
        server0 = proc_cpu_s(ctx.config.server_pid)
        print(f"{connected} connected in {wall0 - started:.1f} s; measuring for "
              f"{ctx.config.duration_s:g} s ...", flush=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), ctx.config.duration_s or math.inf)
        wall, cpu = time.monotonic() - wall0, time.process_time() - cpu0
        server1 = proc_cpu_s(ctx.config.server_pid)
        server_cpu = None if server0 is None or server1 is None else server1 - server0
        await ctx.tasks.cancel_all()  # the figures stop here; the phones stay connected
        return result_rows(ctx.stats, ctx.config, connected=connected, wall_s=wall,
                           cpu_s=cpu, rss=await server_rss(ctx), server_cpu_s=server_cpu)
    finally:
        await ctx.tasks.cancel_all()
        await load.close_all()
