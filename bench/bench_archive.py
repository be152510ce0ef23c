"""Benchmark: Redis bytes per closed case, live and archived, projected to Jizhou's 1.35 M.

Starts its own redis-server, seeds the reference street, then closes ``--cases`` cases of
the measured shape (a street light out: Chinese text, 2 photos with the report and 2 with
the result, progress twice, verified on site, rated twice: 9 timeline entries), and sums
MEMORY USAGE over every key of the street by kind of key (a photo's record is what Redis
keeps of it; the file itself is on disk). Then every case is compacted into the archive
(dispatch/cases/archive.py) and the keys are summed again. The baseline is the live
figure of the same run; the goal is at most 1,500 bytes per archived case.

Run from the repository root:  python bench/bench_archive.py  [--cases N] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from redis.asyncio import Redis  # noqa: E402
from shapely.geometry import shape  # noqa: E402
from street_setup import SCRYPT_N, seed_street  # noqa: E402

from dispatch.bootstrap import Container, bootstrap  # noqa: E402
from dispatch.cases.actions import Action  # noqa: E402
from dispatch.cases.commands import Command, ReportCommand  # noqa: E402
from dispatch.embedded_redis import scratch_redis  # noqa: E402
from dispatch.identity.principal import Principal  # noqa: E402
from dispatch.identity.roles import Role  # noqa: E402
from dispatch.keys import Keys  # noqa: E402
from dispatch.org.preset import street_preset  # noqa: E402
from dispatch.settings import Settings  # noqa: E402

MS = 1000
ITEM = "SS01"  # street light out: city management (cgj)
GRID = "001"
REPORTER = "gw001"
MEMBER = "dm001"
DESCRIPTION = "小区东门路灯不亮，夜间通行不便，请尽快维修"
PROGRESS = ("已到现场，正在排查线路", "配件已到，今晚更换")
RESOLUTION = "已更换灯泡和镇流器，夜间测试正常"
VERIFICATION = "现场核查，路灯已亮"
RATINGS = ((5, "满意"), (4, "处理及时"))
PHOTO_BYTES = 180_000
BATCH = 100
JIZHOU_EVENTS = 1_350_000
GOAL_BYTES = 1500
GIB = 1024 ** 3
DEFAULT_CASES = 2000
QUICK_CASES = 300
#: Kinds of key that belong to cases (the rest of the street is there before and after).
CASE_KINDS = ("case hashes", "timelines", "listing indexes", "client ids", "photo records",
              "archive records", "archive buckets")


def kind(key: str, keys: Keys) -> str:
    if key == keys.archive_buckets() or key.startswith(keys.archive_bucket(0)[:-1]):
        return "archive buckets"
    if key.startswith(keys.case_archived("")):
        return "archive records"
    if key.startswith(keys.case("")):
        return "timelines" if key.endswith(":timeline") else "case hashes"
    if key == keys.case_client_ids():
        return "client ids"
    if key.startswith(keys.cases_all()[: -len("all")]):
        return "listing indexes"
    if key.startswith(keys.media("")):
        return "photo records"
    return "other"


async def sizes(redis: Redis, keys: Keys) -> dict[str, int]:
    found: dict[str, int] = {}
    async for key in redis.scan_iter(match=keys.pattern(), count=1000):
        name = kind(key.decode() if isinstance(key, bytes) else key, keys)
        found[name] = found.get(name, 0) + int(await redis.memory_usage(key, samples=0) or 0)
    return found


def places(count: int) -> list[tuple[float, float]]:
    grid = next(f for f in street_preset().grids["features"] if f["properties"]["id"] == GRID)
    p = shape(grid["geometry"]).representative_point()
    return [(round(p.y + n * 1e-7, 7), round(p.x, 7)) for n in range(count)]


async def photo(c: Container, owner: str, n: int, ts: int) -> str:
    """A photo's record as an upload leaves it (the id is the file's sha256)."""
    media_id = hashlib.sha256(f"photo-{n}".encode()).hexdigest()
    await c.redis.hset(c.keys.media(media_id), mapping={
        "type": "image/jpeg", "ext": "jpg", "size": PHOTO_BYTES + n % 50_000, "ts": ts,
        "owner": owner})
    await c.redis.sadd(c.keys.media_owners(media_id), owner)
    return media_id


async def close_cases(c: Container, count: int) -> list[str]:
    reporter = Principal(REPORTER, Role.GRID_WORKER, GRID)
    member = Principal(MEMBER, Role.DISPOSAL_MEMBER, "cgj")
    assessor = Principal("assess1", Role.ASSESSOR)
    points = places(count)
    t = int(time.time() * MS)

    async def one(n: int) -> str:
        lat, lon = points[n]
        shots = (await photo(c, REPORTER, 4 * n, t), await photo(c, REPORTER, 4 * n + 1, t))
        case, _ = await c.cases.report(reporter, ReportCommand(
            f"bench-{n}", ITEM, lat, lon, DESCRIPTION, None, shots, None))
        cid = str(case["id"])
        await c.cases.act(member, cid, Command(Action.ACCEPT))
        for note in PROGRESS:
            await c.cases.act(member, cid, Command(Action.PROGRESS, note=note))
        fixed = (await photo(c, MEMBER, 4 * n + 2, t), await photo(c, MEMBER, 4 * n + 3, t))
        await c.cases.act(member, cid, Command(Action.RESOLVE, note=RESOLUTION, media=fixed))
        await c.cases.act(reporter, cid, Command(Action.VERIFY, ok=True, note=VERIFICATION))
        for who, (score, note) in zip((reporter, assessor), RATINGS, strict=True):
            await c.cases.act(who, cid, Command(Action.RATE, score=score, note=note))
        return cid

    made: list[str] = []
    for start in range(0, count, BATCH):
        made += await asyncio.gather(*(one(n) for n in range(start, min(count, start + BATCH))))
    return made


def per_case(grown: dict[str, int], count: int) -> float:
    return sum(grown.get(k, 0) for k in CASE_KINDS) / count


def table(title: str, grown: dict[str, int], count: int) -> None:
    print(f"   {title}")
    for name in CASE_KINDS:
        if abs(grown.get(name, 0)) / count >= 0.5:
            print(f"     {name:<18} {grown[name] / count:>8.0f} B/case")
    print(f"     {'total':<18} {per_case(grown, count):>8.0f} B/case")


async def measure(settings: Settings, count: int) -> None:
    c = bootstrap(settings)
    try:
        await seed_street(c, rules=True)
        base = await sizes(c.redis, c.keys)
        started = time.perf_counter()
        made = await close_cases(c, count)
        print(f"[{time.strftime('%H:%M:%S')}] {count} cases closed in "
              f"{time.perf_counter() - started:.1f} s", flush=True)
        live = {k: v - base.get(k, 0) for k, v in (await sizes(c.redis, c.keys)).items()}
        started = time.perf_counter()
        outcomes = [await c.archive.compact(cid) for cid in made]
        took = time.perf_counter() - started
        assert outcomes.count("archived") == count, outcomes
        archived = {k: v - base.get(k, 0) for k, v in (await sizes(c.redis, c.keys)).items()}
        sample = await c.archive.load(made[-1])
        assert sample is not None and len(sample.timeline) == 9 and len(sample.photos) == 4
    finally:
        await c.aclose()
    live_b, arch_b = per_case(live, count), per_case(archived, count)
    print()
    print(f"Redis bytes per closed case (MEMORY USAGE of every key, {count} cases, 4 photos, "
          f"9 timeline entries)")
    table("live (the baseline)", live, count)
    table("archived", archived, count)
    print(f"   archived / live: {arch_b / live_b:.2f} ({live_b / arch_b:.1f}x smaller); "
          f"compaction {took / count * MS:.2f} ms per case")
    print(f"   goal: at most {GOAL_BYTES} B per archived case -> "
          f"{'met' if arch_b <= GOAL_BYTES else 'NOT met'} ({arch_b:.0f} B)")
    print()
    print(f"Projection to Jizhou's {JIZHOU_EVENTS:,} events (all closed):")
    print(f"   live     {live_b * JIZHOU_EVENTS / GIB:6.2f} GiB")
    print(f"   archived {arch_b * JIZHOU_EVENTS / GIB:6.2f} GiB "
          f"(goal {GOAL_BYTES * JIZHOU_EVENTS / GIB:.2f} GiB)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=DEFAULT_CASES)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_CASES} cases")
    args = parser.parse_args()
    count = QUICK_CASES if args.quick else args.cases
    with tempfile.TemporaryDirectory() as tmp, scratch_redis(Path(tmp)) as server:
        settings = Settings.from_env({}, redis_url=server.url, data_dir=Path(tmp) / "data",
                                     scrypt_n=SCRYPT_N, duplicate_radius_m=0.0)
        asyncio.run(measure(settings, count))
    return 0


if __name__ == "__main__":
    sys.exit(main())
