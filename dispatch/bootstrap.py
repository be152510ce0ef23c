"""The composition root: settings in, every store and service of a process out.

- :func:`bootstrap` builds the :class:`Container`: the Redis clients, the scripts, every
  store and every service, each given what it uses. Every process builds one, once: the
  web process in its lifespan (``app.py``), the RQ worker before it takes jobs
  (``jobs/worker.py``), the clock before it leads (``jobs/clock.py``), the command line.
- :func:`web_runtime` builds what only a web process has, for its life: the hub (one
  pub/sub listener fanning out to the sockets), the positions coalescer, the ingest pipe
  and the screen snapshot's sections. It yields them as one :class:`WebRuntime`, which
  the sockets and the ingest routes receive.

No client is created at import time, and nothing is added to either object later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

from redis.asyncio import Redis
from redis.exceptions import RedisError

from dispatch.alerts.cases import CaseAlerts
from dispatch.alerts.service import AlertService, store_config
from dispatch.alerts.store import AlertStore
from dispatch.cases.archive import CaseArchiveStore
from dispatch.cases.plan import Planner
from dispatch.cases.service import CaseService
from dispatch.cases.store import CaseStore
from dispatch.clock import MS_PER_MIN, S_PER_DAY, Now, now_ms
from dispatch.connections import make_async, make_sync, queue_url
from dispatch.embedded_redis import resolve_redis_url
from dispatch.heap import HeapTrim
from dispatch.identity.tokens import TokenStore
from dispatch.identity.users import UserStore
from dispatch.jobs.queues import Queues
from dispatch.keys import Keys
from dispatch.location.apps import AppReport
from dispatch.location.directory import WorkerDirectory, WorkerRef
from dispatch.location.members import MemberPositions
from dispatch.location.patrol_store import PatrolStore
from dispatch.location.patrols import PatrolService
from dispatch.location.pipe import AckedScripts, ClusterScriptPipe, ScriptPipe, make_pipe
from dispatch.location.positions import PositionsCoalescer
from dispatch.location.service import (
    IngestResult,
    LocationService,
    ReportResult,
    filter_config,
)
from dispatch.location.store import LocationStore
from dispatch.media import MediaStore
from dispatch.metrics import Metrics
from dispatch.open311.apikeys import ApiKeyStore
from dispatch.open311.service import Open311Service
from dispatch.org.store import OrgStore
from dispatch.patrol.filters import Ping
from dispatch.ratelimit import RateLimiter
from dispatch.realtime.events import Events
from dispatch.realtime.hub import Hub
from dispatch.realtime.snapshot import SnapshotSections, screen_sections
from dispatch.reports.service import ReportService
from dispatch.rules import RulesError
from dispatch.rules_service import RulesService
from dispatch.scripts import RATE_LIMIT, ScriptRunner, Scripts
from dispatch.settings import Settings

log = logging.getLogger("dispatch")


@dataclass(frozen=True)
class Container:
    """The wired application: what every entry point (HTTP, WS, job, clock) uses."""

    settings: Settings
    redis_url: str
    redis: Redis
    keys: Keys
    scripts: Scripts
    metrics: Metrics
    queues: Queues
    users: UserStore
    tokens: TokenStore
    limiter: RateLimiter
    org: OrgStore
    events: Events
    rules: RulesService
    media: MediaStore
    cases: CaseService
    location: LocationService
    patrols: PatrolService
    reports: ReportService
    alerts: AlertService
    open311: Open311Service
    #: Now in UTC ms for every service (tests inject a clock they move).
    clock: Now
    #: Closed cases compacted out of the live store.
    archive: CaseArchiveStore
    #: Case changes acknowledged once replicas have them (``DISPATCH_WAIT_REPLICAS``).
    acked: AckedScripts | None = None

    async def ready(self) -> bool:
        with contextlib.suppress(Exception):
            return bool(await self.redis.ping())
        return False

    async def aclose(self) -> None:
        if self.acked is not None:
            await self.acked.aclose()
        await self.redis.aclose()
        self.queues.close()


def make_redis(url: str) -> Redis:
    """The store's client (one server or a cluster: see ``dispatch/connections.py``)."""
    return make_async(url)


