"""Open311 API keys: one per system or page that files requests, each with its own rate.

A key is shown once when it is made and stored only as its SHA-256, with an id (to
list and revoke it by), a name, its rate (requests per window) and whether it is
revoked. The public page has a key of its own, made on first use, whose posts are
also limited per address (everyone shares it).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import asdict, dataclass

import orjson
from redis.asyncio import Redis

from dispatch.clock import now_ms
from dispatch.errors import NotFound
from dispatch.keys import Keys

KEY_BYTES = 24
ID_BYTES = 4
#: The name of the key the public page uses.
PAGE_KEY = "public-page"
#: No key is longer (a longer one is refused unread).
MAX_KEY_CHARS = 256


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class ApiKey:
    id: str
    name: str
    rate: int
    created: int
    revoked: bool = False
    #: Posts are also limited per client address (a key published in a web page).
    per_address: bool = False

    def public(self) -> dict[str, object]:
        return asdict(self)


class ApiKeyStore:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    async def add(self, name: str, rate: int, *, per_address: bool = False,
                  key: str | None = None) -> tuple[str, ApiKey]:
        """A new key (shown once) and its record."""
        secret = key or secrets.token_urlsafe(KEY_BYTES)
        record = ApiKey(secrets.token_hex(ID_BYTES), name, rate, now_ms(),
                        per_address=per_address)
        digest = key_hash(secret)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.keys.open311_keys(), digest, orjson.dumps(record.public()))
            pipe.hset(self.keys.open311_key_ids(), record.id, digest)
            await pipe.execute()
        return secret, record

    async def check(self, key: str) -> ApiKey | None:
        """The record of a valid, unrevoked key; None otherwise."""
        if not key or len(key) > MAX_KEY_CHARS:
            return None
        raw = await self.redis.hget(self.keys.open311_keys(), key_hash(key))
        if raw is None:
            return None
        record = ApiKey(**orjson.loads(raw))
        return None if record.revoked else record

    async def all(self) -> list[ApiKey]:
        raw = await self.redis.hvals(self.keys.open311_keys())
        return sorted((ApiKey(**orjson.loads(r)) for r in raw), key=lambda k: k.created)

    async def revoke(self, key_id: str) -> ApiKey:
        digest = await self.redis.hget(self.keys.open311_key_ids(), key_id)
        raw = await self.redis.hget(self.keys.open311_keys(), digest) if digest else None
        if digest is None or raw is None:
            raise NotFound(f"no API key {key_id}", code="unknown_key")
        record = ApiKey(**{**orjson.loads(raw), "revoked": True})
        await self.redis.hset(self.keys.open311_keys(), digest, orjson.dumps(record.public()))
        return record

    async def page_key(self, rate: int) -> str:
        """The public page's key, made the first time it is asked for.

        Derived from a secret kept in Redis, so every process hands out the same key."""
        field = f"secret:{PAGE_KEY}"
        secret = await self.redis.hget(self.keys.open311_key_ids(), field)
        if secret is None:
            candidate = secrets.token_urlsafe(KEY_BYTES)
            if await self.redis.hsetnx(self.keys.open311_key_ids(), field, candidate):
                await self.add(PAGE_KEY, rate, per_address=True, key=candidate)
            secret = await self.redis.hget(self.keys.open311_key_ids(), field)
        return str(secret)
