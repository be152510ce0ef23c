"""Benchmark: the web process's memory while phones reconnect, against a bare server.

Starts its own redis-server, then for the bare WebSocket endpoint (bench_ingest's) and
for dispatch, each in a fresh uvicorn: ``--phones`` phones connect, send a ping, get
its ack and disconnect, ``--cycles`` times (a reconnect storm: the street's phones coming
back after the network dropped). Prints the server's RSS after each cycle and the growth
from the first cycle to the last, beside the goal (flat within 10 %).

Run from the repository root:  python bench/bench_reconnect.py  [--phones 2000] [--cycles 3]
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
    CONNECT_BATCH,
    MS,
    OPEN_TIMEOUT_S,
    SCRYPT_N,
    Server,
    _env,
    baseline_app,
    dispatch_app,
    phase,
    redis_server,
    seed,
    uvicorn,
)
from websockets.asyncio.client import ClientConnection, connect  # noqa: E402
from websockets.exceptions import InvalidStatus  # noqa: E402

from dispatch.settings import Settings  # noqa: E402

PHONES = 2000
CYCLES = 3
SETTLE_S = 3.0
#: Goal: RSS after the last cycle within this fraction of the first's.
GOAL_GROWTH = 0.10
MIB = 1024 * 1024
RETRIES = 5
RETRY_S = 1.0
#: Handshakes refused (and retried), over the run.
refused = [0]


async def cycle(server: Server, tokens: list[str], n: int) -> None:
    """Every phone connects, pings once, reads its ack and leaves."""
    async def phone(k: int, token: str) -> ClientConnection:
        for attempt in range(RETRIES):  # a refused phone retries, as the app does
            try:
                ws = await connect(server.url(f"/ws/phone?token={token}"), ping_interval=None,
                                   open_timeout=OPEN_TIMEOUT_S)
                break
            except InvalidStatus:
                refused[0] += 1
                await asyncio.sleep(RETRY_S * (attempt + 1))
        else:
            raise RuntimeError("a phone was refused every time")
        await ws.send(orjson.dumps({"type": "ping", "seq": n, "lat": 39.08, "lon": 117.43,
                                    "ts": int(time.time() * MS) - k}).decode())
        await ws.recv()
        return ws

    opened: list[ClientConnection] = []
    for i in range(0, len(tokens), CONNECT_BATCH):
        opened += await asyncio.gather(*(phone(i + k, t) for k, t in
                                         enumerate(tokens[i:i + CONNECT_BATCH])))
    await asyncio.gather(*(ws.close() for ws in opened))


def storm(server: Server, tokens: list[str], cycles: int) -> list[float]:
    """RSS (MiB) after each cycle, once the server settled."""
    out = []
    for n in range(cycles):
        asyncio.run(cycle(server, tokens, n))
        time.sleep(SETTLE_S)
        out.append(server.rss() / MIB)
        phase(f"   cycle {n + 1}: {out[-1]:.0f} MiB")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--phones", type=int, default=PHONES)
    parser.add_argument("--cycles", type=int, default=CYCLES)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp, redis_server(Path(tmp)) as (url, _):
        settings = Settings.from_env({}, redis_url=url, data_dir=Path(tmp) / "data",
                                     scrypt_n=SCRYPT_N, patrol_windows=ALL_DAY)
        phase(f"seeding the street and {args.phones} phones")
        tokens = asyncio.run(seed(settings, args.phones))
        phones = sorted(t for name, t in tokens.items() if name.startswith("ph"))
        env = _env(url, Path(tmp) / "data")
        for name, app in (("bare server (baseline)", baseline_app()),
                          ("dispatch", dispatch_app())):
            phase(f"{name}: {args.phones} phones reconnect {args.cycles} times")
            with uvicorn(app, env) as server:
                start = server.rss() / MIB
                rss = storm(server, phones, args.cycles)
            rows.append((name, start, rss))
    print()
    print(f"{'server RSS, MiB':<26}{'idle':>8}" +
          "".join(f"{f'cycle {n + 1}':>10}" for n in range(args.cycles)) + f"{'growth':>10}")
    for name, start, rss in rows:
        growth = rss[-1] / rss[0] - 1
        print(f"{name:<26}{start:>8.0f}" + "".join(f"{v:>10.0f}" for v in rss) +
              f"{growth:>+10.1%}")
    print(f"handshakes refused and retried: {refused[0]}")
    print(f"goal: dispatch's RSS flat within {GOAL_GROWTH:.0%} from the first cycle to the "
          "last (the machine may be shared)")


if __name__ == "__main__":
    main()
