"""Benchmark: the case lifecycle against baselines measured in the same run.

Starts its own redis-server and a uvicorn process (``dispatch.app``), then measures
  1. report -> ``job.offered`` on a member's team socket, p50/p99, at 100 reports/s for
     10 s, against a bare PUBLISH -> subscriber round trip and a PUBLISH -> hub -> team
     socket round trip at the same rate;
  2. 240 members accepting the same job at once, 1,000 rounds: exactly one winner each
     (every other answer must be 409 already_taken), failures counted, time printed;
  3. Redis memory per closed case over 10,000 closed cases (report with a photo, accept,
     resolve with a photo, verify, rate), extrapolated to Jizhou's 1.35 million.

Run from the repository root:  python bench/bench_cases.py  [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import orjson  # noqa: E402
import psutil  # noqa: E402
from redis.asyncio import Redis  # noqa: E402
from shapely.geometry import shape  # noqa: E402
from street_setup import SCRYPT_N, issue_tokens, seed_street  # noqa: E402
from websockets.asyncio.client import ClientConnection, connect  # noqa: E402

from dispatch.bootstrap import bootstrap  # noqa: E402
from dispatch.cases.actions import Action  # noqa: E402
from dispatch.cases.commands import Command, ReportCommand  # noqa: E402
from dispatch.embedded_redis import free_port, scratch_redis  # noqa: E402
from dispatch.identity.principal import Principal  # noqa: E402
from dispatch.identity.roles import Role  # noqa: E402
from dispatch.identity.users import User  # noqa: E402
from dispatch.keys import Keys  # noqa: E402
from dispatch.org.preset import street_preset  # noqa: E402
from dispatch.rules.catalogue import load_catalogue  # noqa: E402
from dispatch.server import HTTP_IMPL, LOOP_IMPL, WS_IMPL  # noqa: E402
from dispatch.settings import Settings  # noqa: E402

START_TIMEOUT_S = 20.0
MS = 1000
ITEM = "SS01"  # street light out: city management (cgj)
DEPARTMENT = "cgj"
REPORTER = "gw001"
#: Scenario 1.
RATE_PER_S = 100
RUN_S = 10.0
DRAIN_S = 3.0
#: Scenario 2: the disposal force's size, all in one department (health, ws) for the race.
RACERS = 240
RACE_DEPARTMENT = "ws"
RACE_ITEM = "MD14"  # medical dispute: health
ROUNDS = 1000
HTTP_ROUNDS = 100
WARMUP_REPORTS = 20
#: Scenario 3.
CLOSED_CASES = 10_000
MEMORY_BATCH = 100
JIZHOU_EVENTS = 1_350_000
DESCRIPTION = "小区东门路灯不亮，夜间通行不便，请尽快维修"
RESOLUTION = "已更换灯泡和镇流器，夜间测试正常"
VERIFICATION = "现场核查，路灯已亮"
MEDIA_ID_LEN = 64
MIB = 1024 * 1024
GIB = 1024 * MIB


def phase(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# --- processes ---------------------------------------------------------------------------


@contextlib.contextmanager
def redis_server(directory: Path) -> Iterator[str]:
    with scratch_redis(directory) as server:
        yield server.url


@contextlib.contextmanager
def web_server(redis_url: str, data: Path) -> Iterator[tuple[int, int]]:
    """The dispatch app under uvicorn in its own process; yields (port, pid)."""
    port = free_port()
    env = {**os.environ, "REDIS_URL": redis_url, "DISPATCH_DATA": str(data),
           "DISPATCH_SCRYPT_N": str(SCRYPT_N), "DISPATCH_WS_RATE": "1000000",
           "DISPATCH_DUPLICATE_RADIUS": "0", "DISPATCH_LOG_LEVEL": "warning",
           "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "dispatch.app:create_app", "--host",
         "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log",
         "--lifespan", "on", "--ws", WS_IMPL, "--loop", LOOP_IMPL, "--http", HTTP_IMPL],
        env=env, cwd=ROOT)
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        with contextlib.suppress(OSError):
            if any(c.laddr.port == port for c in psutil.Process(proc.pid).net_connections()):
                break
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.1)
    try:
        yield port, proc.pid
    finally:
        proc.terminate()
        proc.wait(10)


def bench_settings(redis_url: str, data: Path) -> Settings:
    return Settings.from_env({}, redis_url=redis_url, data_dir=data, scrypt_n=SCRYPT_N,
                             duplicate_radius_m=0.0)


async def seed(settings: Settings) -> dict[str, str]:
    """The reference street plus RACERS members of one department; a token for each user."""
    c = bootstrap(settings)
    try:
        await seed_street(c)
        racers = [User(f"race{n:03d}", Role.DISPOSAL_MEMBER, RACE_DEPARTMENT)
                  for n in range(1, RACERS + 1)]
        async with c.redis.pipeline(transaction=False) as pipe:
            for user in racers:
                c.users.write(user, None, pipe)
                pipe.sadd(c.keys.dept_members(RACE_DEPARTMENT), user.username)
            await pipe.execute()
        tokens = await issue_tokens(c, (REPORTER, *members(), *desk()))
        tokens.update(await issue_tokens(c, racers))
        await c.rules.ensure_installed()
        return tokens
    finally:
        await c.aclose()


def places(count: int) -> list[tuple[float, float]]:
    """``count`` distinct points inside grid 001 (1 cm apart)."""
    grid = next(f for f in street_preset().grids["features"] if f["properties"]["id"] == "001")
    p = shape(grid["geometry"]).representative_point()
    return [(round(p.y + n * 1e-7, 7), round(p.x, 7)) for n in range(count)]


# --- 1. report -> job.offered ------------------------------------------------------------


@dataclass
class Latency:
    name: str
    values_ms: list[float]
    expected: int
    #: Reports answered 201 whose offer never arrived, by the department dispatched to.
    missing: dict[str, int] = field(default_factory=dict)

    def row(self) -> str:
        v = self.values_ms
        lost = ("  not offered: " + ", ".join(f"{d} {n}" for d, n in sorted(
            self.missing.items()))) if self.missing else ""
        if not v:
            return f"{self.name:<44} {0:>6}/{self.expected:<6} {'-':>8} {'-':>8} {'-':>8}{lost}"
        return (f"{self.name:<44} {len(v):>6}/{self.expected:<6} {statistics.median(v):>8.2f} "
                f"{pct(v, 0.99):>8.2f} {max(v):>8.2f}{lost}")


async def paced(count: int, rate: float, send: Callable[[int], Awaitable[None]]) -> None:
    """Start ``send(i)`` at ``rate`` per second, without waiting for one to finish."""
    start = time.perf_counter()
    tasks = []
    for i in range(count):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send(i)))
    await asyncio.gather(*tasks)


async def read_socket(ws: ClientConnection, kind: str, key: Callable[[dict[str, Any]], Any],
                      arrived: dict[Any, float]) -> None:
    async for raw in ws:
        message = orjson.loads(raw)
        if message.get("type") == kind:
            arrived.setdefault(key(message), time.perf_counter())


async def bare_publish(redis_url: str, channel: str, count: int, rate: float) -> Latency:
    redis = Redis.from_url(redis_url)
    sub = Redis.from_url(redis_url)
    pubsub = sub.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(channel)
    sent: dict[int, float] = {}
    arrived: dict[int, float] = {}

    async def listen() -> None:
        async for message in pubsub.listen():
            arrived[int(message["data"])] = time.perf_counter()

    listener = asyncio.create_task(listen())

    async def send(i: int) -> None:
        sent[i] = time.perf_counter()
        await redis.publish(channel, str(i))

    await paced(count, rate, send)
    await asyncio.sleep(1.0)
    listener.cancel()
    await pubsub.aclose()
    await sub.aclose()
    await redis.aclose()
    return Latency("baseline: PUBLISH -> redis subscriber",
                   [(arrived[i] - sent[i]) * MS for i in sent if i in arrived], count)


async def hub_publish(redis_url: str, channel: str, ws_url: str, count: int,
                      rate: float) -> Latency:
    redis = Redis.from_url(redis_url)
    sent: dict[int, float] = {}
    arrived: dict[Any, float] = {}
    async with connect(ws_url, max_size=None) as ws:
        await asyncio.sleep(0.5)
        reader = asyncio.create_task(read_socket(ws, "bench.ping", lambda m: m["n"], arrived))

        async def send(i: int) -> None:
            sent[i] = time.perf_counter()
            await redis.publish(channel, orjson.dumps({"type": "bench.ping", "n": i}))

        await paced(count, rate, send)
        await asyncio.sleep(1.0)
        reader.cancel()
    await redis.aclose()
    return Latency("baseline: PUBLISH -> hub -> team socket",
                   [(arrived[i] - sent[i]) * MS for i in sent if i in arrived], count)


def spread_items() -> list[str]:
    """Items that a department handles, taken round the departments in turn, so that the
    reports spread over the catalogue and over the disposal force."""
    by_department: dict[str, list[str]] = {}
    for item in load_catalogue().items:
        if item.department:
            by_department.setdefault(item.department, []).append(item.code)
    out: list[str] = []
    lists = list(by_department.values())
    for n in range(max(len(v) for v in lists)):
        out += [v[n % len(v)] for v in lists]
    return out


async def report_to_offer(base: str, ws_base: str, tokens: dict[str, str], count: int,
                          rate: float) -> tuple[Latency, Latency]:
    """Reports at ``rate`` spread over items and departments, while every member of the
    disposal force and the desk (the command centre's jobs are offered to the dispatchers)
    listen on their team sockets: report -> the first job.offered. A report whose offer
    never arrives is named by the department it was dispatched to."""
    points = places(count + WARMUP_REPORTS)
    items = spread_items()
    sent: dict[int, float] = {}
    answered: dict[int, float] = {}
    ids: dict[int, str] = {}
    departments: dict[str, str] = {}
    arrived: dict[Any, float] = {}
    headers = {"Authorization": f"Bearer {tokens[REPORTER]}"}
    stamp = time.time_ns()
    async with contextlib.AsyncExitStack() as stack:
        sockets = []
        for name in (*members(), *desk()):
            sockets.append(await stack.enter_async_context(
                connect(f"{ws_base}/ws/team?token={tokens[name]}", max_size=None)))
        readers = [asyncio.create_task(read_socket(
            ws, "job.offered", lambda m: m["case"]["id"], arrived)) for ws in sockets]
        await asyncio.sleep(0.5)
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
        async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits,
                                     timeout=30) as http:
            for n in range(WARMUP_REPORTS):  # first requests load rules and the grid index
                lat, lon = points[-1 - n]
                await http.post("/api/v1/cases", json={
                    "client_id": f"warm-{stamp}-{n}", "item": items[n % len(items)],
                    "lat": lat, "lon": lon})

            async def send(i: int) -> None:
                lat, lon = points[i]
                body = {"client_id": f"bench-{stamp}-{i}", "item": items[i % len(items)],
                        "lat": lat, "lon": lon, "description": DESCRIPTION}
                sent[i] = time.perf_counter()
                r = await http.post("/api/v1/cases", json=body)
                answered[i] = time.perf_counter()
                if r.status_code == 201:
                    case = r.json()
                    ids[i] = case["id"]
                    departments[case["id"]] = str(case.get("department"))

            await paced(count, rate, send)
        await asyncio.sleep(DRAIN_S)
        for reader in readers:
            reader.cancel()
    offered = [(arrived[ids[i]] - sent[i]) * MS for i in ids if ids[i] in arrived]
    lost = Counter(departments[cid] for cid in ids.values() if cid not in arrived)
    return (Latency(f"report -> first job.offered, {len(sockets)} sockets", offered, count,
                    dict(lost)),
            Latency("report -> HTTP 201 answer", [(answered[i] - sent[i]) * MS for i in ids],
                    count))


def members() -> list[str]:
    """The street's disposal force: dm001..dm240 (18 departments)."""
    return [p.user.username for p in street_preset().people
            if p.user.role is Role.DISPOSAL_MEMBER]


def desk() -> list[str]:
    """The command centre's dispatchers: the centre's own jobs are offered to them."""
    return [p.user.username for p in street_preset().people
            if p.user.role is Role.DISPATCHER]


# --- 2. the accept race ------------------------------------------------------------------


@dataclass
class Race:
    path: str
    rounds: int
    failures: int
    seconds: float
    round_ms: list[float]
    server_cpu_s: float
    transport_errors: int = 0  # requests lost by the client's connection, not answered

    def rows(self) -> list[str]:
        accepts = self.rounds * RACERS
        lost = f", {self.transport_errors} requests lost in transport" \
            if self.transport_errors else ""
        return [
            f"   {self.path}: {self.rounds:,} rounds, failures (not exactly one winner, all "
            f"others already_taken): {self.failures}{lost}",
            f"      total {self.seconds:.1f} s; per round p50 "
            f"{statistics.median(self.round_ms):.1f} ms, p99 {pct(self.round_ms, 0.99):.1f} ms;"
            f" server CPU {self.server_cpu_s / accepts * 1e6:.0f} us per accept",
        ]


def cpu_s(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def racer_names() -> list[str]:
    return [f"race{n:03d}" for n in range(1, RACERS + 1)]


async def new_job(http: httpx.AsyncClient, tokens: dict[str, str], tag: str,
                  point: tuple[float, float]) -> str:
    lat, lon = point
    r = await http.post("/api/v1/cases", headers={
        "Authorization": f"Bearer {tokens[REPORTER]}"}, json={
        "client_id": tag, "item": RACE_ITEM, "lat": lat, "lon": lon})
    return str(r.json()["id"])


class Racer:
    """A member's team socket that accepts every new offer at once and keeps the answers."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.answers: dict[str, str] = {}  # case -> "ack" | error code
        self.changed = asyncio.Event()

    async def run(self) -> None:
        async for raw in self.ws:
            m = orjson.loads(raw)
            kind = m.get("type")
            if kind == "job.offered" and not m.get("pending"):
                cid = m["case"]["id"]
                await self.ws.send(orjson.dumps({"type": "accept", "case": cid,
                                                 "seq": cid}).decode())
            elif kind in ("ack", "error") and m.get("ref"):
                self.answers[m["ref"]] = "ack" if kind == "ack" else m.get("code", "")
                self.changed.set()


async def socket_race(base: str, ws_base: str, tokens: dict[str, str], rounds: int,
                      server_pid: int) -> Race:
    points = places(rounds)
    stamp = time.time_ns()
    failures = 0
    round_ms = []
    async with contextlib.AsyncExitStack() as stack:
        racers = [Racer(await stack.enter_async_context(connect(
            f"{ws_base}/ws/team?token={tokens[u]}", max_size=None))) for u in racer_names()]
        tasks = [asyncio.create_task(r.run()) for r in racers]
        await asyncio.sleep(1.0)
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            cpu0, started = cpu_s(server_pid), time.perf_counter()
            for n in range(rounds):
                t0 = time.perf_counter()
                cid = await new_job(http, tokens, f"ws-{stamp}-{n}", points[n])
                while waiting := [r for r in racers if cid not in r.answers]:
                    first = waiting[0]
                    first.changed.clear()
                    if cid not in first.answers:
                        await asyncio.wait_for(first.changed.wait(), timeout=30)
                round_ms.append((time.perf_counter() - t0) * MS)
                answers = [r.answers.pop(cid) for r in racers]
                if answers.count("ack") != 1 or answers.count("already_taken") != RACERS - 1:
                    failures += 1
                if (n + 1) % max(1, rounds // 10) == 0:
                    phase(f"   {n + 1} rounds, {failures} failures")
            seconds, cpu = time.perf_counter() - started, cpu_s(server_pid) - cpu0
        for task in tasks:
            task.cancel()
    return Race("team sockets", rounds, failures, seconds, round_ms, cpu)


async def http_race(base: str, tokens: dict[str, str], rounds: int, server_pid: int) -> Race:
    racers = racer_names()
    points = places(rounds + 1)[1:]
    limits = httpx.Limits(max_connections=RACERS + 10, max_keepalive_connections=RACERS + 10)
    failures = transport = 0
    round_ms = []
    stamp = time.time_ns()
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as http:
        cpu0, started = cpu_s(server_pid), time.perf_counter()
        for n in range(rounds):
            cid = await new_job(http, tokens, f"http-{stamp}-{n}", points[n])
            t0 = time.perf_counter()
            answers = await asyncio.gather(*(http.post(
                f"/api/v1/cases/{cid}/accept", headers={"Authorization": f"Bearer {tokens[u]}"})
                for u in racers), return_exceptions=True)
            round_ms.append((time.perf_counter() - t0) * MS)
            replies = [a for a in answers if isinstance(a, httpx.Response)]
            transport += len(answers) - len(replies)
            winners = [a for a in replies if a.status_code == 200]
            lost = [a for a in replies if a.status_code == 409
                    and a.json()["error"]["code"] == "already_taken"]
            if len(winners) != 1 or len(lost) != len(replies) - 1:
                failures += 1
        seconds, cpu = time.perf_counter() - started, cpu_s(server_pid) - cpu0
    return Race("HTTP POST accept", rounds, failures, seconds, round_ms, cpu, transport)


# --- 3. memory per closed case -----------------------------------------------------------


@dataclass
class Memory:
    cases: int
    dataset: int  # growth of MEMORY STATS dataset.bytes
    families: dict[str, int]  # growth in bytes by kind of key (MEMORY USAGE)
    encoding: str

    def per_case(self, *names: str) -> float:
        return sum(self.families.get(n, 0) for n in names) / self.cases

    @property
    def case_store(self) -> float:
        """Bytes per closed case of the case store's own keys."""
        return self.per_case(*CASE_STORE)


CASE_STORE = ("case hashes", "timelines", "listing indexes", "client ids")


def family(key: str, keys: Keys) -> str:
    if key.startswith(keys.case("")):
        return "timelines" if key.endswith(":timeline") else "case hashes"
    if key == keys.case_client_ids():
        return "client ids"
    if key.startswith(keys.cases_all()[: -len("all")]):
        return "listing indexes"
    if key.startswith(keys.media("")):
        return "photo records"
    if key.startswith(keys.events_stream()):
        return "screen event stream (bounded)"
    return "other"


async def sizes(redis: Redis, keys: Keys) -> dict[str, int]:
    found: dict[str, int] = {}
    async for key in redis.scan_iter(match=keys.pattern(), count=1000):
        name = family(key.decode() if isinstance(key, bytes) else key, keys)
        found[name] = found.get(name, 0) + int(await redis.memory_usage(key, samples=0) or 0)
    return found


async def dataset_bytes(redis: Redis) -> int:
    return int((await redis.memory_stats())["dataset.bytes"])


async def fake_photo(c: Any, owner: str, n: int, ts: int) -> str:
    """A photo's record (the bytes themselves live on disk, not in Redis)."""
    media_id = f"{n:0{MEDIA_ID_LEN}x}"
    await c.redis.hset(c.keys.media(media_id), mapping={
        "type": "image/jpeg", "ext": "jpg", "size": 180_000, "ts": ts, "owner": owner})
    await c.redis.sadd(c.keys.media_owners(media_id), owner)
    return media_id


async def closed_cases(settings: Settings, count: int) -> Memory:
    c = bootstrap(settings)
    reporter = Principal(REPORTER, Role.GRID_WORKER, "001")
    member = Principal("dm001", Role.DISPOSAL_MEMBER, DEPARTMENT)
    assessor = Principal("assess1", Role.ASSESSOR)
    points = places(count)
    ids = itertools.count(1)
    try:
        base = await sizes(c.redis, c.keys)
        before = await dataset_bytes(c.redis)
        t = int(time.time() * MS)

        async def one(n: int) -> str:
            lat, lon = points[n]
            shot = await fake_photo(c, REPORTER, next(ids), t)
            case, _ = await c.cases.report(reporter, ReportCommand(
                f"mem-{n}", ITEM, lat, lon, DESCRIPTION, None, (shot,), None))
            cid = str(case["id"])
            fixed = await fake_photo(c, member.username, next(ids), t)
            await c.cases.act(member, cid, Command(Action.ACCEPT))
            await c.cases.act(member, cid, Command(Action.RESOLVE, note=RESOLUTION,
                                                   media=(fixed,)))
            await c.cases.act(reporter, cid, Command(Action.VERIFY, ok=True, note=VERIFICATION))
            await c.cases.act(assessor, cid, Command(Action.RATE, score=5, note="满意"))
            return cid

        made: list[str] = []
        for start in range(0, count, MEMORY_BATCH):
            made += await asyncio.gather(*(one(n) for n in range(start, min(count,
                                                                         start + MEMORY_BATCH))))
        await asyncio.sleep(0.5)
        after = await dataset_bytes(c.redis)
        grown = {k: v - base.get(k, 0) for k, v in (await sizes(c.redis, c.keys)).items()}
        encoding = str(await c.redis.object("encoding", c.keys.case(made[-1])))
        return Memory(count, after - before, grown, encoding)
    finally:
        await c.aclose()


# --- the table ---------------------------------------------------------------------------


def load() -> str:
    return "load average " + " ".join(f"{v:.1f}" for v in os.getloadavg()) + \
        f" on {os.cpu_count()} CPUs"


#: Goal: report -> job.offered p99 at this many ms or less, in every run.
GOAL_OFFER_P99_MS = 50.0
LATENCY_RUNS = 10


def part_latency(url: str, settings: Settings, tokens: dict[str, str], port: int, pid: int,
                 rate: float, run_s: float, runs: int = LATENCY_RUNS) -> None:
    base, ws_base = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}"
    count = int(rate * run_s)
    channel = Keys(settings.street).dept_channel(DEPARTMENT)
    phase(f"1. baselines: {count} publishes at {rate:.0f}/s")
    bare = asyncio.run(bare_publish(url, "bench:bare", count, rate))
    hub = asyncio.run(hub_publish(url, channel, f"{ws_base}/ws/team?token={tokens['dm001']}",
                                  count, rate))
    results = []
    for n in range(runs):
        phase(f"1. run {n + 1}/{runs}: {count} reports at {rate:.0f}/s over "
              f"{len(spread_items())} items -> job.offered, {len(members())} team sockets "
              f"and the desk ({load()})")
        cpu0 = cpu_s(pid)
        offered, answered = asyncio.run(report_to_offer(base, ws_base, tokens, count, rate))
        results.append((offered, answered, cpu_s(pid) - cpu0))
    print()
    print(f"1. latency at {rate:.0f} reports/s for {run_s:.0f} s, {runs} runs (ms; {load()})")
    print(f"{'path':<44} {'got/sent':>13} {'p50':>8} {'p99':>8} {'max':>8}")
    for row in (bare, hub):
        print(row.row())
    for n, (offered, answered, _) in enumerate(results):
        print(f"run {n + 1:>2}")
        print(offered.row())
        print(answered.row())
    good = sum(1 for o, _, _ in results if o.values_ms and pct(o.values_ms, 0.99)
               <= GOAL_OFFER_P99_MS and len(o.values_ms) == o.expected)
    p99s = [pct(o.values_ms, 0.99) for o, _, _ in results if o.values_ms]
    print(f"   report -> job.offered p99 <= {GOAL_OFFER_P99_MS:.0f} ms (every offer seen) in "
          f"{good} of {runs} runs (goal: all); p99 min/median/max "
          f"{min(p99s):.1f} / {statistics.median(p99s):.1f} / {max(p99s):.1f} ms")
    cpu = statistics.median([c for _, _, c in results])
    print(f"   web process CPU {cpu / count * MS:.2f} ms per report (median of runs; "
          f"{len(members()) + len(desk())} sockets listening)")
    print()


def part_race(tokens: dict[str, str], port: int, pid: int, rounds: int,
              http_rounds: int) -> None:
    base, ws_base = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}"
    phase(f"2. {RACERS} members accept the same job on their sockets, {rounds} rounds")
    races = [asyncio.run(socket_race(base, ws_base, tokens, rounds, pid))]
    phase(f"2. {RACERS} members POST accept for the same job, {http_rounds} rounds")
    races.append(asyncio.run(http_race(base, tokens, http_rounds, pid)))
    print()
    print(f"2. {RACERS} members accept the same job at once (a round: report, offer to all, "
          f"{RACERS} accepts; {load()})")
    for race in races:
        for line in race.rows():
            print(line)
    print()


