"""Where a phone's ping spends the web process's CPU: cProfile of ``/ws/phone``.

Starts its own redis-server and a uvicorn process under cProfile, drives phones in a
closed loop (send a ping, wait for the ack; or batches of ``--batch`` pings), stops
the server and prints the functions with the most own time and the most cumulative
time, per ping.

Run from the repository root:  python bench/profile_ingest.py  [--batch 50] [--top 25]
"""

from __future__ import annotations

import argparse
import asyncio
import pstats
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

from bench_ingest import (  # noqa: E402
    ALL_DAY,
    CPU_PHONES,
    FIX_S,
    MS,
    SCRYPT_N,
    WARMUP_PINGS,
    _env,
    dispatch_app,
    drive,
    osmand_fixes,
    osmand_loop,
    redis_server,
    seed,
    uvicorn,
    walks,
)

from dispatch.settings import Settings  # noqa: E402

PINGS = 200


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pings", type=int, default=PINGS, help="per phone")
    parser.add_argument("--batch", type=int, default=1, help="pings per message")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--osmand", action="store_true", help="OsmAnd POSTs instead")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, redis_server(Path(tmp)) as (url, _):
        settings = Settings.from_env({}, redis_url=url, data_dir=Path(tmp) / "data",
                                     scrypt_n=SCRYPT_N, patrol_windows=ALL_DAY)
        tokens = asyncio.run(seed(settings, 0))
        t0 = int(time.time() * MS) - (WARMUP_PINGS + args.pings + 10) * args.batch * FIX_S * MS
        pings = walks(CPU_PHONES, WARMUP_PINGS + args.pings, t0, batch=args.batch)
        out = Path(tmp) / "web.prof"
        with uvicorn(dispatch_app(), _env(url, Path(tmp) / "data"),
                     python=(str(BENCH / "profiled_server.py"), str(out))) as server:
            if args.osmand:
                fixes = osmand_fixes(0, CPU_PHONES * args.pings, t0)
                first = {fix[0]: fix for fix in reversed(fixes)}  # each device's first fix:
                asyncio.run(osmand_loop(server, list(first.values())))  # device look-ups
                asyncio.run(osmand_loop(server, [f for f in fixes if first[f[0]] is not f]))
                n = len(fixes)
            else:
                asyncio.run(drive(server, tokens, pings, slice(None)))
                n = sum(len(p) for p in pings.values()) * args.batch
        stats = pstats.Stats(str(out))
        print(f"{n:,} pings ({args.batch} per message); total {stats.total_tt:.2f} s of "
              f"profiled time = {stats.total_tt / n * 1e6:.0f} us per ping (cProfile's own "
              "overhead included)")
        for key in ("tottime", "cumulative"):
            stats.sort_stats(key).print_stats(args.top)


if __name__ == "__main__":
    main()
