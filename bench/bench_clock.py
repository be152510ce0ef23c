"""Benchmark: deadline timers under the clock, against a bare timer set in the same run.

Starts its own redis-server, seeds the street and reports N open cases (default 34,000:
about 100,000 pending timers) through the case service, then
  0. a burst: 10,000 of those timers due in the same second, fired by the clock's timer
     job (goal: all within 2 s of their due time);
  1. moves every pending timer (yellow, red, escalations) to fall due over the next
     ``--window`` seconds and runs the clock's timer job every second, as the clock
     process does: how late timers fire (p50 / p99 / max; goal p99 <= 1 s), the clock's
     and Redis's CPU;
  2. the baseline: the same number of bare members due over the same window, removed
     by a minimal script (no case logic), for the CPU ratio;
  3. a clock restarted while 1,000 timers came due: a new clock fires all, once.

Run from the repository root:  python bench/bench_clock.py  [--cases 20000] [--window 30]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from shapely.geometry import Point, shape  # noqa: E402

from dispatch.bootstrap import Container, bootstrap  # noqa: E402
from dispatch.cases.commands import ReportCommand  # noqa: E402
from dispatch.embedded_redis import scratch_redis  # noqa: E402
from dispatch.identity.principal import Principal  # noqa: E402
from dispatch.identity.roles import Role  # noqa: E402
from dispatch.jobs.clock import Clock  # noqa: E402
from dispatch.jobs.schedule import TIMERS_EVERY_S, periodic_jobs  # noqa: E402
from dispatch.org.preset import street_preset  # noqa: E402
from dispatch.org.seed import seed_org  # noqa: E402
from dispatch.scripts import LuaScript, ScriptCall  # noqa: E402
from dispatch.settings import Settings  # noqa: E402

MS = 1000
CONCURRENCY = 64
PROGRESS_EVERY = 5000
RESTART_TIMERS = 1000
BURST = 10_000
GOAL_P99_S = 1.0
GOAL_BURST_S = 2.0
TICK_S = TIMERS_EVERY_S  # the bare timers tick as the clock's timer job does
LEAD_MS = 3000
#: Timers are first scheduled this far away, then shifted in one step to their due time,
#: so none falls due while the (slow) scheduling is still going on.
PARKED_MS = 10 ** 12

# KEYS[1] a sorted set; ARGV[1] a number of ms
# Moves every member's score by ARGV[1], in one step.
SHIFT = LuaScript("bench_shift", """
local all = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
for i = 1, #all, 2 do
  redis.call('ZADD', KEYS[1], tonumber(all[i + 1]) + tonumber(ARGV[1]), all[i])
end
return #all / 2
""")

# KEYS[1] a sorted set of bare timers; ARGV[1] now, ARGV[2] batch
# Removes and returns the due members: the least a timer wheel can do.
BARE_FIRE = LuaScript("bench_bare_fire", """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2],
                       'WITHSCORES')
