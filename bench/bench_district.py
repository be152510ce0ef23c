"""Benchmark: a district deployment (26 streets, 1,248 grids, one set of processes) on one
Redis and on a 3-master Redis Cluster, with 1 and 2 web processes, in the same run.

For each store the district preset is put in place (seeded once, then restored from its
archives: ``bench/street_setup.py``), every grid worker sends one fix (so that each of the
1,248 has a position; the second store gets the first's data, fixes included, through
``dispatch backup`` / ``restore``), and then:

- pings: phones of every street in a closed loop (send, wait for the ack), split across 1
  or 2 web processes (two uvicorn processes, as ``dispatch serve --workers 2`` runs two):
  pings/s, and CPU per ping of the web processes and the redis-servers together (the
  cluster's 6 nodes, replicas included);
- the district view (1 web process, after the fixes): what a district screen loads,
  ``GET /api/v1/district`` and the screen snapshot of every street
  (``/ws/screen?street=CODE`` as the district's screen user): bytes and time.

The baseline is 1 web process on one Redis, measured in the same run; the figures are
printed beside it (no goal is named for these yet).

Run from the repository root:  python bench/bench_district.py  [--quick] [--phones 52]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
for path in (ROOT, BENCH):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import httpx  # noqa: E402
import orjson  # noqa: E402
from bench_cluster import Procs  # noqa: E402
from bench_ingest import MS, Server, _env, dispatch_app, uvicorn  # noqa: E402
from street_setup import (  # noqa: E402
    SCRYPT_N,
    district_codes,
    district_settings,
    issue_tokens,
    seeded_district,
    street_container,
)
from websockets.asyncio.client import connect  # noqa: E402

from dispatch.backup import backup_all, restore  # noqa: E402
from dispatch.embedded_redis import scratch_redis  # noqa: E402
from dispatch.org.district_preset import CENTRE, district_preset  # noqa: E402
from dispatch.scratch_cluster import scratch_cluster  # noqa: E402
from dispatch.settings import Settings  # noqa: E402

CACHE = ROOT / "var" / "bench-district"
OPEN_TIMEOUT_S = 60.0
#: Phones per street in the pings part, and pings per phone (after the warm-up).
PHONES_PER_STREET, PINGS = 4, 200
QUICK_PHONES_PER_STREET, QUICK_PINGS = 2, 80
WARMUP_PINGS = 10
#: Sockets opened at once when every worker sends its one fix.
CONNECT_BATCH = 100
VIEW_RUNS, QUICK_VIEW_RUNS = 5, 3
RUNS, QUICK_RUNS = 3, 1
#: Fixes of one phone: a few metres apart inside its grid, this far apart in time.
STEP_DEG = 0.00002
FIX_S = 5
DISTRICT_WORKERS = 1240
DISPATCHER, SCREEN = "district.disp1", "district.screen"
WEB_COUNTS = (1, 2)


@dataclass(frozen=True)
class Phone:
    username: str
    street: str
    lon: float
    lat: float


def phones() -> list[Phone]:
    """Every grid worker of the district, street by street, at the middle of its grid."""
    found = []
    for street in district_preset():
        for feature in street.grids["features"]:
            ring = feature["geometry"]["coordinates"][0]
            lon = sum(p[0] for p in ring[:-1]) / (len(ring) - 1)
            lat = sum(p[1] for p in ring[:-1]) / (len(ring) - 1)
            found.append(Phone(f"{street.street.code}.gw{feature['properties']['id']}",
                               street.street.code, lon, lat))
    return found


def spread(every: list[Phone], per_street: int) -> list[Phone]:
    """``per_street`` phones of each street."""
    taken: dict[str, int] = {}
    out = []
    for p in every:
        if taken.get(p.street, 0) < per_street:
            taken[p.street] = taken.get(p.street, 0) + 1
            out.append(p)
    return out


def fixes(phone: Phone, count: int, t0: int) -> list[str]:
    return [orjson.dumps({"type": "ping", "seq": i + 1, "lat": phone.lat,
                          "lon": phone.lon + (i % 10) * STEP_DEG,
                          "ts": t0 + i * FIX_S * MS, "acc": 5.0, "batt": 80}).decode()
            for i in range(count)]


async def tokens_for(settings: Settings, users: dict[str, list[str]]) -> dict[str, str]:
    """Tokens (``street.secret``) for ``users`` by street."""
    out: dict[str, str] = {}
    for street, names in users.items():
        c = street_container(settings, street)
        try:
            out.update(await issue_tokens(c, names, qualified=True))
        finally:
            await c.aclose()
    return out


async def closed_loop(server: Server, token: str, messages: list[str]) -> None:
    async with connect(server.url(f"/ws/phone?token={token}"), max_queue=None,
                       open_timeout=OPEN_TIMEOUT_S) as ws:
        for message in messages:
            await ws.send(message)
            while True:
                reply = orjson.loads(await ws.recv())
                if reply.get("type") == "ack":
                    break
                if reply.get("type") == "error":
                    raise RuntimeError(f"refused: {reply}")


async def every_worker_once(server: Server, tokens: dict[str, str], every: list[Phone],
                            t0: int) -> None:
    for start in range(0, len(every), CONNECT_BATCH):
        batch = every[start:start + CONNECT_BATCH]
        await asyncio.gather(*(closed_loop(server, tokens[p.username], fixes(p, 1, t0))
                               for p in batch))


async def drive(servers: list[Server], tokens: dict[str, str],
                plan: dict[str, list[str]], part: slice) -> float:
    started = time.perf_counter()
    await asyncio.gather(*(closed_loop(servers[n % len(servers)], tokens[name], msgs[part])
                           for n, (name, msgs) in enumerate(plan.items())))
    return time.perf_counter() - started


@dataclass(frozen=True)
class PingFigures:
    pings: int
    wall_s: float
    cpu_s: float

    @property
    def per_s(self) -> float:
        return self.pings / self.wall_s

    @property
    def us_per_ping(self) -> float:
        return self.cpu_s / self.pings * 1e6


def cpu_s(servers: list[Server], redis_procs: Procs) -> float:
    times = redis_procs.cpu_times()
    return sum(s.cpu_s() for s in servers) + times.user + times.system


def measure_pings(servers: list[Server], redis_procs: Procs, tokens: dict[str, str],
                  plan: dict[str, list[str]]) -> PingFigures:
    asyncio.run(drive(servers, tokens, plan, slice(0, WARMUP_PINGS)))
    time.sleep(1.0)
    cpu0 = cpu_s(servers, redis_procs)
    wall = asyncio.run(drive(servers, tokens, plan, slice(WARMUP_PINGS, None)))
    time.sleep(1.0)  # the last positions flush
    n = sum(len(m) - WARMUP_PINGS for m in plan.values())
    return PingFigures(n, wall, cpu_s(servers, redis_procs) - cpu0)


@dataclass(frozen=True)
class ViewFigures:
    district_bytes: int
    district_ms: float
    snapshot_bytes: int
    snapshot_ms: float
    workers: int
    positioned: int

    @property
    def total_ms(self) -> float:
        return self.district_ms + self.snapshot_ms

    @property
    def total_bytes(self) -> int:
        return self.district_bytes + self.snapshot_bytes


async def snapshot(server: Server, token: str, street: str) -> tuple[bytes, float]:
    started = time.perf_counter()
    async with connect(server.url(f"/ws/screen?token={token}&street={street}"),
                       max_size=None, open_timeout=OPEN_TIMEOUT_S) as ws:
        while True:
            raw = await ws.recv()
            data = raw.encode() if isinstance(raw, str) else raw
            if orjson.loads(data).get("type") == "snapshot":
                return data, (time.perf_counter() - started) * MS


async def district_view(server: Server, tokens: dict[str, str]) -> ViewFigures:
    """``GET /api/v1/district`` as the district's dispatcher, then every street's screen
    snapshot as the district's screen (at once, as a screen opening them would)."""
    streets = [c for c in district_codes() if c != CENTRE]
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}",
                                 headers={"Authorization": f"Bearer {tokens[DISPATCHER]}"},
                                 timeout=OPEN_TIMEOUT_S) as http:
        started = time.perf_counter()
        r = await http.get("/api/v1/district")
        district_ms = (time.perf_counter() - started) * MS
    r.raise_for_status()
    assert len(r.json()["streets"]) == len(streets), r.text[:200]
    started = time.perf_counter()
    snaps = await asyncio.gather(*(snapshot(server, tokens[SCREEN], s) for s in streets))
    snapshot_ms = (time.perf_counter() - started) * MS
    workers = [w for data, _ in snaps for w in orjson.loads(data)["workers"]]
    return ViewFigures(len(r.content), district_ms, sum(len(d) for d, _ in snaps),
                       snapshot_ms, len(workers),
                       sum(w.get("position") is not None for w in workers))


