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
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import orjson  # noqa: E402
from bench_ingest import (  # noqa: E402
    ALL_DAY,
    MS,
    OPEN_TIMEOUT_S,
    SCRYPT_N,
    FleetFigures,
    Server,
    _env,
    dispatch_app,
    fleet,
    pct,
    phase,
    redis_server,
    seed,
    uvicorn,
)
from websockets.asyncio.client import connect  # noqa: E402

from dispatch.bootstrap import bootstrap  # noqa: E402
from dispatch.settings import Settings  # noqa: E402

PHONES = 1000
SCREENS = (20, 100)
RUN_S = 10.0
RUNS = 3
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


TIMELINE_PINGS = 100
TIMELINE_EVERY_S = 0.1


async def timeline(server: Server, settings: Settings,
                   tokens: dict[str, str]) -> dict[str, list[float]]:
    """One phone on an idle server, a ping every 100 ms: when its ack, the screen channel's
    event (Redis pub/sub) and the /ws/screen event arrive, each after the send (ms)."""
    c = bootstrap(settings)
    pubsub = c.redis.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(c.keys.screen_channel())
    got: dict[str, dict[int, float]] = {"channel": {}, "screen": {}}

    def seen(where: str, raw: bytes | str) -> None:
        now = time.perf_counter()
        event = orjson.loads(raw)
        if event.get("type") == "positions":
            for item in event["items"]:
                got[where].setdefault(item["ts"], now)

    async def channel() -> None:
        async for message in pubsub.listen():
            seen("channel", message["data"])

    async with connect(server.url(f"/ws/screen?token={tokens['screen1']}"), max_size=None,
                       open_timeout=OPEN_TIMEOUT_S) as screen, connect(
            server.url(f"/ws/phone?token={tokens['gw001']}"),
            open_timeout=OPEN_TIMEOUT_S) as phone:
        await screen.recv()  # the snapshot

        async def screen_reader() -> None:
            async for raw in screen:
                seen("screen", raw)

        tasks = [asyncio.create_task(channel()), asyncio.create_task(screen_reader())]
        sent: dict[int, float] = {}
        acked: dict[int, float] = {}
        base = int(time.time() * MS) - TIMELINE_PINGS * 1000
        for n in range(TIMELINE_PINGS):
            ts = base + n * 1000
            sent[ts] = time.perf_counter()
            await phone.send(orjson.dumps({"type": "ping", "seq": n, "lat": 39.08 + n * 1e-6,
                                           "lon": 117.43, "ts": ts}).decode())
            await phone.recv()
            acked[ts] = time.perf_counter()
            await asyncio.sleep(TIMELINE_EVERY_S)
        await asyncio.sleep(0.5)
        for task in tasks:
            task.cancel()
    await pubsub.aclose()
    await c.aclose()
    return {"ack": [(acked[t] - sent[t]) * MS for t in sent],
            "channel": [(got["channel"][t] - sent[t]) * MS for t in sent if t in got["channel"]],
            "screen": [(got["screen"][t] - sent[t]) * MS for t in sent if t in got["screen"]]}


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
        phase(f"timeline: one phone, a ping every {TIMELINE_EVERY_S * MS:.0f} ms, idle server")
        with uvicorn(dispatch_app(), env) as server:
            line = asyncio.run(timeline(server, settings, tokens))
        for run in range(args.runs):
            for screens in counts:
                phase(f"run {run + 1}/{args.runs}: {args.phones} phones every 5 s for "
                      f"{args.seconds:.0f} s, {screens} screens")
                with uvicorn(dispatch_app(), env) as server:
                    runs[screens].append(asyncio.run(fleet(
                        server, settings, tokens, args.phones, args.seconds,
                        screens=screens)))
    print()
    print(f"timeline of a ping on an idle server (ms after the phone sent it; p50 / p90 of "
          f"{TIMELINE_PINGS}):")
    for name, what in (("ack", "filtered, stored in Redis (one round trip), ack back"),
                       ("channel", "... positions event on the Redis screen channel"),
                       ("screen", "... through the hub to a /ws/screen socket")):
        v = line[name]
        print(f"   {what:<56}{pct(v, 0.5):>8.1f}{pct(v, 0.9):>8.1f}   ({len(v)} seen)")
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