for i = 1, #due, 2 do redis.call('ZREM', KEYS[1], due[i]) end
local out = {}
for i = 2, #due, 2 do out[#out + 1] = tonumber(ARGV[1]) - tonumber(due[i]) end
return out
""")


@dataclass(frozen=True)
class ShiftCall(ScriptCall[int]):
    script: ClassVar[LuaScript] = SHIFT
    key: str
    by_ms: int

    def to_keys(self) -> list[str]:
        return [self.key]

    def to_argv(self) -> list[Any]:
        return [self.by_ms]

    def from_reply(self, reply: Any) -> int:
        return int(reply)


@dataclass(frozen=True)
class BareFireCall(ScriptCall[list[float]]):
    """Replies how late each due member was (ms)."""

    script: ClassVar[LuaScript] = BARE_FIRE
    key: str
    now_ms: int
    batch: int

    def to_keys(self) -> list[str]:
        return [self.key]

    def to_argv(self) -> list[Any]:
        return [self.now_ms, self.batch]

    def from_reply(self, reply: Any) -> list[float]:
        return [float(x) for x in reply]


async def redis_cpu(c: Container) -> float:
    info = await c.redis.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def percentiles(values: list[float]) -> tuple[float, float, float]:
    if not values:
        return 0.0, 0.0, 0.0
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered), p99, ordered[-1]


async def report_cases(c: Container, count: int) -> None:
    grids = (await c.org.grids())["features"]
    shapes = {f["properties"]["id"]: shape(f["geometry"]) for f in grids}
    items = [i.code for i in c.rules.catalogue.items]
    rng = random.Random(7)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(count):
        queue.put_nowait(n)
    done = 0

    def point(grid: str) -> tuple[float, float]:
        poly = shapes[grid]
        minx, miny, maxx, maxy = poly.bounds
        while True:
            p = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
            if poly.contains(p):
                return p.y, p.x

    async def worker() -> None:
        nonlocal done
        while not queue.empty():
            n = queue.get_nowait()
            grid = f"{n % 108 + 1:03d}"
            lat, lon = point(grid)
            actor = Principal(f"gw{grid}", Role.GRID_WORKER, grid)
            cmd = ReportCommand(f"b{n}", items[n % len(items)], lat, lon, "bench", None, (),
                                None)
            await c.cases.report(actor, cmd)
            done += 1
            if done % PROGRESS_EVERY == 0:
                print(f"  reported {done}/{count}", flush=True)

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))


async def park(c: Container, key: str, members: list[str], window_ms: int) -> None:
    """Members at a uniform offset in [0, window), parked far in the future."""
    rng = random.Random(11)
    async with c.redis.pipeline(transaction=False) as pipe:
        for m in members:
            pipe.zadd(key, {m: PARKED_MS + rng.randrange(window_ms)})
        await pipe.execute()


async def release(c: Container, key: str) -> int:
    """Bring the parked members due from LEAD_MS from now; the start time (UTC ms)."""
    start = int(time.time() * MS) + LEAD_MS
    await c.scripts.run(ShiftCall(key, start - PARKED_MS))
    return start


async def reschedule(c: Container, window_ms: int) -> tuple[int, int]:
    """Every pending timer due at a uniform time over the window; (count, start)."""
    key = c.keys.case_timers()
    members = await c.redis.zrange(key, 0, -1)
    await park(c, key, members, window_ms)
    return len(members), await release(c, key)


def recording(c: Container, late: list[float]) -> None:
    """Keep how late each timer the clock's job fires is (the job itself is unchanged)."""
    fire_untold = c.cases.fire_untold

    async def recorded(now_ms: int, limit: int | None = None) -> Any:
        fired, cases = await fire_untold(now_ms, limit)
        late.extend(f.late_ms for f in fired if f.fired)
        return fired, cases

    c.cases.fire_untold = recorded  # type: ignore[method-assign]


async def run_clock(c: Container, until_ms: int) -> tuple[list[float], float, float]:
    """The clock's own timer job, once a second, until every timer fired."""
    job = next(j for j in periodic_jobs(c) if j.name == "timers")
    clock = Clock(c, [job], [])
    late: list[float] = []
    recording(c, late)
    cpu0, rcpu0 = time.process_time(), await redis_cpu(c)
    while int(time.time() * MS) < until_ms or await c.redis.zcard(c.keys.case_timers()):
        tick = time.monotonic()
        await clock.renew()
        await job.action(int(time.time() * MS))
        await asyncio.sleep(max(0.0, job.every_s - (time.monotonic() - tick)))
    del c.cases.fire_untold  # the service's own again
    return late, time.process_time() - cpu0, await redis_cpu(c) - rcpu0


async def burst(c: Container, count: int) -> tuple[int, list[float]]:
    """``count`` pending timers all due in the same second: how late each fires."""
    key = c.keys.case_timers()
    members = (await c.redis.zrange(key, 0, -1))[:count]
    now = int(time.time() * MS)
    async with c.redis.pipeline(transaction=False) as pipe:
        for m in members:
            pipe.zadd(key, {m: now + LEAD_MS + random.randrange(MS)})
        await pipe.execute()
    job = next(j for j in periodic_jobs(c) if j.name == "timers")
    clock = Clock(c, [job], [])
    late: list[float] = []
    recording(c, late)
    until = now + LEAD_MS + 3 * MS
    while int(time.time() * MS) < until and len(late) < len(members):
        tick = time.monotonic()
        await clock.renew()
        await job.action(int(time.time() * MS))
        await asyncio.sleep(max(0.0, job.every_s - (time.monotonic() - tick)))
    del c.cases.fire_untold
    return len(members), late


async def run_bare(c: Container, count: int, window_ms: int
                   ) -> tuple[list[float], float, float]:
    key = "bench:bare"
    await park(c, key, [f"t{n}" for n in range(count)], window_ms)
    until_ms = await release(c, key) + window_ms
    late: list[float] = []
    cpu0, rcpu0 = time.process_time(), await redis_cpu(c)
    while int(time.time() * MS) < until_ms or await c.redis.zcard(key):
        tick = time.monotonic()
        while True:
            got = await c.scripts.run(BareFireCall(key, int(time.time() * MS),
                                                   c.settings.timer_batch))
            late += got
            if len(got) < c.settings.timer_batch:
                break
        await asyncio.sleep(max(0.0, TICK_S - (time.monotonic() - tick)))
    return late, time.process_time() - cpu0, await redis_cpu(c) - rcpu0


