"""What each process tells Prometheus about the system, beside its own request counters.

- web (``GET /metrics``): sockets open by kind, socket messages in and out by kind, Redis
  round-trip time (measured at each scrape), HTTP requests and logins.
- clock (its own port): timer lateness as a histogram, cases by state, open cases by light,
  open alerts by kind, the RQ queues' depth and failed jobs, Redis round-trip time, whether
  this clock leads (a follower's state gauges stay empty, so a sum over clocks is right).
- worker (its own port): jobs done and failed by this worker, the queues' depth and failed
  jobs, Redis round-trip time.

A family is created once per registry by name (:class:`dispatch.metrics.Metrics`); a new
figure is one function here and one call where the process refreshes it.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from typing import Any

from redis.asyncio import Redis

from dispatch.alerts.model import AlertKind
from dispatch.cases.states import OPEN_STATES, CaseState
from dispatch.keys import Keys
from dispatch.metrics import STREET_LABEL, Metrics

#: Buckets of timer lateness (s): due -> fired, a second's tick is the usual.
LATENESS_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0, 60.0, 300.0)
RTT_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5)
LIGHTS = ("green", "yellow", "red")
CHUNK = 1000
MS = 1000


# --- sockets (web) --------------------------------------------------------------------------
class SocketMetrics:
    """Open sockets and messages by socket kind (phone, team, screen)."""

    def __init__(self, metrics: Metrics) -> None:
        self.open = metrics.gauge("ws_connections", "Open WebSocket connections", ["kind"])
        self.messages = metrics.counter("ws_messages_total", "WebSocket messages",
                                        ["kind", "direction"])

    def of(self, kind: str) -> tuple[Any, Any, Any]:
        """(open gauge, in counter, out counter) of one kind, bound once per socket."""
        return (self.open.labels(kind), self.messages.labels(kind, "in"),
                self.messages.labels(kind, "out"))


def socket_metrics(metrics: Metrics) -> SocketMetrics:
    found = getattr(metrics, "_sockets", None)
    if found is None:
        found = SocketMetrics(metrics)
        metrics._sockets = found  # type: ignore[attr-defined]
    return found


# --- Redis round trip (every process) -------------------------------------------------------
async def measure_redis(redis: Redis, metrics: Metrics) -> float | None:
    """One PING's round trip, observed; None when Redis does not answer."""
    rtt = metrics.histogram("redis_roundtrip_seconds", "Redis PING round-trip time",
                            buckets=RTT_BUCKETS)
    up = metrics.gauge("redis_up", "Redis answered the last PING")
    started = time.perf_counter()
    try:
        await redis.ping()
    except Exception:
        up.set(0)
        return None
    seconds = time.perf_counter() - started
    rtt.observe(seconds)
    up.set(1)
    return seconds


def measure_redis_sync(redis: Any, metrics: Metrics) -> float | None:
    """:func:`measure_redis` for a blocking client (the worker)."""
    rtt = metrics.histogram("redis_roundtrip_seconds", "Redis PING round-trip time",
                            buckets=RTT_BUCKETS)
    up = metrics.gauge("redis_up", "Redis answered the last PING")
    started = time.perf_counter()
    try:
        redis.ping()
    except Exception:
        up.set(0)
        return None
    seconds = time.perf_counter() - started
    rtt.observe(seconds)
    up.set(1)
    return seconds


# --- timers (clock) -------------------------------------------------------------------------
def timer_lateness(metrics: Metrics) -> Any:
    return metrics.histogram("timer_lateness_seconds", "Case timers: due -> fired",
                             [STREET_LABEL, "kind"], buckets=LATENESS_BUCKETS)


def observe_fired(metrics: Metrics, fired: Iterable[Any], street: str) -> None:
    """Each fired timer's lateness (``Fired`` of the case store) in ``street``."""
    hist = timer_lateness(metrics)
    for f in fired:
        if f.fired and f.timer is not None:
            hist.labels(street, f.timer.kind.value).observe(max(0, f.late_ms) / MS)