def part_memory(n_cases: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, redis_server(Path(tmp)) as url:
        settings = bench_settings(url, Path(tmp) / "data")
        phase(f"3. memory: {n_cases:,} closed cases in a fresh Redis")
        asyncio.run(seed(settings))
        memory = asyncio.run(closed_cases(settings, n_cases))
    photos = memory.per_case("photo records")
    per = memory.case_store + photos
    print()
    print(f"3. Redis memory over {memory.cases:,} closed cases (photo on report and on resolve; "
          f"report, route, accept, resolve, verify, rate)")
    print(f"   per closed case, with its 2 photo records: {per:,.0f} B  (" + ", ".join(
        f"{name} {memory.per_case(name):,.0f}" for name in (*CASE_STORE, "photo records"))
        + f"; hash encoding {memory.encoding})")
    print(f"   extrapolated to {JIZHOU_EVENTS:,} cases: {per * JIZHOU_EVENTS / GIB:.2f} GiB")
    stream = memory.families.get("screen event stream (bounded)", 0)
    print(f"   screen event stream: bounded ({settings.events_keep:,} events), "
          f"{stream / MIB:.1f} MiB now")
    print(f"   cross-check: dataset.bytes grew {memory.dataset / memory.cases:,.0f} B per case "
          f"(all of the above)")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=RATE_PER_S)
    parser.add_argument("--seconds", type=float, default=RUN_S)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--http-rounds", type=int, default=HTTP_ROUNDS)
    parser.add_argument("--cases", type=int, default=CLOSED_CASES)
    parser.add_argument("--parts", default="1,2,3", help="which measurements, e.g. 1,3")
    parser.add_argument("--runs", type=int, default=LATENCY_RUNS, help="runs of part 1")
    parser.add_argument("--quick", action="store_true", help="smaller runs, for a smoke test")
    args = parser.parse_args()
    parts = {p.strip() for p in args.parts.split(",")}
    rounds = min(args.rounds, 50) if args.quick else args.rounds
    http_rounds = min(args.http_rounds, 10) if args.quick else args.http_rounds
    n_cases = min(args.cases, 1000) if args.quick else args.cases
    run_s = min(args.seconds, 3.0) if args.quick else args.seconds
    if parts & {"1", "2"}:
        with tempfile.TemporaryDirectory() as tmp, redis_server(Path(tmp)) as url:
            data = Path(tmp) / "data"
            settings = bench_settings(url, data)
            phase(f"seeding the street and {RACERS} racers")
            tokens = asyncio.run(seed(settings))
            with web_server(url, data) as (port, pid):
                if "1" in parts:
                    part_latency(url, settings, tokens, port, pid, args.rate, run_s,
                                 args.runs)
                if "2" in parts:
                    part_race(tokens, port, pid, rounds, http_rounds)
    if "3" in parts:
        part_memory(n_cases)

if __name__ == "__main__":
    main()