async def restart(c: Container) -> tuple[int, int]:
    """1,000 timers came due while no clock ran: a fresh clock fires each once."""
    key = c.keys.case_timers()
    n = 0
    while await c.redis.zcard(key) < RESTART_TIMERS:
        n += 1
        await c.cases.report(Principal("gw001", Role.GRID_WORKER, "001"), ReportCommand(
            f"restart-{n}", "SR01", 39.03 + n * 1e-5, 117.42, "probe", None, (), None))
    members = await c.redis.zrange(key, 0, RESTART_TIMERS - 1)
    now = int(time.time() * MS)
    async with c.redis.pipeline(transaction=False) as pipe:
        for m in members:
            pipe.zadd(key, {m: now - 60_000})
        await pipe.execute()
    clock = Clock(c, [j for j in periodic_jobs(c) if j.name == "timers"], [])
    fired = 0
    for _ in range(len(members) // c.settings.timer_batch + 2):
        await clock.renew()
        fired += sum(1 for f in await c.cases.fire_due(now) if f.member in members and f.fired)
    again = sum(1 for f in await c.cases.fire_due(now) if f.member in members)
    return fired, again


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp, scratch_redis(Path(tmp)) as server:
        url = server.url
        settings = Settings.from_env({}, redis_url=url, data_dir=Path(tmp) / "data",
                                     scrypt_n=16, duplicate_radius_m=0.01)
        c = bootstrap(settings)
        await seed_org(c.redis, c.keys, c.users, c.org, street_preset(), "bench-pass")
        print(f"reporting {args.cases} cases ...", flush=True)
        t0 = time.monotonic()
        await report_cases(c, args.cases)
        print(f"  {args.cases / (time.monotonic() - t0):.0f} reports/s", flush=True)
        window_ms = args.window * MS
        pending = await c.redis.zcard(c.keys.case_timers())
        print(f"a burst: {BURST:,} of the {pending:,} pending timers due in one second ...",
              flush=True)
        burst_n, burst_late = await burst(c, BURST)
        timers, start = await reschedule(c, window_ms)
        print(f"{timers} timers due over {args.window} s; running the clock ...",
              flush=True)
        late, cpu, rcpu = await run_clock(c, start + window_ms)
        print("baseline: bare timers over the same window ...", flush=True)
        blate, bcpu, brcpu = await run_bare(c, timers, window_ms)
        fired, twice = await restart(c)
        await c.aclose()
    p50, p99, worst = percentiles(late)
    b50, b99, bworst = percentiles(blate)
    print()
    print(f"{'':32}{'clock (cases)':>16}{'bare timers':>14}{'ratio':>8}")
    print(f"{'timers fired':32}{len(late):>16}{len(blate):>14}")
    print(f"{'lateness p50 ms':32}{p50:>16.0f}{b50:>14.0f}")
    print(f"{'lateness p99 ms':32}{p99:>16.0f}{b99:>14.0f}")
    print(f"{'lateness max ms':32}{worst:>16.0f}{bworst:>14.0f}")
    print(f"{'clock CPU s':32}{cpu:>16.2f}{bcpu:>14.2f}")
    print(f"{'redis CPU s':32}{rcpu:>16.2f}{brcpu:>14.2f}")
    per = (cpu + rcpu) / max(1, len(late)) * 1e6
    bper = (bcpu + brcpu) / max(1, len(blate)) * 1e6
    print(f"{'CPU per timer us':32}{per:>16.1f}{bper:>14.1f}{per / max(bper, 1e-9):>8.1f}x")
    print(f"restart: {fired}/{RESTART_TIMERS} due timers fired by a new clock, "
          f"{twice} fired again")
    worst_burst = max(burst_late) if burst_late else float("nan")
    print(f"lateness p99 over the window: {p99 / MS:.2f} s (goal <= {GOAL_P99_S:g} s)")
    print(f"burst: {len(burst_late):,}/{burst_n:,} timers due in one second fired, the last "
          f"{worst_burst / MS:.2f} s late (goal: all within {GOAL_BURST_S:g} s of their due "
          "time; the machine may be shared)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=34_000,
                        help="open cases (about 3 pending timers each)")
    parser.add_argument("--window", type=int, default=60)
    asyncio.run(main(parser.parse_args()))
