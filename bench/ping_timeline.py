"""Where one ping's time goes, from the phone to a command screen, on an idle server.

Starts its own redis-server, the bare endpoint of ``bench_ingest`` and dispatch (uvicorn
processes with ``dispatch serve``'s protocol choices), then sends ``--pings`` pings one at
a time from one phone (``--gap-ms`` apart) while a screen socket and a Redis subscriber
on the screens' channel watch. For each ping it notes when the ack came back, when the
``positions`` event was on Redis's channel and when it reached the screen socket; the
stages are printed as p50 / p99 beside the baselines measured in the same run: the bare
endpoint's round trip and a PUBLISH seen by a subscriber.

Run from the repository root:  python bench/ping_timeline.py  [--pings 300]
"""

from __future__ import annotations

import argparse
import asyncio
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
    Server,
    _env,
    baseline_app,
    dispatch_app,
    pct,
    redis_server,
    seed,
    uvicorn,
)
from websockets.asyncio.client import ClientConnection, connect  # noqa: E402

from dispatch.bootstrap import bootstrap  # noqa: E402
from dispatch.geo.street import generate_street  # noqa: E402
from dispatch.settings import Settings  # noqa: E402

PINGS = 300
GAP_MS = 50
WARMUP = 20
PHONE = "gw001"
GOAL_SCREEN_MS = 100.0


async def bare_round_trips(server: Server, token: str, count: int) -> list[float]:
    """The bare endpoint's round trip (send a ping, its ack back), ms."""
    out = []
    async with connect(server.url(f"/ws/phone?token={token}"),
                       open_timeout=OPEN_TIMEOUT_S) as ws:
        for seq in range(count):
            t = time.perf_counter()
            await ws.send(orjson.dumps({"type": "ping", "seq": seq}).decode())
            await ws.recv()
            out.append((time.perf_counter() - t) * MS)
            await asyncio.sleep(GAP_MS / MS)
    return out


async def publish_round_trips(settings: Settings, count: int) -> list[float]:
    """A PUBLISH until a subscriber of the channel has it, ms (the floor of pub/sub)."""
    c = bootstrap(settings)
    pubsub = c.redis.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe("bench:timeline")
    out = []
    try:
        for n in range(count):
            t = time.perf_counter()
            await c.redis.publish("bench:timeline", str(n))
            while await pubsub.get_message(timeout=1.0) is None:
                pass
            out.append((time.perf_counter() - t) * MS)
            await asyncio.sleep(GAP_MS / MS)
    finally:
        await pubsub.aclose()
        await c.aclose()
    return out


class Watch:
    """When each ping (by its ts) was seen where."""

    def __init__(self) -> None:
        self.sent: dict[int, float] = {}
        self.seen: dict[str, dict[int, float]] = {"ack": {}, "redis": {}, "screen": {}}

    def note(self, where: str, raw: bytes | str) -> None:
        now = time.perf_counter()
        event = orjson.loads(raw)
        if event.get("type") != "positions":
            return
        for item in event["items"]:
            if item.get("worker") == PHONE and item["ts"] in self.sent:
                self.seen[where].setdefault(item["ts"], now)


async def timeline(server: Server, settings: Settings, tokens: dict[str, str],
                   count: int) -> Watch:
    watch = Watch()
    c = bootstrap(settings)
    pubsub = c.redis.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(c.keys.screen_channel())
    screen = await connect(server.url(f"/ws/screen?token={tokens['screen1']}"),
                           max_queue=None, max_size=None, open_timeout=OPEN_TIMEOUT_S)

    async def on_redis() -> None:
        async for message in pubsub.listen():
            watch.note("redis", message["data"])

    async def on_screen(ws: ClientConnection) -> None:
        async for raw in ws:
            watch.note("screen", raw)

    tasks = [asyncio.create_task(on_redis()), asyncio.create_task(on_screen(screen))]
    ring = generate_street().grids[0].polygon
    lon = sum(p[0] for p in ring) / len(ring)
    lat = sum(p[1] for p in ring) / len(ring)
    try:
        async with connect(server.url(f"/ws/phone?token={tokens[PHONE]}"),
                           open_timeout=OPEN_TIMEOUT_S) as phone:
            for seq in range(1, count + 1):
                ts = int(time.time() * MS)
                t = time.perf_counter()
                watch.sent[ts] = t
                await phone.send(orjson.dumps({"type": "ping", "seq": seq, "ts": ts,
                                               "lat": lat + seq * 2e-5, "lon": lon,
                                               "acc": 5.0}).decode())
                reply = orjson.loads(await phone.recv())
                if reply.get("type") == "ack":
                    watch.seen["ack"][ts] = time.perf_counter()
                await asyncio.sleep(max(GAP_MS / MS, 0.002))
        await asyncio.sleep(1.0)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await screen.close()
        await pubsub.aclose()
        await c.aclose()
    return watch


def stage(watch: Watch, start: str | None, end: str) -> list[float]:
    """ms from ``start`` (None: the send) to ``end``, pings seen at both, after warm-up."""
    out = []
    for ts, sent in sorted(watch.sent.items())[WARMUP:]:
        a = sent if start is None else watch.seen[start].get(ts)
        b = watch.seen[end].get(ts)
        if a is not None and b is not None:
            out.append((b - a) * MS)
    return out


Rows = list[tuple[str, list[float]]]


def measure(settings: Settings, env: dict[str, str], tokens: dict[str, str],
            pings: int) -> Rows:
    """The stages of ``pings`` pings and the baselines, each a list of ms."""
    with uvicorn(baseline_app(), env) as bare:
        bare_rtt = asyncio.run(bare_round_trips(bare, tokens[PHONE], pings))[WARMUP:]
    pub_rtt = asyncio.run(publish_round_trips(settings, pings))[WARMUP:]
    with uvicorn(dispatch_app(), env) as server:
        watch = asyncio.run(timeline(server, settings, tokens, pings))
    return [
        ("baseline: bare WS endpoint, send -> ack", bare_rtt),
        ("baseline: PUBLISH -> subscriber", pub_rtt),
        ("phone send -> ack (filtered, stored)", stage(watch, None, "ack")),
        ("phone send -> positions event on Redis", stage(watch, None, "redis")),
        ("  ack -> positions event on Redis", stage(watch, "ack", "redis")),
        ("  positions on Redis -> screen socket", stage(watch, "redis", "screen")),
        ("phone send -> screen socket", stage(watch, None, "screen")),
    ]


def print_rows(rows: Rows) -> None:
    print(f"{'stage (ms)':44}{'n':>6}{'p50':>9}{'p99':>9}")
    for name, values in rows:
        if not values:
            print(f"{name:44}{0:>6}{'-':>9}{'-':>9}")
            continue
        p50, p99 = pct(values, 0.5), pct(values, 0.99)
        print(f"{name:44}{len(values):>6}{p50:>9.2f}{p99:>9.2f}")
    end = rows[-1][1]
    if end:
        print(f"ping -> screen p99 on an idle server: {pct(end, 0.99):.1f} ms "
              f"(goal <= {GOAL_SCREEN_MS:g} ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pings", type=int, default=PINGS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, redis_server(Path(tmp)) as (url, _):
        settings = Settings.from_env({}, redis_url=url, data_dir=Path(tmp) / "data",
                                     scrypt_n=SCRYPT_N, patrol_windows=ALL_DAY)
        tokens = asyncio.run(seed(settings, 0))
        rows = measure(settings, _env(url, Path(tmp) / "data"), tokens, args.pings)
    print()
    print_rows(rows)


if __name__ == "__main__":
    main()