def bootstrap(settings: Settings, *, metrics: Metrics | None = None,
              clock: Now | None = None) -> Container:
    """Build the container; starts (or attaches to) the embedded Redis when no URL is set.
    ``clock`` gives now in UTC ms to every service (default: the wall clock)."""
    clock = clock or now_ms
    url = resolve_redis_url(settings.redis_url, settings.redis_dir, settings.fsync)
    queues_at = queue_url(url, settings.redis_queue_url)  # a cluster without one: refused
    redis = make_redis(url)
    keys = Keys(settings.street)
    scripts = Scripts(redis)
    metrics = metrics or Metrics()
    queues = Queues(make_sync(queues_at), keys)
    org = OrgStore(redis, keys)
    users = UserStore(redis, keys, scrypt_n=settings.scrypt_n)
    rules = RulesService(redis, keys, settings, org)
    media = MediaStore(redis, keys, settings.media_dir, settings.max_media_bytes)
    events = Events(scripts, keys, settings.events_keep)
    alerts = AlertService(settings, keys=keys,
                          store=AlertStore(redis, keys, scripts, store_config(settings)),
                          clock=clock)
    location = LocationService(
        settings, keys=keys,
        store=LocationStore(redis, keys, scripts,
                            track_ttl_s=settings.track_retention_days * S_PER_DAY,
                            out_of_grid_ms=settings.out_of_grid_min * MS_PER_MIN),
        directory=WorkerDirectory(users, org, settings.device_auth_cache_s),
        org=org, events=events, metrics=metrics, alerts=alerts, clock=clock)
    patrols = PatrolService(settings, store=PatrolStore(redis, keys, scripts), org=org,
                            location=location, events=events, clock=clock)
    members = MemberPositions(redis, keys, scripts, filter_config(settings),
                              ttl_s=settings.member_position_ttl_s, clock=clock)
    acked = (AckedScripts(make_pipe(url), settings.wait_replicas, settings.wait_timeout_ms)
             if settings.wait_replicas > 0 else None)
    cases = CaseService(settings, keys=keys, store=CaseStore(redis, keys, scripts, writes=acked),
                        planner=Planner(keys), org=org, rules=rules, media=media, users=users,
                        clock=clock, observers=[CaseAlerts(alerts, settings.rework_limit)],
                        positions=members)
    archive = CaseArchiveStore(redis, keys, scripts, settings.media_dir,
                               after_s=settings.archive_after_s, batch=settings.archive_batch,
                               scan_max=settings.case_scan_max)
    cases.use_archive(archive)
    reports = ReportService(redis, keys, settings, users, patrols.store, org, clock)
    reports.archive = archive
    limiter = RateLimiter(scripts, keys)
    return Container(
        settings=settings, redis_url=url, redis=redis, keys=keys, scripts=scripts,
        metrics=metrics, queues=queues, users=users,
        tokens=TokenStore(redis, keys, scripts, ttl_s=settings.token_ttl_s),
        limiter=limiter, org=org, events=events, rules=rules, media=media,
        cases=cases, location=location, patrols=patrols,
        reports=reports, archive=archive,
        alerts=alerts, clock=clock, acked=acked,
        open311=Open311Service(redis, keys, settings, apikeys=ApiKeyStore(redis, keys),
                               cases=cases, rules=rules, org=org, media=media,
                               limiter=limiter),
    )


@dataclass(frozen=True)
class WebRuntime:
    """What only a web process has, alive from its start to its stop; every socket and
    every ingest route is handed this."""

    container: Container
    hub: Hub
    positions: PositionsCoalescer
    pipe: ScriptPipe | ClusterScriptPipe
    #: How fixes reach Redis: the pipe, or redis-py (``DISPATCH_INGEST_PIPE=false``).
    ingest_scripts: ScriptRunner
    snapshot: SnapshotSections
    #: The C heap given back while sockets close (see dispatch.heap).
    heap: HeapTrim = field(default_factory=HeapTrim)

    def _unstored(self, source: str, count: int) -> None:
        self.container.metrics.counter(
            "location_pings_unstored_total",
            "Fixes refused because the store did not answer (a failover, an outage); the "
            "phone keeps them and sends them again", ["source"]).labels(source).inc(count)

    async def ingest(self, worker: WorkerRef, pings: Sequence[Ping],
                     source: str) -> IngestResult:
        """A phone's fixes, stored through the ingest connection; when they moved the
        worker, the new position goes out with this process's next ``positions`` event.
        Fixes the store did not take are counted (``location_pings_unstored_total``)."""
        try:
            result = await self.container.location.ingest(worker, pings, source,
                                                          runner=self.ingest_scripts)
        except RedisError:
            self._unstored(source, len(pings))
            raise
        if result.position is not None:
            self.positions.offer(result.position)
        return result

    async def report(self, worker: WorkerRef, report: AppReport, source: str, *,
                     now: int | None = None) -> ReportResult:
        """A phone app's report (a fix, or presence and battery only), as :meth:`ingest`."""
        try:
            result = await self.container.location.report(worker, report, source, now=now,
                                                          runner=self.ingest_scripts)
        except RedisError:
            self._unstored(source, 1)
            raise
        if result.position is not None:
            self.positions.offer(result.position)
        return result


async def _warm_up(c: Container) -> None:
    """Load the scripts and install the rules; a failure is logged, not fatal (/readyz
    tells whether Redis is there; scripts and rules load on first use)."""
    try:
        await c.scripts.load_all([RATE_LIMIT])
    except RedisError as exc:
        log.warning("redis unreachable at startup: %s", exc)
    try:
        await c.rules.ensure_installed()
    except RedisError as exc:
        log.warning("rules not installed at startup (%s); they load on first use", exc)
    except RulesError as exc:
        log.error("the configured rules file is refused:\n%s", exc)


@contextlib.asynccontextmanager
async def web_runtime(c: Container) -> AsyncIterator[WebRuntime]:
    """Start the web process's own parts; stop them (and flush the last positions) at exit."""
    pipe = make_pipe(c.redis_url)
    runtime = WebRuntime(
        container=c,
        hub=Hub(c.redis, c.keys.push_pattern(), c.metrics),
        positions=PositionsCoalescer(c.events, c.settings.positions_flush_ms, c.metrics),
        pipe=pipe,
        ingest_scripts=pipe if c.settings.ingest_pipe else c.scripts,
        snapshot=screen_sections(c),
    )
    await _warm_up(c)
    await runtime.hub.start()
    runtime.positions.start()
    trimming = asyncio.create_task(runtime.heap.run())
    try:
        yield runtime
    finally:
        trimming.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await trimming
        await runtime.positions.stop()
        await runtime.pipe.aclose()
        await runtime.hub.stop()
