"""Lua scripts: named constants, registered once per client, called through typed calls.

Each script's header names its KEYS and ARGV. A module that owns a script keeps its
source beside its call: a small frozen dataclass (a :class:`ScriptCall`) whose fields
are the keys and arguments, with ``to_keys()`` / ``to_argv()`` to send it and
``from_reply()`` to read the answer as a value. Callers never build a positional list;
a runner (:class:`Scripts` over redis-py, or the ingest's own connection) runs a call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.commands.core import AsyncScript

RedisOrPipe = Redis | Pipeline
R = TypeVar("R")
#: What an optional argument is sent as when it has no value.
NONE_ARG = ""


@dataclass(frozen=True)
class LuaScript:
    name: str
    source: str


class ScriptCall(Generic[R]):
    """One call of a script: subclasses are frozen dataclasses naming ``script``."""

    __slots__ = ()
    script: ClassVar[LuaScript]

    def to_keys(self) -> list[str]:
        raise NotImplementedError

    def to_argv(self) -> list[Any]:
        raise NotImplementedError

    def from_reply(self, reply: Any) -> R:
        raise NotImplementedError


class ScriptRunner(Protocol):
    async def run(self, call: ScriptCall[R]) -> R: ...


def opt(value: Any) -> Any:
    """An optional argument as sent: itself, or NONE_ARG."""
    return NONE_ARG if value is None else value


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


@dataclass(frozen=True, slots=True)
class RateCount:
    allowed: bool
    count: int
    reset_ms: int


@dataclass(frozen=True, slots=True)
class RateLimitCall(ScriptCall[RateCount]):
    script: ClassVar[LuaScript] = RATE_LIMIT
    counter: str
    limit: int
    window_ms: int

    def to_keys(self) -> list[str]:
        return [self.counter]

    def to_argv(self) -> list[Any]:
        return [self.limit, self.window_ms]

    def from_reply(self, reply: Any) -> RateCount:
        allowed, count, ttl = reply
        return RateCount(bool(allowed), int(count), int(ttl))


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

    async def run(self, call: ScriptCall[R]) -> R:
        """Run ``call`` and read its reply."""
        registered = self.get(call.script)
        return call.from_reply(await registered(keys=call.to_keys(), args=call.to_argv()))

    async def queue(self, call: ScriptCall[Any], pipeline: Pipeline) -> None:
        """Queue ``call`` in ``pipeline``; its reply comes with the pipeline's (read it with
        ``call.from_reply``)."""
        if isinstance(pipeline, Pipeline):
            await self.get(call.script)(keys=call.to_keys(), args=call.to_argv(),
                                        client=pipeline)
            return
        # a cluster's pipeline: EVAL (a node promoted after a failover may not have the SHA)
        keys = call.to_keys()
        pipeline.eval(call.script.source, len(keys), *keys, *call.to_argv())

    async def load_all(self, scripts: Sequence[LuaScript]) -> None:
        """Load scripts into the server's cache up front (startup check of the Lua)."""
        for script in scripts:
            self.get(script)
            await self.client.script_load(script.source)
