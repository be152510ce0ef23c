"""The user store: one hash per user, a sorted set of every user name."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from dispatch.errors import BadRequest, Conflict, NotFound
from dispatch.identity.passwords import check_password_policy, hash_password, verify_password
from dispatch.identity.roles import Role, scope_kind
from dispatch.keys import Keys

MS = 1000
CREATED_FIELD = "created"
USERNAME = re.compile(r"^[a-z][a-z0-9_.-]{1,31}$")


@dataclass(frozen=True)
class User:
    username: str
    role: Role
    scope: str | None = None
    name: str = ""
    disabled: bool = False

    def public(self) -> dict[str, Any]:
        """What the API shows of a user."""
        return {
            "username": self.username,
            "role": self.role.value,
            "scope": self.scope,
            "scope_kind": scope_kind(self.role),
            "name": self.name,
            "disabled": self.disabled,
        }

    def to_hash(self) -> dict[str, str]:
        return {
            "username": self.username,
            "role": self.role.value,
            "scope": self.scope or "",
            "name": self.name,
            "disabled": "1" if self.disabled else "0",
        }

    @classmethod
    def from_hash(cls, h: dict[str, str]) -> User:
        return cls(
            username=h["username"],
            role=Role(h["role"]),
            scope=h.get("scope") or None,
            name=h.get("name", ""),
            disabled=h.get("disabled") == "1",
        )


def validate_user(user: User) -> None:
    if not USERNAME.match(user.username):
        raise BadRequest(
            "a user name is 2-32 lowercase letters, digits, '_', '.', '-'", field="username"
        )
    if scope_kind(user.role) is not None and not user.scope:
        raise BadRequest(f"role {user.role.value} needs a scope", field="scope")


class UserStore:
    def __init__(self, redis: Redis, keys: Keys, *, scrypt_n: int) -> None:
        self.redis = redis
        self.keys = keys
        self.scrypt_n = scrypt_n

    def hash(self, password: str) -> str:
        problem = check_password_policy(password)
        if problem:
            raise BadRequest(problem, field="password")
        return hash_password(password, n=self.scrypt_n)

    def write(self, user: User, password_hash: str | None, pipe: Pipeline,
              created_ms: int | None = None) -> None:
        """Queue the writes of ``user`` on ``pipe`` (callers batch); the first write of a
        user records when it was created (``created_ms``, default now)."""
        validate_user(user)
        fields = user.to_hash()
        if password_hash is not None:
            fields["pw"] = password_hash
        key = self.keys.user(user.username)
        pipe.hset(key, mapping=fields)
        pipe.hsetnx(key, CREATED_FIELD, str(created_ms if created_ms is not None
                                            else int(time.time() * MS)))
        pipe.zadd(self.keys.users(), {user.username: 0})

    async def created(self, usernames: Sequence[str]) -> dict[str, int | None]:
        """When each user was created (None: not recorded, a user of an older version)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for name in usernames:
                pipe.hget(self.keys.user(name), CREATED_FIELD)
            rows = await pipe.execute()
        return {name: int(raw) if raw else None
                for name, raw in zip(usernames, rows, strict=True)}

    async def add(self, user: User, password: str) -> User:
        validate_user(user)
        pw = await asyncio.to_thread(self.hash, password)
        created = await self.redis.hsetnx(self.keys.user(user.username), "username", user.username)
        if not created:
            raise Conflict(f"user {user.username} exists", code="user_exists", field="username")
        async with self.redis.pipeline(transaction=True) as pipe:
            self.write(user, pw, pipe)
            await pipe.execute()
        return user

    async def get(self, username: str) -> User:
        found = await self.redis.hgetall(self.keys.user(username))
        if not found:
            raise NotFound(f"no user {username}", code="unknown_user")
        return User.from_hash(found)

    async def many(self, usernames: Sequence[str]) -> list[User]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for name in usernames:
                pipe.hgetall(self.keys.user(name))
            rows = await pipe.execute()
        return [User.from_hash(r) for r in rows if r]

    async def names(self) -> list[str]:
        return list(await self.redis.zrange(self.keys.users(), 0, -1))

    async def all(self, role: Role | None = None) -> list[User]:
        users = await self.many(await self.names())
        return [u for u in users if role is None or u.role == role]

    async def check_password(self, username: str, password: str) -> User | None:
        found = await self.redis.hgetall(self.keys.user(username))
        if not found or "pw" not in found:
            return None
        ok = await asyncio.to_thread(verify_password, password, found["pw"])
        return User.from_hash(found) if ok else None

    async def set_password(self, username: str, password: str) -> None:
        await self.get(username)
        pw = await asyncio.to_thread(self.hash, password)
        await self.redis.hset(self.keys.user(username), "pw", pw)

    async def set_disabled(self, username: str, disabled: bool) -> None:
        await self.get(username)
        await self.redis.hset(self.keys.user(username), "disabled", "1" if disabled else "0")
