"""One place that wires everything: settings -> Redis clients, scripts, services."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis

from dispatch.embedded_redis import resolve_redis_url
from dispatch.identity.tokens import TokenStore
from dispatch.identity.users import UserStore
from dispatch.keys import Keys
from dispatch.media import MediaStore
from dispatch.metrics import Metrics
from dispatch.org.store import OrgStore
from dispatch.ratelimit import RateLimiter
from dispatch.rules_service import RulesService
from dispatch.realtime.events import Events
from dispatch.realtime.hub import Hub
from dispatch.realtime.snapshot import SnapshotSections
from dispatch.scripts import Scripts
from dispatch.settings import Settings

HEALTH_TIMEOUT_S = 2.0


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
    snapshot: SnapshotSections = field(default_factory=SnapshotSections)
    hub: Hub | None = None  # set by the web process's lifespan
    extras: dict[str, Any] = field(default_factory=dict)

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
    return Redis.from_url(
        url, decode_responses=True, health_check_interval=30,
        socket_connect_timeout=HEALTH_TIMEOUT_S,
    )


def bootstrap(settings: Settings | None = None, *, metrics: Metrics | None = None) -> Container:
    """Build the container; starts (or attaches to) the embedded Redis when no URL is set."""
    settings = settings or Settings.from_env()
    url = resolve_redis_url(settings.redis_url, settings.redis_dir)
    redis = make_redis(url)
    keys = Keys(settings.street)
    scripts = Scripts(redis)
    org = OrgStore(redis, keys)
    return Container(
        settings=settings,
        redis_url=url,
        redis=redis,
        keys=keys,
        scripts=scripts,
        metrics=metrics or Metrics(),
        users=UserStore(redis, keys, scrypt_n=settings.scrypt_n),
        tokens=TokenStore(redis, keys, scripts, ttl_s=settings.token_ttl_s),
        limiter=RateLimiter(scripts, keys),
        org=org,
        events=Events(scripts, keys),
        rules=RulesService(redis, keys, settings, org),
        media=MediaStore(redis, keys, settings.media_dir, settings.max_media_bytes),
    )
