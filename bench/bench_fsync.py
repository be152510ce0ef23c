"""Benchmark: what ``DISPATCH_FSYNC=always`` costs against ``everysec``, in the same run.

Starts two redis-servers with AOF on, on the same disk, one per ``appendfsync`` mode, and
measures on each
  1. reporting cases through the case service (the Lua transition with its timeline, indexes,
     timers, offers and screen event: one acked write a grid worker waits for), at a fixed
     concurrency, reports per second and latency p50/p99;
  2. a department member accepting them (the accept race's write);
  3. the baseline: a bare ``SET`` at the same concurrency.
and prints each mode's figures and the ratio always / everysec. With ``always`` Redis writes
every command to disk (fsync) before it answers: an acked write survives a power cut.

Run from the repository root:  python bench/bench_fsync.py  [--quick] [--dir DIR]
(DIR: where the AOF files go; default a temporary directory under var/, on the real disk.)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from shapely.geometry import shape  # noqa: E402

from dispatch.bootstrap import bootstrap  # noqa: E402
from dispatch.cases.actions import Action  # noqa: E402
from dispatch.cases.commands import Command, ReportCommand  # noqa: E402
from dispatch.embedded_redis import (  # noqa: E402
    LOOPBACK,
    find_binary,
    free_port,
    ping,
    server_args,
)
from dispatch.identity.principal import Principal  # noqa: E402
from dispatch.identity.roles import Role  # noqa: E402
from dispatch.org.preset import street_preset  # noqa: E402
from dispatch.org.seed import seed_org  # noqa: E402
from dispatch.settings import Settings  # noqa: E402

MODES = ("everysec", "always")
SCRYPT_N = 16
CONCURRENCY = 32
ITEM = "SS01"  # street light out: city management (cgj)
MS = 1000
START_TIMEOUT_S = 20.0


@dataclass
class Figures:
    name: str
    seconds: float
    latencies_ms: list[float]

    @property
    def rate(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        v = sorted(self.latencies_ms)
        return v[min(len(v) - 1, int(q * len(v)))] if v else 0.0


@contextlib.contextmanager
def aof_server(directory: Path, mode: str) -> Iterator[str]:
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    args = server_args(find_binary(), directory, port, daemonize=False, fsync=mode)
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://{LOOPBACK}:{port}/0"
    deadline = time.monotonic() + START_TIMEOUT_S
    while not ping(url):
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise RuntimeError(f"redis-server ({mode}) did not start")
        time.sleep(0.05)
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(15)


async def timed(count: int, one: Callable[[int], Awaitable[None]], name: str) -> Figures:
    latencies: list[float] = []
    next_n = iter(range(count))

    async def lane() -> None:
        for n in next_n:
            started = time.perf_counter()
            await one(n)
            latencies.append((time.perf_counter() - started) * MS)

    started = time.perf_counter()
    await asyncio.gather(*(lane() for _ in range(CONCURRENCY)))
    return Figures(name, time.perf_counter() - started, latencies)


def places(count: int) -> list[tuple[float, float]]:
    grid = next(f for f in street_preset().grids["features"] if f["properties"]["id"] == "001")
    p = shape(grid["geometry"]).representative_point()
    return [(round(p.y + n * 1e-7, 7), round(p.x, 7)) for n in range(count)]


async def measure(url: str, data: Path, count: int) -> list[Figures]:
    settings = Settings.from_env({}, redis_url=url, data_dir=data, scrypt_n=SCRYPT_N,
                                 duplicate_radius_m=0.0)
    c = bootstrap(settings)
    try:
        await seed_org(c.redis, c.keys, c.users, c.org, street_preset(), "bench")
        await c.rules.ensure_installed()
        reporter = Principal("gw001", Role.GRID_WORKER, "001")
        member = Principal("dm001", Role.DISPOSAL_MEMBER, "cgj")
        points = places(count)
        ids: list[str] = [""] * count

        async def report(n: int) -> None:
            lat, lon = points[n]
            case, _ = await c.cases.report(reporter, ReportCommand(
                f"fsync-{n}", ITEM, lat, lon, "路灯不亮", None, (), None))
            ids[n] = str(case["id"])

        async def accept(n: int) -> None:
            await c.cases.act(member, ids[n], Command(Action.ACCEPT))

        async def bare(n: int) -> None:
            await c.redis.set(f"bench:fsync:{n}", "x" * 200)

        # warm-up: the rules, the grid index and the scripts are loaded on first use
        lat, lon = points[0]
        warm, _ = await c.cases.report(reporter, ReportCommand(
            "fsync-warm-up", ITEM, lat - 1e-5, lon, "路灯不亮", None, (), None))
        await c.cases.act(member, str(warm["id"]), Command(Action.ACCEPT))
        return [await timed(count, bare, "bare SET"),
                await timed(count, report, "report a case"),
                await timed(count, accept, "accept a job")]
    finally:
        await c.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer operations")
    parser.add_argument("--dir", type=Path, default=None, help="where the AOF files go")
    args = parser.parse_args()
    count = 500 if args.quick else 3000
    base = args.dir or ROOT / "var"
    base.mkdir(parents=True, exist_ok=True)
    results: dict[str, list[Figures]] = {}
    with tempfile.TemporaryDirectory(dir=base, prefix="bench-fsync-") as tmp:
        for mode in MODES:
            print(f"appendfsync {mode}: {count} operations of each kind, "
                  f"{CONCURRENCY} at a time ...", flush=True)
            with aof_server(Path(tmp) / mode, mode) as url:
                results[mode] = asyncio.run(measure(url, Path(tmp) / f"data-{mode}", count))
    print(f"\n{'operation':<16} {'appendfsync':<12} {'ops/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
    for n in range(len(results[MODES[0]])):
        for mode in MODES:
            f = results[mode][n]
            print(f"{f.name:<16} {mode:<12} {f.rate:>9.0f} {f.pct(0.5):>8.2f} "
                  f"{f.pct(0.99):>8.2f}")
    print("\nalways / everysec:")
    for n, every in enumerate(results["everysec"]):
        always = results["always"][n]
        slower = every.rate / always.rate if always.rate else float("inf")
        print(f"  {every.name:<16} throughput x{1 / slower:.2f} ({slower:.1f} times slower), "
              f"p50 {always.pct(0.5) / max(every.pct(0.5), 1e-9):.1f}x, "
              f"p99 {always.pct(0.99) / max(every.pct(0.99), 1e-9):.1f}x")
    median = statistics.median(f.seconds for fs in results.values() for f in fs)
    print(f"\n(median phase {median:.1f} s; disk: {base.resolve()})")


if __name__ == "__main__":
    main()
