"""One place that wires everything: settings -> Redis clients, scripts, services."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis

from dispatch.alerts.cases import CaseAlerts
from dispatch.alerts.service import AlertService
from dispatch.cases.service import CaseService
from dispatch.embedded_redis import resolve_redis_url
from dispatch.identity.tokens import TokenStore
from dispatch.identity.users import UserStore
from dispatch.keys import Keys
from dispatch.location.patrols import PatrolService
from dispatch.location.service import LocationService
from dispatch.media import MediaStore
from dispatch.metrics import Metrics
from dispatch.open311.service import Open311Service
from dispatch.org.store import OrgStore
from dispatch.ratelimit import RateLimiter
from dispatch.realtime.events import Events
from dispatch.realtime.hub import Hub
from dispatch.realtime.snapshot import SnapshotSections
from dispatch.reports.service import ReportService
from dispatch.rules_service import RulesService
from dispatch.scripts import Scripts
from dispatch.settings import Settings

HEALTH_TIMEOUT_S = 2.0
#: Connections of one process's pool, and how long a command waits for one when all are busy.
REDIS_MAX_CONNECTIONS = 128
REDIS_POOL_WAIT_S = 10.0
MS = 1000


def wall_clock_ms() -> int:
    """Now, in UTC milliseconds: the clock every service reads unless one is injected."""
    return int(time.time() * MS)


@dataclass
class Container:
    """The wired application: what every entry point (HTTP, WS, job, clock) uses."""

    settings: Settings
    redis_url: str
    redis: Redis
    keys: Keys
    scripts: Scripts
    metrics: Metrics
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
    snapshot: SnapshotSections = field(default_factory=SnapshotSections)
    hub: Hub | None = None  # set by the web process's lifespan
    extras: dict[str, Any] = field(default_factory=dict)
    #: Now in UTC ms for every service (tests inject a clock they move).
    clock: Callable[[], int] = wall_clock_ms

    @property
    def queue_url(self) -> str:
        return self.settings.redis_queue_url or self.redis_url

    async def ready(self) -> bool:
        with contextlib.suppress(Exception):
            return bool(await self.redis.ping())
        return False

    async def aclose(self) -> None:
        await self.redis.aclose()


def make_redis(url: str) -> Redis:
    """A client whose pool waits for a free connection instead of failing past its size
    (thousands of sockets may each have a command in flight)."""
    pool = BlockingConnectionPool.from_url(
        url, decode_responses=True, health_check_interval=30,
        socket_connect_timeout=HEALTH_TIMEOUT_S, max_connections=REDIS_MAX_CONNECTIONS,
        timeout=REDIS_POOL_WAIT_S,
    )
    return Redis.from_pool(pool)


def bootstrap(settings: Settings | None = None, *, metrics: Metrics | None = None,
              clock: Callable[[], int] = wall_clock_ms) -> Container:
    """Build the container; starts (or attaches to) the embedded Redis when no URL is set.
    ``clock`` gives now in UTC ms to every service."""
    settings = settings or Settings.from_env()
    url = resolve_redis_url(settings.redis_url, settings.redis_dir, settings.fsync)
    redis = make_redis(url)
    keys = Keys(settings.street)
    scripts = Scripts(redis)
    org = OrgStore(redis, keys)
    users = UserStore(redis, keys, scrypt_n=settings.scrypt_n)
    rules = RulesService(redis, keys, settings, org)
    media = MediaStore(redis, keys, settings.media_dir, settings.max_media_bytes)
    metrics = metrics or Metrics()
    events = Events(scripts, keys, settings.events_keep)
    alerts = AlertService(redis, keys, scripts, settings)
    location = LocationService(settings, keys=keys, scripts=scripts, org=org, users=users,
                               events=events, metrics=metrics, alerts=alerts, clock=clock)
    cases = CaseService(redis, keys, scripts, settings, org=org, rules=rules, media=media,
                        users=users, clock=clock)
    cases.observers.append(CaseAlerts(alerts, settings.rework_limit))
    patrols = PatrolService(settings, keys=keys, scripts=scripts, org=org, location=location,
                            events=events, clock=clock)
    limiter = RateLimiter(scripts, keys)
    return Container(
        settings=settings,
        redis_url=url,
        redis=redis,
        keys=keys,
        scripts=scripts,
        metrics=metrics,
        users=users,
        tokens=TokenStore(redis, keys, scripts, ttl_s=settings.token_ttl_s),
        limiter=limiter,
        org=org,
        events=events,
        rules=rules,
        media=media,
        cases=cases,
        location=location,
        patrols=patrols,
        reports=ReportService(redis, keys, settings, users, patrols.store, org, clock),
        alerts=alerts,
        clock=clock,
        open311=Open311Service(redis, keys, settings, cases=cases, rules=rules, org=org,
                               media=media, limiter=limiter),
    )
