"""Benchmark: what one process costs per street served (the Jizhou district: 26 streets and
the centre, 27 containers), in Redis connections, memory and startup time.

Starts its own redis-server (``--seed``: seeds the district preset in it, 1,248 grids),
then a web process (``dispatch serve``) serving every street of the district preset (a
street needs no grids to be served), and measures
  - its Redis client connections (CLIENT LIST, less this benchmark's own), once it answers
    /readyz and again after a round of requests;
  - its resident memory (VmRSS) and the time from spawn to the first /readyz 200;
then the same for a clock process (connections once every street's heartbeat is written)
and a worker (connections once it is registered with RQ).

Goal: connections bounded independently of the number of streets (at most GOAL_CONNECTIONS
per process, against 27 listeners and 27 pools before); baseline, from the one-street
figures of the same run (``--streets 1``).

Run from the repository root:
  python bench/bench_streets.py  [--runs 3] [--seed] [--baseline-root DIR]
(``--baseline-root``: another tree, e.g. ``git archive main``, measured in the same run.)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import redis  # noqa: E402

from dispatch.embedded_redis import free_port, scratch_redis  # noqa: E402
from dispatch.keys import Keys  # noqa: E402
from dispatch.org.district_preset import CENTRE, STREETS  # noqa: E402

GOAL_CONNECTIONS = 8
START_TIMEOUT_S = 60.0
POLL_S = 0.05
REQUESTS = 200
KB_PER_MB = 1024
SEED_PASSWORD = "bench-streets-1"
#: The seed hashes thousands of passwords: at a low cost here (no one logs in with them).
SEED_ENV = {"DISPATCH_SCRYPT_N": "16"}
SEED_TIMEOUT_S = 600


def env_for(url: str, data: Path, streets: list[str], root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISPATCH_", "REDIS_"))}
    env.update(REDIS_URL=url, DISPATCH_DATA=str(data), PYTHONPATH=str(root),
               DISPATCH_STREETS=",".join(streets), DISPATCH_LOG_LEVEL="warning",
               DISPATCH_METRICS_PORT="0", DISPATCH_CLOCK_METRICS_PORT="0",
               DISPATCH_WORKER_METRICS_PORT="0")
    if len(streets) > 1:
        env["DISPATCH_DISTRICT"] = CENTRE
    return env


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / KB_PER_MB
    return 0.0


def connections(r: redis.Redis) -> int:
    """Client connections of everyone but ``r`` itself."""
    return len(r.client_list()) - 1


def wait(check: Callable[[], bool], proc: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while not check():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not come up")
        time.sleep(POLL_S)


def ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """``dispatch <args>`` from the tree on the environment's PYTHONPATH (its log: discarded;
    a process that fails to come up is reported by :func:`wait`)."""
    return subprocess.Popen([sys.executable, "-m", "dispatch", *args], env=env,
                            cwd=env["PYTHONPATH"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def measure_web(r: redis.Redis, env: dict[str, str], streets: list[str]) -> dict[str, float]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    before = connections(r)
    t0 = time.monotonic()
    proc = spawn(["serve", "--port", str(port)], env)
    try:
        wait(lambda: ready(url), proc, "the web process")
        started = time.monotonic() - t0
        at_start = connections(r) - before
        with httpx.Client(base_url=url) as client:
            for n in range(REQUESTS):  # a login reads its street's store
                name = f"nobody@{streets[n % len(streets)]}"
                client.post("/api/v1/login", json={"username": name, "password": "wrong"})
        return {"start_s": started, "connections": at_start,
                "after_requests": connections(r) - before, "rss_mb": rss_mb(proc.pid)}
    finally:
        stop(proc)


def measure_clock(r: redis.Redis, env: dict[str, str], streets: list[str]) -> float:
    before = connections(r)
    proc = spawn(["clock"], env)
    try:
        beats = [Keys(code).clock_heartbeat() for code in streets]
        wait(lambda: all(r.exists(k) for k in beats), proc, "the clock")
        return connections(r) - before
    finally:
        stop(proc)
        for key in beats:
            r.delete(key)
        r.delete(*[Keys(code).clock_leader() for code in streets])


def measure_worker(r: redis.Redis, env: dict[str, str]) -> float:
    before, known = connections(r), set(r.keys("rq:worker:*"))
    proc = spawn(["worker"], env)
    try:  # (a stopped worker's key may outlive it: wait for this one's)
        wait(lambda: bool(set(r.keys("rq:worker:*")) - known), proc, "the worker")
        time.sleep(1.0)  # its scheduler and maintenance start after registering
        return connections(r) - before
    finally:
        stop(proc)


def summary(values: list[float]) -> str:
    return f"min {min(values):.2f} median {statistics.median(values):.2f} max {max(values):.2f}"


def seed(env: dict[str, str]) -> None:
    done = subprocess.run([sys.executable, "-m", "dispatch", "seed", "--preset", "district",
                           "--password", SEED_PASSWORD], env={**env, **SEED_ENV},
                          cwd=env["PYTHONPATH"], capture_output=True, timeout=SEED_TIMEOUT_S)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.decode()[-2000:])


def run(streets: list[str], runs: int, root: Path, seeded: bool) -> dict[str, list[float]]:
    figures: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-streets-") as tmp, \
            scratch_redis(Path(tmp)) as server:
        r = redis.Redis.from_url(server.url)
        env = env_for(server.url, Path(tmp) / "data", streets, root)
        if seeded:
            seed(env)
        for _ in range(runs):
            for name, value in measure_web(r, env, streets).items():
                figures.setdefault(f"web {name}", []).append(value)
            figures.setdefault("clock connections", []).append(
                measure_clock(r, env, streets + ([CENTRE] if len(streets) > 1 else [])))
            figures.setdefault("worker connections", []).append(measure_worker(r, env))
        r.close()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline-root", type=Path, default=None,
                        help="another tree of the project (e.g. `git archive main`) to "
                             "measure the district beside this one in the same run")
    parser.add_argument("--seed", action="store_true",
                        help="seed the district preset first (about a minute a tree)")
    args = parser.parse_args()
    district = [code for code, _ in STREETS]
    columns = {"one street": run(district[:1], args.runs, ROOT, args.seed)}
    if args.baseline_root is not None:
        columns["district, baseline"] = run(district, args.runs, args.baseline_root.resolve(),
                                            args.seed)
    columns["district"] = many = run(district, args.runs, ROOT, args.seed)
    print(f"{len(district)} streets + the centre ({len(district) + 1} containers) against one "
          f"street, {args.runs} runs each (goal: <= {GOAL_CONNECTIONS} connections a process)")
    for name in many:
        print(f"  {name}")
        for column, figures in columns.items():
            print(f"    {column:20s} {summary(figures[name])}")
    worst = max(max(many[k]) for k in many if k.endswith(("connections", "after_requests")))
    print(f"  most connections of one district process: {worst:.0f} "
          f"(goal <= {GOAL_CONNECTIONS}): {'met' if worst <= GOAL_CONNECTIONS else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
