"""Benchmark: point-in-grid lookups on a 1,240-grid district, and one day of coverage.

Run from the repository root:  python bench/bench_point_in_grid.py
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import shapely  # type: ignore[import-untyped,unused-ignore]  # noqa: E402

from dispatch.geo.district import generate_district  # noqa: E402
from dispatch.geo.index import GridIndex  # noqa: E402
from dispatch.geo.projection import LocalProjection  # noqa: E402
from dispatch.geo.street import Grid, generate_street  # noqa: E402
from dispatch.patrol.filters import Ping  # noqa: E402
from dispatch.patrol.metrics import patrol_metrics  # noqa: E402

LOOKUPS = 100_000
BASELINE_SAMPLE = 1_000
DISTRICT_GRIDS = 1_240
SEED = 42
#: Coverage day: every worker walks two 2-hour patrols at one fix per 5 s.
PATROLS_PER_DAY = 2
PATROL_S = 2 * 3600
FIX_S = 5
WALK_SPEED_MPS = 1.2
HEADING_NOISE_RAD = 0.6
MAX_TRIES = 20
T0_MS = 1_700_000_000_000


def phase(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def naive_locate(polygons: list[tuple[str, Any]], lon: float, lat: float) -> str | None:
    """For scale: test every polygon in turn with shapely's contains."""
    point = shapely.Point(lon, lat)
    for grid_id, polygon in polygons:
        if polygon.contains(point):
            return grid_id
    return None


def strtree_locate(tree: Any, ids: list[str], lons: Any, lats: Any) -> list[str | None]:
    """The floor: shapely's STRtree, queried for all points at once (the smallest index of
    a grid containing each point, as GridIndex answers on shared edges)."""
    points = shapely.points(lons, lats)
    point_i, grid_i = tree.query(points, predicate="intersects")
    best = np.full(len(points), np.iinfo(np.int64).max)
    np.minimum.at(best, point_i, grid_i)
    return [ids[g] if g != np.iinfo(np.int64).max else None for g in best.tolist()]


def bench_lookups(n: int, baseline_n: int) -> None:
    phase(f"generating a {DISTRICT_GRIDS}-grid district")
    fc = generate_district(DISTRICT_GRIDS)
    phase("building GridIndex")
    index, build_s = timed(lambda: GridIndex.from_features(fc))
    phase(f"index built in {build_s * 1000:.0f} ms")
    rng = np.random.default_rng(SEED)
    minx, miny, maxx, maxy = index.bounds
    lons = rng.uniform(minx, maxx, n)
    lats = rng.uniform(miny, maxy, n)
    lon_list, lat_list = lons.tolist(), lats.tolist()
    polygons = [
        (f["properties"]["id"], shapely.geometry.shape(f["geometry"])) for f in fc["features"]
    ]
    ids = [grid_id for grid_id, _ in polygons]
    phase("the floor: shapely's STRtree over the same polygons")
    tree, tree_build_s = timed(lambda: shapely.STRtree([p for _, p in polygons]))
    floor, floor_s = timed(lambda: strtree_locate(tree, ids, lons, lats))

    phase(f"for scale: a naive loop over {len(polygons)} polygons, {baseline_n} points")
    sample = list(zip(lon_list[:baseline_n], lat_list[:baseline_n], strict=True))
    _, naive_s = timed(lambda: [naive_locate(polygons, x, y) for x, y in sample])
    phase(f"GridIndex.locate one by one, {n} points")
    single, single_s = timed(
        lambda: [index.locate(x, y) for x, y in zip(lon_list, lat_list, strict=True)]
    )
    phase(f"GridIndex.locate_many batched, {n} points")
    many, many_s = timed(lambda: index.locate_many(lons, lats))
    if single != many:
        raise SystemExit("locate and locate_many disagree")
    agree = sum(a == b for a, b in zip(floor, single, strict=True))
    phase(f"agreement with the STRtree: {agree}/{n} (shared edges may differ)")

    base_us = floor_s / n * 1e6
    rows = [
        (f"shapely STRtree, batched (floor; built in {tree_build_s * 1000:.0f} ms)", base_us),
        (f"naive contains loop (x{baseline_n}, scaled)", naive_s / baseline_n * 1e6),
        ("GridIndex.locate", single_s / n * 1e6),
        ("GridIndex.locate_many", many_s / n * 1e6),
    ]
    print()
    print(f"{'method':<48} {'lookups/s':>12} {'us/lookup':>10} {'vs floor':>9}")
    for name, us in rows:
        print(f"{name:<48} {1e6 / us:>12,.0f} {us:>10.2f} {base_us / us:>8.2f}x")
    print(f"{n:,} lookups: STRtree {floor_s:.3f} s, locate {single_s:.2f} s, "
          f"locate_many {many_s:.3f} s")
    print()


