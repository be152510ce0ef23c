"""Benchmark: command screens watching while thousands of phones ping.

Starts its own redis-server and a uvicorn process (fresh for each run), then runs the
same phone load twice: without screens (the baseline, measured in this run) and with
100 screens on ``/ws/screen``. Prints the server's CPU per ping for both and the ratio,
and ping -> screen latency p50 / p99 measured on a real screen socket.

Run from the repository root:  python bench/bench_screens.py  [--phones 5000] [--screens 100]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

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

PHONES = 5000
SCREENS = 100
RUN_S = 30.0


def row(name: str, f: FleetFigures) -> str:
    return (f"{name:<22}{f.pings:>9,}{f.cpu_us_per_ping:>12.0f}{f.server_cpu_pct:>9.0f}%"
            f"{pct(f.latencies_ms, 0.5):>10.0f}{pct(f.latencies_ms, 0.99):>10.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--phones", type=int, default=PHONES)
    parser.add_argument("--screens", type=int, default=SCREENS)
    parser.add_argument("--seconds", type=float, default=RUN_S)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, redis_server(Path(tmp)) as (url, _):
        settings = Settings.from_env({}, redis_url=url, data_dir=Path(tmp) / "data",
                                     scrypt_n=SCRYPT_N, patrol_windows=ALL_DAY)
        phase(f"seeding the street and {args.phones} phones")
        tokens = asyncio.run(seed(settings, args.phones))
        env = _env(url, Path(tmp) / "data")
        runs = []
        for screens in (0, args.screens):
            phase(f"{args.phones} phones every 5 s for {args.seconds:.0f} s, {screens} screens")
            with uvicorn(dispatch_app(), env) as server:
                runs.append(asyncio.run(fleet(server, settings, tokens, args.phones,
                                              args.seconds, screens=screens)))
    base, watched = runs
    print()
    print(f"{'':22}{'pings':>9}{'CPU us/ping':>12}{'CPU':>10}{'p50 ms':>10}{'p99 ms':>10}")
    print(row("no screens (baseline)", base) + "   (latency at a screen-channel subscriber)")
    print(row(f"{args.screens} screens", watched) + "   (latency at a /ws/screen socket)")
    print(f"ingest CPU per ping with / without screens: "
          f"{watched.cpu_us_per_ping / max(base.cpu_us_per_ping, 1e-9):.2f}x")


if __name__ == "__main__":
    main()
