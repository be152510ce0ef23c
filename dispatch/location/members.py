"""Where the disposal force is: each member's latest accepted fix, for the check-in of a
whistle (吹哨报到). Members are not tracked on patrols nor shown on the map; their phones
send fixes the same way as grid workers' (``POST /api/v1/locations``) and the same filters
judge them; only the newest accepted fix is kept, for a while.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from redis.asyncio import Redis

from dispatch.clock import Now, now_ms
from dispatch.keys import Keys
from dispatch.patrol.filters import FilterConfig, Ping, Verdict
from dispatch.patrol.judge import judge_batch
from dispatch.scripts import LuaScript, ScriptCall, Scripts

# KEYS[1] the member's position hash
# ARGV[1] ts, ARGV[2] lat, ARGV[3] lon, ARGV[4] accuracy ('' unknown), ARGV[5] TTL (s)
# The newest fix wins, whatever order fixes arrive in. Returns 1 when it moved, else 0.
MEMBER_FIX = LuaScript(
    "member_fix",
    """
local held = tonumber(redis.call('HGET', KEYS[1], 'ts') or '-1')
if held >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'ts', ARGV[1], 'lat', ARGV[2], 'lon', ARGV[3], 'acc', ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
""",
)


@dataclass(frozen=True, slots=True)
class MemberFixCall(ScriptCall[bool]):
    script: ClassVar[LuaScript] = MEMBER_FIX
    position: str
    fix: Ping
    ttl_s: int

    def to_keys(self) -> list[str]:
        return [self.position]

    def to_argv(self) -> list[Any]:
        acc = "" if self.fix.acc is None else repr(self.fix.acc)
        return [self.fix.ts, repr(self.fix.lat), repr(self.fix.lon), acc, self.ttl_s]

    def from_reply(self, reply: Any) -> bool:
        return bool(reply)


@dataclass(frozen=True)
class Fix:
    ts: int
    lat: float
    lon: float


class MemberPositions:
    def __init__(self, redis: Redis, keys: Keys, scripts: Scripts, filters: FilterConfig, *,
                 ttl_s: int, clock: Now = now_ms) -> None:
        self.redis = redis
        self.keys = keys
        self.scripts = scripts
        self.filters = filters
        self.ttl_s = ttl_s
        self.clock = clock

    async def ingest(self, member: str, pings: Sequence[Ping]) -> list[Verdict]:
        """Judge the fixes as a patrol's are judged (against the position held); keep the
        newest accepted one."""
        held = await self.latest(member)
        last = Ping(held.ts, held.lat, held.lon) if held else None
        verdicts = judge_batch(pings, last=last, now_ms=self.clock(), cfg=self.filters)
        ok = [p for p, v in zip(pings, verdicts, strict=True) if v is Verdict.OK]
        if ok:
            best = max(ok, key=lambda p: p.ts)
            await self.scripts.run(MemberFixCall(self.keys.member_position(member), best,
                                                 self.ttl_s))
        return verdicts

    async def latest(self, member: str) -> Fix | None:
        raw = await self.redis.hgetall(self.keys.member_position(member))
        if not raw:
            return None
        return Fix(int(raw["ts"]), float(raw["lat"]), float(raw["lon"]))