def random_walk(grid: Grid, proj: LocalProjection, n: int, rng: np.random.Generator) -> Any:
    """n positions (lon, lat) of a correlated random walk that stays inside the grid."""
    polygon = shapely.Polygon(proj.xy_array(np.asarray(grid.polygon)))
    shapely.prepare(polygon)
    start = shapely.point_on_surface(polygon)
    x, y = float(start.x), float(start.y)
    heading = rng.uniform(0.0, 2.0 * math.pi)
    step = WALK_SPEED_MPS * FIX_S
    xy = np.empty((n, 2))
    for i in range(n):
        for _ in range(MAX_TRIES):
            h = heading + rng.normal(0.0, HEADING_NOISE_RAD)
            nx, ny = x + step * math.cos(h), y + step * math.sin(h)
            if shapely.intersects_xy(polygon, nx, ny):
                x, y, heading = nx, ny, h
                break
            heading = rng.uniform(0.0, 2.0 * math.pi)
        xy[i] = (x, y)
    return proj.lonlat_array(xy)


def bench_coverage() -> None:
    street = generate_street()
    proj = LocalProjection(39.03, 117.42)
    fixes = PATROL_S // FIX_S
    rng = np.random.default_rng(SEED)
    n_patrols = len(street.grids) * PATROLS_PER_DAY
    phase(f"generating {n_patrols} patrols x {fixes} fixes (random walks inside the grids)")
    jobs = []
    for grid in street.grids:
        ring = [list(p) for p in grid.polygon]
        for k in range(PATROLS_PER_DAY):
            t0 = T0_MS + k * 6 * 3600 * 1000
            lonlat = random_walk(grid, proj, fixes, rng)
            pings = [
                Ping(ts=t0 + i * FIX_S * 1000, lat=float(lat), lon=float(lon))
                for i, (lon, lat) in enumerate(lonlat)
            ]
            jobs.append((grid, ring, pings, t0, t0 + PATROL_S * 1000))
    phase("computing patrol metrics (coverage, distance, outside time)")
    results, total_s = timed(
        lambda: [
            patrol_metrics(pings, ring, start_ms=start, end_ms=end)
            for _, ring, pings, start, end in jobs
        ]
    )
    coverages = np.array([m.coverage for m in results])
    small = np.array([g.kind == "residential" for g, *_ in jobs])
    print()
    print(f"coverage for one day: {n_patrols} patrols, {n_patrols * fixes:,} fixes")
    print(f"  total {total_s:.2f} s, {total_s / n_patrols * 1000:.1f} ms per patrol")
    print(
        f"  mean coverage residential {coverages[small].mean():.2f}, "
        f"farmland/industrial {coverages[~small].mean():.2f}"
    )
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lookups", type=int, default=LOOKUPS)
    parser.add_argument("--baseline", type=int, default=BASELINE_SAMPLE)
    parser.add_argument("--skip-coverage", action="store_true")
    args = parser.parse_args()
    bench_lookups(args.lookups, args.baseline)
    if not args.skip_coverage:
        bench_coverage()
    phase("done")


if __name__ == "__main__":
    main()
