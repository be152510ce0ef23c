"""Leadership among clock processes: a lock in Redis with an expiry, renewed while alive."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, ClassVar

from dispatch.scripts import LuaScript, ScriptCall, Scripts

# KEYS[1] the lock
# ARGV[1] this holder's id, ARGV[2] lease in ms
# Takes the free lock or renews our own; returns 1 when we hold it.
ACQUIRE_OR_RENEW = LuaScript(
    "leader_acquire_or_renew",
    """
local holder = redis.call('GET', KEYS[1])
if holder == false then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
""",
)

# KEYS[1] the lock
# ARGV[1] this holder's id
RELEASE = LuaScript(
    "leader_release",
    """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
""",
)


@dataclass(frozen=True, slots=True)
class HoldCall(ScriptCall[bool]):
    script: ClassVar[LuaScript] = ACQUIRE_OR_RENEW
    lock: str
    holder: str
    lease_ms: int

    def to_keys(self) -> list[str]:
        return [self.lock]

    def to_argv(self) -> list[Any]:
        return [self.holder, self.lease_ms]

    def from_reply(self, reply: Any) -> bool:
        return bool(reply)


@dataclass(frozen=True, slots=True)
class ReleaseCall(ScriptCall[bool]):
    script: ClassVar[LuaScript] = RELEASE
    lock: str
    holder: str

    def to_keys(self) -> list[str]:
        return [self.lock]

    def to_argv(self) -> list[Any]:
        return [self.holder]

    def from_reply(self, reply: Any) -> bool:
        return bool(reply)


class LeaderLock:
    def __init__(self, scripts: Scripts, key: str, lease_ms: int,
                 holder: str | None = None) -> None:
        self.scripts = scripts
        self.key = key
        self.lease_ms = lease_ms
        self.holder = holder or uuid.uuid4().hex

    async def hold(self) -> bool:
        """Take or keep the lead; False when another process leads."""
        return await self.scripts.run(HoldCall(self.key, self.holder, self.lease_ms))

    async def release(self) -> None:
        await self.scripts.run(ReleaseCall(self.key, self.holder))
