"""The composition root: settings in, every store and service of a process out.

- :func:`make_clients` makes a process's :class:`Clients` of the store: the async client
  (one pool, or the cluster client), the queues' synchronous client and, when changes wait
  for replicas, their pipe. A deployment of many streets makes them once and hands them to
  every street's container (``dispatch/district.py``), so a process holds as many
  connections serving 27 streets as serving one.
- :func:`bootstrap` builds the :class:`Container`: the scripts, every store and every
  service, each given what it uses, on the clients it is given (then it does not close
  them) or on clients of its own. Every process builds them once: the web process in its
  lifespan (``app.py``), the RQ worker before it takes jobs (``jobs/worker.py``), the
  clock before it leads (``jobs/clock.py``), the command line.
- :func:`web_runtimes` builds what only a web process has, for its life: the hub (one
  pub/sub listener fanning out to the sockets of every street), the ingest pipe (one set
  of connections), and for each street the positions coalescer and the screen snapshot's
  sections. It yields a :class:`WebRuntime` per street, which that street's sockets and
  ingest routes receive.

No client is created at import time, and nothing is added to either object later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

from redis import Redis as SyncRedis
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
class Clients:
    """A process's clients of the store (``redis_url``), shared by the containers built on
    them; whoever made them closes them, once."""

    redis_url: str
    redis: Redis
    #: RQ's queues' connection (``REDIS_QUEUE_URL``, else the store).
    queues: SyncRedis
    #: Case changes acknowledged once replicas have them (``DISPATCH_WAIT_REPLICAS``).
    acked: AckedScripts | None = None

    async def aclose(self) -> None:
        if self.acked is not None:
            await self.acked.aclose()
        await self.redis.aclose()
        self.queues.close()


def make_clients(settings: Settings, url: str | None = None) -> Clients:
    """The clients of the store at ``url`` (default: resolved from ``settings``, starting
    the embedded Redis when no URL is set). No connection opens before the first command."""
    url = url or resolve_redis_url(settings.redis_url, settings.redis_dir, settings.fsync)
    queues_at = queue_url(url, settings.redis_queue_url)  # a cluster without one: refused
    acked = (AckedScripts(make_pipe(url), settings.wait_replicas, settings.wait_timeout_ms)
             if settings.wait_replicas > 0 else None)
    return Clients(redis_url=url, redis=make_redis(url), queues=make_sync(queues_at),
                   acked=acked)


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
    #: The clients above (``redis``, the queues' connection, ``acked``) and whether this
    #: container made them (then :meth:`aclose` closes them) or was given them (their
    #: maker closes them: a deployment's streets share one set).
    clients: Clients
    owns_clients: bool = True

    @property
    def acked(self) -> AckedScripts | None:
        """Case changes acknowledged once replicas have them (``DISPATCH_WAIT_REPLICAS``)."""
        return self.clients.acked

    async def ready(self) -> bool:
        with contextlib.suppress(Exception):
            return bool(await self.redis.ping())
        return False

    async def aclose(self) -> None:
        if self.owns_clients:
            await self.clients.aclose()


def make_redis(url: str) -> Redis:
    """The store's client (one server or a cluster: see ``dispatch/connections.py``)."""
    return make_async(url)


def bootstrap(settings: Settings, *, metrics: Metrics | None = None,
              clock: Now | None = None, clients: Clients | None = None) -> Container:
    """Build the container of ``settings.street`` on ``clients`` (shared: the container
    leaves them open), else on clients of its own (:func:`make_clients`: starts or attaches
    to the embedded Redis when no URL is set). ``clock`` gives now in UTC ms to every
    service (default: the wall clock)."""
    clock = clock or now_ms
    owns = clients is None
    clients = clients or make_clients(settings)
    url, redis, acked = clients.redis_url, clients.redis, clients.acked
    keys = Keys(settings.street)
    scripts = Scripts(redis)
    metrics = metrics or Metrics()
    queues = Queues(clients.queues, keys)
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
        alerts=alerts, clock=clock, clients=clients, owns_clients=owns,
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
    """Load the scripts, install the rules and build the point-in-grid index; a failure is
    logged, not fatal (/readyz tells whether Redis is there; each loads on first use)."""
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
    try:
        await c.org.index()  # built here, not by the first phone's fix (and before gc.freeze)
    except (RedisError, ValueError) as exc:  # Redis away, or no grids yet
        log.info("the point-in-grid index is built on first use (%s)", exc)


def _by_clients(containers: Sequence[Container]) -> list[list[Container]]:
    """The containers grouped by the clients they are built on (a deployment's: one group)."""
    groups: dict[int, list[Container]] = {}
    for c in containers:
        groups.setdefault(id(c.clients), []).append(c)
    return list(groups.values())


@contextlib.asynccontextmanager
async def _listening(containers: Sequence[Container]) -> AsyncIterator[
        tuple[Hub, ScriptPipe | ClusterScriptPipe]]:
    """One hub (one pub/sub connection, a pattern per street) and one ingest pipe for
    ``containers``, which share their clients."""
    first = containers[0]
    hub = Hub(first.redis, [c.keys.push_pattern() for c in containers], first.metrics)
    pipe = make_pipe(first.redis_url)
    await hub.start()
    try:
        yield hub, pipe
    finally:
        await pipe.aclose()
        await hub.stop()


@contextlib.asynccontextmanager
async def web_runtimes(containers: Sequence[Container]) -> AsyncIterator[dict[str, WebRuntime]]:
    """Start the web process's own parts for every street of ``containers``, by street:
    the streets on the same clients share one hub and one ingest pipe, and every street
    has its positions and its snapshot's sections. At exit: the last positions flushed,
    then the pipe and the hub closed."""
    heap = HeapTrim()
    async with contextlib.AsyncExitStack() as stack:
        runtimes: dict[str, WebRuntime] = {}
        for group in _by_clients(containers):
            hub, pipe = await stack.enter_async_context(_listening(group))
            for c in group:
                runtimes[c.keys.street] = WebRuntime(
                    container=c, hub=hub,
                    positions=PositionsCoalescer(c.events, c.settings.positions_flush_ms,
                                                 c.metrics),
                    pipe=pipe, ingest_scripts=pipe if c.settings.ingest_pipe else c.scripts,
                    snapshot=screen_sections(c), heap=heap)
        for runtime in runtimes.values():
            await _warm_up(runtime.container)
            runtime.positions.start()
            stack.push_async_callback(runtime.positions.stop)
        trimming = asyncio.create_task(heap.run())
        try:
            yield runtimes
        finally:
            trimming.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await trimming


@contextlib.asynccontextmanager
async def web_runtime(c: Container) -> AsyncIterator[WebRuntime]:
    """One street's web runtime (:func:`web_runtimes` of ``c`` alone)."""
    async with web_runtimes([c]) as runtimes:
        yield runtimes[c.keys.street]