@dataclass
class Store:
    name: str
    env: dict[str, str]
    redis_procs: Procs
    tokens: dict[str, str]
    views: list[ViewFigures] = field(default_factory=list)
    #: Each round's figures, by the number of web processes.
    pings: dict[int, list[PingFigures]] = field(default_factory=dict)


@contextlib.contextmanager
def web(count: int, env: dict[str, str]) -> Iterator[list[Server]]:
    with contextlib.ExitStack() as stack:
        yield [stack.enter_context(uvicorn(dispatch_app(), env)) for _ in range(count)]


def prepare(name: str, url: str, queue_url: str, redis_procs: Procs, data: Path,
            view_runs: int, t0: int, placed: Path) -> Store:
    """The district in place with every worker's fix (sent by its phone for the first store,
    kept as archives in ``placed`` and restored from there for the next), a token for every
    worker and the district's users; then the district view measured ``view_runs`` times."""
    settings = district_settings(Settings.from_env(
        {}, redis_url=url, redis_queue_url=queue_url, data_dir=data, scrypt_n=SCRYPT_N))
    started = time.perf_counter()
    archives = sorted(placed.glob("*.tar.gz"))
    if archives:
        for path in archives:
            asyncio.run(restore(settings, path, force=True))
    else:
        asyncio.run(seeded_district(settings, CACHE))
    every = phones()
    users: dict[str, list[str]] = {}
    for p in every:
        users.setdefault(p.street, []).append(p.username)
    users.setdefault(CENTRE, []).extend([DISPATCHER, SCREEN])
    tokens = asyncio.run(tokens_for(settings, users))
    env = {**_env(url, data), "REDIS_QUEUE_URL": queue_url, "DISPATCH_LOG_LEVEL": "error",
           "DISPATCH_STREETS": settings.streets, "DISPATCH_DISTRICT": CENTRE,
           "DISPATCH_STREET": settings.street}
    store = Store(name, env, redis_procs, tokens)
    with web(1, env) as servers:
        if not archives:
            asyncio.run(every_worker_once(servers[0], tokens, every, t0))
            asyncio.run(backup_all(settings, placed))
        placed_s = time.perf_counter() - started
        for _ in range(view_runs):
            store.views.append(asyncio.run(district_view(servers[0], tokens)))
    print(f"  [{name}] district in place, {len(tokens)} tokens, {len(every)} workers' fixes "
          f"({'restored' if archives else 'sent'}) in {placed_s:.1f} s; district view "
          f"{store.views[-1].total_ms:.0f} ms", flush=True)
    return store


