"""Lua scripts: named constants, registered once per client, called through typed wrappers.

Each script's header names its KEYS and ARGV. A module that owns a script keeps
its source beside the typed wrapper that calls it; this module only holds the
registry and the scripts shared by several services.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.commands.core import AsyncScript

RedisOrPipe = Redis | Pipeline


@dataclass(frozen=True)
class LuaScript:
    name: str
    source: str


# KEYS[1] counter key
# ARGV[1] limit, ARGV[2] window in ms
# Returns {allowed 0|1, count, ms until the window resets}
RATE_LIMIT = LuaScript(
    "rate_limit",
    """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]); ttl = tonumber(ARGV[2]) end
if n > tonumber(ARGV[1]) then return {0, n, ttl} end
return {1, n, ttl}
""",
)


@dataclass
class Scripts:
    """Registry of the scripts of one client; each registered once (EVALSHA, EVAL fallback)."""

    client: Redis
    _registered: dict[str, AsyncScript] = field(default_factory=dict)

    def get(self, script: LuaScript) -> AsyncScript:
        found = self._registered.get(script.name)
        if found is None:
            found = self.client.register_script(script.source)
            self._registered[script.name] = found
        return found

    async def call(
        self,
        script: LuaScript,
        keys: Sequence[str],
        args: Sequence[Any] = (),
        *,
        pipeline: Pipeline | None = None,
    ) -> Any:
        """Run ``script``; with ``pipeline`` the call is queued in it instead."""
        registered = self.get(script)
        return await registered(keys=list(keys), args=list(args), client=pipeline)

    async def load_all(self, scripts: Sequence[LuaScript]) -> None:
        """Load scripts into the server's cache up front (startup check of the Lua)."""
        for script in scripts:
            self.get(script)
            await self.client.script_load(script.source)
