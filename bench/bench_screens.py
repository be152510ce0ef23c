"""Benchmark: command screens watching while thousands of phones ping.

Starts its own redis-server and a uvicorn process (fresh for each run), then runs the
same phone load twice: without screens (the baseline, measured in this run) and with
20 and 100 screens on ``/ws/screen``, three runs each. Prints the server's CPU per ping and
the ratio, and ping -> screen latency p50 / p99 measured on a real screen socket, each as
min/median/max of the runs beside its goal.

Run from the repository root:  python bench/bench_screens.py  [--phones 1000] [--screens 20 100]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import ping_timeline  # noqa: E402
from bench_ingest import (  # noqa: E402
    ALL_DAY,
    SCRYPT_N,
    FleetFigures,
    _env,
    dispatch_app,
    fleet,
    pct,
    phase,
    redis_server,
    seed,
    uvicorn,
)

from dispatch.settings import Settings  # noqa: E402

PHONES = 1000
SCREENS = (20, 100)
RUN_S = 10.0
RUNS = 3
TIMELINE_PINGS = 100
#: Goal: ping -> a screen's ``positions``, p99 at 1,000 phones (200 pings/s), 100 screens.
GOAL_P99_MS = 100.0


def row(name: str, figures: list[FleetFigures]) -> str:
    def spread(values: list[float], fmt: str) -> str:
        return "/".join(format(v, fmt) for v in
                        (min(values), statistics.median(values), max(values)))

    p50 = spread([pct(f.latencies_ms, 0.5) for f in figures], ".0f")
    p99 = spread([pct(f.latencies_ms, 0.99) for f in figures], ".0f")
    cpu = spread([f.cpu_us_per_ping for f in figures], ".0f")
    events = spread([f.events / max(1.0, f.pings / 1000) for f in figures], ".0f")
    return f"{name:<24}{cpu:>16}{p50:>14}{p99:>16}{events:>20}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--phones", type=int, default=PHONES)
    parser.add_argument("--screens", type=int, nargs="+", default=list(SCREENS))
    parser.add_argument("--seconds", type=float, default=RUN_S)
    parser.add_argument("--runs", type=int, default=RUNS)
    args = parser.parse_args()
    counts = [0, *args.screens]
    runs: dict[int, list[FleetFigures]] = {n: [] for n in counts}
    with tempfile.TemporaryDirectory() as tmp, redis_server(Path(tmp)) as (url, _):
        settings = Settings.from_env({}, redis_url=url, data_dir=Path(tmp) / "data",
                                     scrypt_n=SCRYPT_N, patrol_windows=ALL_DAY)
        phase(f"seeding the street and {args.phones} phones")
        tokens = asyncio.run(seed(settings, args.phones))
        env = _env(url, Path(tmp) / "data")
        phase("timeline: one phone, a ping at a time, idle server, beside its baselines")
        line = ping_timeline.measure(settings, env, tokens, TIMELINE_PINGS)
        for run in range(args.runs):
            for screens in counts:
                phase(f"run {run + 1}/{args.runs}: {args.phones} phones every 5 s for "
                      f"{args.seconds:.0f} s, {screens} screens")
                with uvicorn(dispatch_app(), env) as server:
                    runs[screens].append(asyncio.run(fleet(
                        server, settings, tokens, args.phones, args.seconds,
                        screens=screens)))
    print()
    print("timeline of a ping on an idle server (bench/ping_timeline.py):")
    ping_timeline.print_rows(line)
    print()
    print(f"{args.phones:,} phones, one ping per 5 s each ({args.phones / 5:,.0f} pings/s); "
          f"min/median/max of {args.runs} runs, each on a fresh server")
    print(f"{'':24}{'CPU us/ping':>16}{'p50 ms':>14}{'p99 ms':>16}{'events/1000 pings':>20}")
    print(row("no screens (baseline)", runs[0]) + "   (at a screen-channel subscriber)")
    for screens in args.screens:
        print(row(f"{screens} screens", runs[screens]) + "   (at a /ws/screen socket)")
    worst = max(args.screens)
    p99 = statistics.median([pct(f.latencies_ms, 0.99) for f in runs[worst]])
    print(f"ping -> screen p99 with {worst} screens, median of runs: {p99:.0f} ms "
          f"(goal <= {GOAL_P99_MS:.0f} ms)")
    base = statistics.median([f.cpu_us_per_ping for f in runs[0]])
    for screens in args.screens:
        cpu = statistics.median([f.cpu_us_per_ping for f in runs[screens]])
        print(f"ingest CPU per ping with {screens} screens / without: {cpu / base:.2f}x")
    print("(the machine may be shared: compare within this run)")


if __name__ == "__main__":
    main()
