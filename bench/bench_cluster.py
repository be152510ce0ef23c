"""Benchmark: phone pings through one Redis against a 3-master Redis Cluster, same run.

Starts one redis-server, a cluster of 3 masters and 3 replicas (``dispatch/scratch_cluster``)
and, for each store, a ``dispatch`` web process twice: fixes through the slot-routed ingest
pipe, then through redis-py (its cluster client on the cluster). 50 phones in a closed loop
(send, wait for the ack) give pings/s and the server's (and the Redis processes') CPU per
ping. The street lives in one slot, so on the cluster one master holds it: the figure shows
what routing costs, not a spread (streets spread over the masters).

Run from the repository root:  python bench/bench_cluster.py  [--pings 200]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
for path in (ROOT, BENCH):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import psutil  # noqa: E402
from bench_ingest import (  # noqa: E402
    CPU_PHONES,
    MS,
    RUN_SPAN_H,
    SCRYPT_N,
    WARMUP_PINGS,
    _env,
    dispatch_app,
    measure_cpu,
    seed,
    uvicorn,
    walks,
)

from dispatch.embedded_redis import scratch_redis  # noqa: E402
from dispatch.scratch_cluster import scratch_cluster  # noqa: E402
from dispatch.settings import Settings  # noqa: E402

HOUR_MS = 3600 * MS
DEFAULT_PINGS = 200


class Procs:
    """CPU seconds of several processes together (the cluster's nodes)."""

    def __init__(self, pids: list[int]) -> None:
        self.procs = [psutil.Process(p) for p in pids]

    def cpu_times(self) -> SimpleNamespace:
        """What ``bench_ingest._cpu`` reads of a process: user and system seconds."""
        times = [p.cpu_times() for p in self.procs]
        return SimpleNamespace(user=sum(t.user for t in times),
                               system=sum(t.system for t in times))


def run(store: str, url: str, queue_url: str, redis_procs: Procs, data: Path, pings: int,
        t0: int) -> None:
    settings = Settings.from_env({}, redis_url=url, redis_queue_url=queue_url,
                                 data_dir=data, scrypt_n=SCRYPT_N)
    tokens = asyncio.run(seed(settings, 0))
    for n, (client, pipe) in enumerate((("pipe", "true"), ("redis-py", "false"))):
        env = {**_env(url, data), "REDIS_QUEUE_URL": queue_url, "DISPATCH_INGEST_PIPE": pipe}
        fixes = walks(CPU_PHONES, WARMUP_PINGS + pings, t0 + n * RUN_SPAN_H * HOUR_MS)
        with uvicorn(dispatch_app(), env) as server:
            f = measure_cpu(server, redis_procs, tokens, fixes)  # type: ignore[arg-type]
        print(f"{store:<18} {client:<9} {f.pings / f.wall_s:8.0f} pings/s   "
              f"web {f.us_per_ping:6.0f} us/ping   redis {f.redis_us_per_ping:5.0f} us/ping",
              flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pings", type=int, default=DEFAULT_PINGS, help="pings per phone")
    ap.add_argument("--cluster-first", action="store_true",
                    help="measure the cluster before the single server (order effects)")
    args = ap.parse_args()
    t0 = int(time.time() * MS) - 2 * RUN_SPAN_H * HOUR_MS
    print(f"{CPU_PHONES} phones x {args.pings} pings, closed loop")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "one").mkdir()
        (root / "queues").mkdir()
        with scratch_redis(root / "one") as one, scratch_redis(root / "queues") as queues, \
                scratch_cluster(root / "cluster") as cluster:
            runs = [("one redis", one.url, Procs([one.process.pid]), root / "d1"),
                    ("cluster 3+3", cluster.url, Procs([n.process.pid for n in cluster.nodes]),
                     root / "d2")]
            for name, url, procs, data in runs[::-1] if args.cluster_first else runs:
                run(name, url, queues.url, procs, data, args.pings, t0)


if __name__ == "__main__":
    main()