# --- cases and alerts (clock) ---------------------------------------------------------------
async def count_cases(redis: Redis, keys: Keys) -> tuple[dict[str, int], dict[str, int]]:
    """Cases by state, and open cases by light."""
    async with redis.pipeline(transaction=False) as pipe:
        for state in CaseState:
            pipe.zcard(keys.cases_in_state(state.value))
        counts = await pipe.execute()
    by_state = {s.value: int(n) for s, n in zip(CaseState, counts, strict=True)}
    lights: Counter[str] = Counter({light: 0 for light in LIGHTS})
    ids = await redis.zrange(keys.cases_open(), 0, -1)
    for start in range(0, len(ids), CHUNK):
        async with redis.pipeline(transaction=False) as pipe:
            for cid in ids[start:start + CHUNK]:
                pipe.hmget(keys.case(cid), "light", "state")
            for light, state in await pipe.execute():
                if state in {s.value for s in OPEN_STATES}:
                    lights[light or "green"] += 1
    return by_state, dict(lights)


async def refresh_cases(redis: Redis, keys: Keys, metrics: Metrics) -> None:
    """A street's cases by state and its open cases by light (labelled by street)."""
    by_state, by_light = await count_cases(redis, keys)
    street = keys.street
    states = metrics.gauge("cases", "Cases by state", [STREET_LABEL, "state"])
    for state, n in by_state.items():
        states.labels(street, state).set(n)
    lights = metrics.gauge("cases_open_by_light", "Open cases by time light",
                           [STREET_LABEL, "light"])
    for light, n in by_light.items():
        lights.labels(street, light).set(n)


def refresh_alerts(alerts: Iterable[dict[str, Any]], metrics: Metrics, street: str,
                   kinds: Iterable[str] = ()) -> None:
    """A street's active alerts by kind: open ones, and acknowledged ones not yet cleared
    (every kind in ``kinds`` shown, 0 when there is none)."""
    wanted = list(kinds)
    found = list(alerts)
    for state, name, doc in (("open", "alerts_open", "Open alerts by kind"),
                             ("acked", "alerts_acked", "Acknowledged, uncleared alerts by kind")):
        counts: Counter[str] = Counter({k: 0 for k in wanted})
        counts.update(str(a.get("kind", "unknown")) for a in found if a.get("state") == state)
        gauge = metrics.gauge(name, doc, [STREET_LABEL, "kind"])
        for kind, n in counts.items():
            gauge.labels(street, kind).set(n)


#: Alert kinds always shown (0 when none is open); others appear when they occur.
ALERT_KINDS = tuple(k.value for k in AlertKind)


# --- RQ queues (clock and worker) -----------------------------------------------------------
def refresh_queues(queues: Iterable[Any], metrics: Metrics) -> None:
    """Depth and failed jobs of each RQ queue (blocking: call from a thread or a scrape)."""
    depth = metrics.gauge("rq_queue_jobs", "Jobs waiting in an RQ queue", ["queue"])
    failed = metrics.gauge("rq_failed_jobs", "Jobs in an RQ queue's failed registry", ["queue"])
    running = metrics.gauge("rq_started_jobs", "Jobs being run from an RQ queue", ["queue"])
    for q in queues:
        name = q.name.rsplit(".", 1)[-1]
        depth.labels(name).set(q.count)
        failed.labels(name).set(q.failed_job_registry.count)
        running.labels(name).set(q.started_job_registry.count)


class WorkerJobs:
    """A collector: the jobs one RQ worker finished, from the counts RQ keeps in Redis
    (the work horse that ran a job has exited by the time anyone asks)."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.values: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def read(self, redis: Any, worker_key: str) -> None:
        raw = redis.hmget(worker_key, "successful_job_count", "failed_job_count",
                          "total_working_time")
        self.values = tuple(float(v or 0) for v in raw)  # type: ignore[assignment]

    def collect(self) -> Iterable[Any]:
        from prometheus_client.core import CounterMetricFamily

        ok, failed, seconds = self.values
        jobs = CounterMetricFamily(f"{self.prefix}worker_jobs", "Jobs this worker finished",
                                   labels=["result"])
        jobs.add_metric(["ok"], ok)
        jobs.add_metric(["failed"], failed)
        yield jobs
        yield CounterMetricFamily(f"{self.prefix}worker_busy_seconds",
                                  "Time this worker spent running jobs", value=seconds)