def span_ms(pings: int) -> int:
    """The time one configuration's fixes cover (each gets a span of its own)."""
    return (WARMUP_PINGS + pings + 1) * FIX_S * MS


def measure_round(store: Store, chosen: list[Phone], pings: int, t0: int) -> None:
    for n, count in enumerate(WEB_COUNTS):
        plan = {p.username: fixes(p, WARMUP_PINGS + pings, t0 + n * span_ms(pings))
                for p in chosen}
        with web(count, store.env) as servers:
            f = measure_pings(servers, store.redis_procs, store.tokens, plan)
        store.pings.setdefault(count, []).append(f)
        print(f"  [{store.name}] {count} web: {f.per_s:.0f} pings/s, {f.us_per_ping:.0f} us "
              f"CPU per ping", flush=True)


def _mmm(values: list[float]) -> str:
    return (f"{min(values):.0f} / {statistics.median(values):.0f} / {max(values):.0f}"
            if len(values) > 1 else f"{values[0]:.0f}")


def report(stores: list[Store], phones_n: int, pings: int) -> None:
    base = stores[0]
    base_rate = statistics.median(f.per_s for f in base.pings[1])
    base_cpu = statistics.median(f.us_per_ping for f in base.pings[1])
    runs = len(base.pings[1])
    print()
    print(f"Pings: {phones_n} phones of {len(district_codes()) - 1} streets x {pings} pings, "
          f"closed loop, {runs} round(s) (each round measures every configuration in turn); "
          f"CPU = web processes + redis-servers. Baseline: 1 web on {base.name}, same run. "
          f"Machine shared and loaded: read the ratios (medians).")
    print(f"   {'store':<12} {'web':>3} {'pings/s (min/med/max)':>22} {'x base':>7} "
          f"{'us CPU/ping (min/med/max)':>26} {'x base':>7}")
    for s in stores:
        for count, figures in s.pings.items():
            rate = statistics.median(f.per_s for f in figures)
            cpu = statistics.median(f.us_per_ping for f in figures)
            print(f"   {s.name:<12} {count:>3} {_mmm([f.per_s for f in figures]):>22} "
                  f"{rate / base_rate:>7.2f} {_mmm([f.us_per_ping for f in figures]):>26} "
                  f"{cpu / base_cpu:>7.2f}")
    print()
    base_view = statistics.median(v.total_ms for v in base.views)
    print(f"District view, {DISTRICT_WORKERS:,}-grid district (GET /api/v1/district + the "
          f"screen snapshot of every street, as the district screen; 1 web; "
          f"{len(base.views)} runs). Baseline: {base.name}.")
    print(f"   {'store':<12} {'workers':>7} {'placed':>6} {'district B':>10} "
          f"{'snapshots B':>11} {'district ms':>11} {'snapshots ms':>12} "
          f"{'total ms (min/med/max)':>23} {'x base':>7}")
    for s in stores:
        v = s.views[-1]
        total = [x.total_ms for x in s.views]
        print(f"   {s.name:<12} {v.workers:>7} {v.positioned:>6} {v.district_bytes:>10,} "
              f"{v.snapshot_bytes:>11,} "
              f"{statistics.median(x.district_ms for x in s.views):>11.0f} "
              f"{statistics.median(x.snapshot_ms for x in s.views):>12.0f} "
              f"{_mmm(total):>23} {statistics.median(total) / base_view:>7.2f}")
    print(f"   the district view's size: {base.views[-1].total_bytes:,} B in all "
          f"({base.views[-1].total_bytes / max(1, base.views[-1].workers):.0f} B per worker)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help=f"{QUICK_PHONES_PER_STREET} phones per street x {QUICK_PINGS} pings, "
                         f"{QUICK_VIEW_RUNS} views")
    ap.add_argument("--phones-per-street", type=int)
    ap.add_argument("--pings", type=int)
    ap.add_argument("--runs", type=int, help=f"rounds of the pings (default {RUNS}, quick "
                    f"{QUICK_RUNS})")
    ap.add_argument("--cluster-first", action="store_true",
                    help="measure the cluster before the single server (order effects)")
    args = ap.parse_args()
    per_street = args.phones_per_street or (
        QUICK_PHONES_PER_STREET if args.quick else PHONES_PER_STREET)
    pings = args.pings or (QUICK_PINGS if args.quick else PINGS)
    view_runs = QUICK_VIEW_RUNS if args.quick else VIEW_RUNS
    rounds = args.runs or (QUICK_RUNS if args.quick else RUNS)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name in ("one", "queues", "cluster"):
            (root / name).mkdir()
        with scratch_redis(root / "one") as one, scratch_redis(root / "queues") as queues, \
                scratch_cluster(root / "cluster") as cluster:
            stores = [("one redis", one.url, Procs([one.process.pid]), root / "d1"),
                      ("cluster 3+3", cluster.url,
                       Procs([n.process.pid for n in cluster.nodes]), root / "d2")]
            if args.cluster_first:
                stores.reverse()
            print(f"district: {len(district_codes()) - 1} streets; stores: "
                  f"{', '.join(s[0] for s in stores)}; web processes: {WEB_COUNTS}", flush=True)
            t0 = int(time.time() * MS) - (rounds * len(WEB_COUNTS) + 2) * span_ms(pings)
            (root / "placed").mkdir()
            prepared = [prepare(name, url, queues.url, procs, data, view_runs, t0,
                                root / "placed") for name, url, procs, data in stores]
            chosen = spread(phones(), per_street)
            for n in range(rounds):  # each round in the other order: order effects even out
                for store in prepared[::-1] if n % 2 else prepared:
                    measure_round(store, chosen, pings,
                                  t0 + (n * len(WEB_COUNTS) + 1) * span_ms(pings))
    report(prepared, per_street * (len(district_codes()) - 1), pings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
