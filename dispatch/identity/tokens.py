"""Login tokens: random, stored hashed with an expiry, revocable one by one or per user."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any, ClassVar

from redis.asyncio import Redis

from dispatch.clock import MS_PER_S, now_ms
from dispatch.identity.principal import Principal
from dispatch.identity.roles import Role
from dispatch.identity.users import User
from dispatch.keys import Keys
from dispatch.scripts import LuaScript, ScriptCall, Scripts

TOKEN_BYTES = 32

# KEYS[1] the user's set of token hashes
# ARGV[1] key prefix of a token (the hash is appended)
# Deletes every token of the user; returns how many.
REVOKE_ALL = LuaScript(
    "revoke_all_tokens",
    """
local hashes = redis.call('SMEMBERS', KEYS[1])
for _, h in ipairs(hashes) do redis.call('DEL', ARGV[1] .. h) end
redis.call('DEL', KEYS[1])
return #hashes
""",
)


@dataclass(frozen=True, slots=True)
class RevokeAllCall(ScriptCall[int]):
    script: ClassVar[LuaScript] = REVOKE_ALL
    user_tokens: str
    token_prefix: str

    def to_keys(self) -> list[str]:
        return [self.user_tokens]

    def to_argv(self) -> list[Any]:
        return [self.token_prefix]

    def from_reply(self, reply: Any) -> int:
        return int(reply)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class TokenStore:
    def __init__(self, redis: Redis, keys: Keys, scripts: Scripts, *, ttl_s: int) -> None:
        self.redis = redis
        self.keys = keys
        self.scripts = scripts
        self.ttl_s = ttl_s

    async def issue(self, user: User) -> tuple[str, int]:
        """A new token for ``user`` and its expiry (UTC ms)."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        h = token_hash(token)
        expires = now_ms() + self.ttl_s * MS_PER_S
        fields = {
            "username": user.username,
            "role": user.role.value,
            "scope": user.scope or "",
            "name": user.name,
            "exp": str(expires),
        }
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.keys.token(h), mapping=fields)
            pipe.expire(self.keys.token(h), self.ttl_s)
            pipe.sadd(self.keys.user_tokens(user.username), h)
            pipe.expire(self.keys.user_tokens(user.username), self.ttl_s)
            await pipe.execute()
        return token, expires

    async def resolve(self, token: str) -> Principal | None:
        """The principal a token stands for, or None (unknown, expired, revoked)."""
        if not token or len(token) > 256:
            return None
        found = await self.redis.hgetall(self.keys.token(token_hash(token)))
        if not found:
            return None
        return Principal(
            username=found["username"],
            role=Role(found["role"]),
            scope=found.get("scope") or None,
            name=found.get("name", ""),
        )

    async def revoke(self, token: str) -> bool:
        h = token_hash(token)
        found = await self.redis.hget(self.keys.token(h), "username")
        if found is None:
            return False
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(self.keys.token(h))
            pipe.srem(self.keys.user_tokens(found), h)
            await pipe.execute()
        return True

    async def revoke_all(self, username: str) -> int:
        return await self.scripts.run(RevokeAllCall(self.keys.user_tokens(username),
                                                    self.keys.token("")))
