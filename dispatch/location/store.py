"""Live positions and daily tracks in Redis: one atomic script stores a message's fixes.

Per worker: a hash of the newest fix with presence, patrol and out-of-grid state
(``loc_live``), a member of the live GEO set, and per local day a hash of 5-minute
buckets of packed records (``loc_track``, see codec.py). The ingest script inserts
every record in time order (the same timestamp once), and moves the live position
only for a fix newer than the one it holds: the newest fix wins, whatever order
fixes arrive in, and only the newest fix is judged against the grid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from redis.asyncio import Redis
from redis.client import NEVER_DECODE

from dispatch.keys import Keys
from dispatch.location.codec import RECORD_SIZE, Track, empty_track, unpack_buckets
from dispatch.location.pipe import ScriptPipe
from dispatch.scripts import LuaScript, Scripts

#: KEYS index of the first track hash (after the live hash and the GEO set).
FIRST_TRACK_KEY = 3
#: Live hash fields, in the order ``live_many`` returns them.
LIVE_FIELDS = ("ts", "lat", "lon", "acc", "speed", "heading", "batt", "grid", "seen", "state",
               "patrol", "patrol_since", "out_since", "oog", "off_seen", "charge", "fence")

# KEYS[1] the worker's live hash, KEYS[2] the live GEO set, KEYS[3..] track hashes (local days)
# ARGV[1] worker (GEO member), ARGV[2] track TTL (s), ARGV[3] record size, ARGV[4] records
# ARGV[5] newest fix heard (ms, '' none), ARGV[6] a fix heard at or after this ms is fresh
# ARGV[7] live candidate ts ('' none), ARGV[8] lon, ARGV[9] lat, ARGV[10] grid at the fix,
#   ARGV[11] inside the worker's own grid (1|0|''), ARGV[12] out-of-grid alert after (ms),
#   ARGV[13] acc, ARGV[14] speed, ARGV[15] heading, ARGV[16] batt ('' unknown: the last
#   known battery stays), ARGV[17] charging ('1'|'0'|'' unknown)
# ARGV[18..] per record: track key index, bucket, record
# Returns {stored bits ('1' stored, '0' already there), moved 0|1, state, patrol id,
#          out-of-grid flag, previous state, out-of-grid transition ('open'|'clear'|'')}
INGEST = LuaScript(
    "location_ingest",
    """
local live, geo = KEYS[1], KEYS[2]
local ttl, size, n = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local function time_of(s, o)
  local a, b, c, d = string.byte(s, o + 1, o + 4)
  return ((a * 256 + b) * 256 + c) * 256 + d
end
local function insert(key, field, rec)
  local cur = redis.call('HGET', key, field)
  if not cur then
    redis.call('HSET', key, field, rec)
    return 1
  end
  local t = time_of(rec, 0)
  local i = #cur / size
  while i > 0 do
    local ti = time_of(cur, (i - 1) * size)
    if ti == t then return 0 end
    if ti < t then break end
    i = i - 1
  end
  local cut = i * size
  redis.call('HSET', key, field, string.sub(cur, 1, cut) .. rec .. string.sub(cur, cut + 1))
  return 1
end
local bits, touched = {}, {}
for i = 0, n - 1 do
  local base = 18 + i * 3
  local key = KEYS[tonumber(ARGV[base])]
  bits[i + 1] = insert(key, ARGV[base + 1], ARGV[base + 2])
  touched[key] = true
end
for key in pairs(touched) do redis.call('EXPIRE', key, ttl) end
local cur = redis.call('HMGET', live, 'ts', 'seen', 'state', 'patrol', 'out_since', 'oog')
local prev_state = cur[3] or ''
local state = prev_state
local heard = tonumber(ARGV[5])
if heard and heard >= tonumber(ARGV[6]) then
  if heard > (tonumber(cur[2]) or 0) then redis.call('HSET', live, 'seen', ARGV[5]) end
  state = 'online'
  if prev_state ~= state then redis.call('HSET', live, 'state', state) end
end
local moved, transition, oog, patrol = 0, '', cur[6] or '0', cur[4] or ''
local cand = tonumber(ARGV[7])
if cand and cand > (tonumber(cur[1]) or 0) then
  moved = 1
  redis.call('HSET', live, 'ts', ARGV[7], 'lon', ARGV[8], 'lat', ARGV[9], 'grid', ARGV[10],
             'acc', ARGV[13], 'speed', ARGV[14], 'heading', ARGV[15])
  if ARGV[16] ~= '' then redis.call('HSET', live, 'batt', ARGV[16]) end
  if ARGV[17] ~= '' then redis.call('HSET', live, 'charge', ARGV[17]) end
  redis.call('GEOADD', geo, ARGV[8], ARGV[9], ARGV[1])
  if patrol ~= '' and ARGV[11] ~= '' then
    if ARGV[11] == '1' then
      if cur[5] then redis.call('HDEL', live, 'out_since') end
      if oog == '1' then
        redis.call('HSET', live, 'oog', '0')
        oog, transition = '0', 'clear'
      end
    elseif not cur[5] then
      redis.call('HSET', live, 'out_since', ARGV[7])
    elseif oog ~= '1' and cand - tonumber(cur[5]) >= tonumber(ARGV[12]) then
      redis.call('HSET', live, 'oog', '1')
      oog, transition = '1', 'open'
    end
  end
end
return {table.concat(bits), moved, state, patrol, oog, prev_state, transition}
""",
)

# KEYS[1] a worker's live hash
# ARGV[1] field to check, ARGV[2] the value it must have ('' = absent),
# ARGV[3] field to set, ARGV[4] its new value
# Returns 1 when set, 0 when the checked field had changed meanwhile.
SET_IF = LuaScript(
    "location_set_if",
    """
local found = redis.call('HGET', KEYS[1], ARGV[1]) or ''
if found ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[3], ARGV[4])
return 1
""",
)


# KEYS[1] a worker's live hash
# ARGV[1] when the phone was heard (ms), ARGV[2] heard at or after this ms is fresh,
# ARGV[3] battery percent ('' unknown), ARGV[4] charging ('1'|'0'|'' unknown)
# Presence as the ingest script keeps it; battery and charging when this is the newest
# thing heard of the phone. Never touches the position.
# Returns {previous state, state, power changed 0|1, ts, lat, lon, grid, patrol, oog}
HEARTBEAT = LuaScript(
    "location_heartbeat",
    """
local live = KEYS[1]
local cur = redis.call('HMGET', live, 'seen', 'state', 'ts', 'power_ts', 'lat', 'lon', 'grid',
                       'patrol', 'oog')
local prev = cur[2] or ''
local state = prev
local heard = tonumber(ARGV[1])
if heard >= tonumber(ARGV[2]) then
  if heard > (tonumber(cur[1]) or 0) then redis.call('HSET', live, 'seen', ARGV[1]) end
  state = 'online'
  if prev ~= state then redis.call('HSET', live, 'state', state) end
end
local power = 0
if heard > (tonumber(cur[4]) or 0) and heard >= (tonumber(cur[3]) or 0) then
  if ARGV[3] ~= '' then redis.call('HSET', live, 'batt', ARGV[3]); power = 1 end
  if ARGV[4] ~= '' then redis.call('HSET', live, 'charge', ARGV[4]); power = 1 end
  if power == 1 then redis.call('HSET', live, 'power_ts', ARGV[1]) end
end
return {prev, state, power, cur[3] or '', cur[5] or '', cur[6] or '', cur[7] or '',
        cur[8] or '', cur[9] or ''}
""",
)

# KEYS[1] a worker's live hash, KEYS[2] the worker's geofence events (list)
# ARGV[1] the event as JSON, ARGV[2] events kept, ARGV[3] TTL of the list (s)
# The newest event is also kept in the live hash (``fence``) unless a newer one is there.
FENCE = LuaScript(
    "location_fence",
    """
redis.call('LPUSH', KEYS[2], ARGV[1])
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[2]) - 1)
redis.call('EXPIRE', KEYS[2], ARGV[3])
local ts = tonumber(cjson.decode(ARGV[1]).ts)
local cur = redis.call('HGET', KEYS[1], 'fence')
if not cur or tonumber(cjson.decode(cur).ts) <= ts then
  redis.call('HSET', KEYS[1], 'fence', ARGV[1])
end
return 1
""",
)


@dataclass(frozen=True, slots=True)
class StoreItem:
    """One record to insert: its local day, bucket and packed bytes."""

    day: str
    bucket: int
    record: bytes


@dataclass(frozen=True, slots=True)
class LiveCandidate:
    """The newest usable fix of a message: it moves the live position if it is the newest."""

    ts: int
    lon: float
    lat: float
    grid: str | None
    inside: bool | None
    acc: float | None = None
    speed: float | None = None
    heading: float | None = None
    batt: float | None = None


@dataclass(frozen=True, slots=True)
class HeartbeatOutcome:
    previous_state: str
    state: str
    power_changed: bool
    live: dict[str, str]  # ts, lat, lon, grid, patrol, oog of the live position ('' none)


@dataclass(frozen=True, slots=True)
class IngestOutcome:
    stored: list[bool]
    moved: bool
    state: str
    patrol: str
    out_of_grid: bool
    previous_state: str
    transition: str


def _opt(value: float | None) -> str | float:
    return "" if value is None else value


def _flag(value: bool | None) -> str:
    return "" if value is None else ("1" if value else "0")


#: Geofence events kept per worker.
FENCE_EVENTS_KEPT = 100


class LocationStore:
    def __init__(self, redis: Redis, keys: Keys, scripts: Scripts, *, track_ttl_s: int,
                 out_of_grid_ms: int) -> None:
        self.redis = redis
        self.keys = keys
        self.scripts = scripts
        self.track_ttl_s = track_ttl_s
        self.out_of_grid_ms = out_of_grid_ms
        #: The web process's own connection for the hot path (see pipe.py); else redis-py.
        self.pipe: ScriptPipe | None = None

    async def ingest(self, worker: str, items: Sequence[StoreItem], *, heard_ms: int | None,
                     fresh_after_ms: int, live: LiveCandidate | None,
                     charge: bool | None = None) -> IngestOutcome:
        """Store ``items`` and update the live position, presence and geofence atomically."""
        days: dict[str, int] = {}
        records: list[Any] = []
        for item in items:
            index = days.setdefault(item.day, FIRST_TRACK_KEY + len(days))
            records += (index, item.bucket, item.record)
        keys = [self.keys.loc_live(worker), self.keys.loc_geo(),
                *(self.keys.loc_track(worker, day) for day in days)]
        args: list[Any] = [worker, self.track_ttl_s, RECORD_SIZE, len(items),
                           _opt(heard_ms), fresh_after_ms]
        if live is None:
            args += ["", 0, 0, "", "", 0, "", "", "", "", ""]
        else:
            inside = "" if live.inside is None else int(live.inside)
            args += [live.ts, live.lon, live.lat, live.grid or "", inside, self.out_of_grid_ms,
                     _opt(live.acc), _opt(live.speed), _opt(live.heading), _opt(live.batt),
                     _flag(charge)]
        args += records
        if self.pipe is not None:
            reply = await self.pipe.call(INGEST, keys, args)
        else:
            reply = await self.scripts.call(INGEST, keys, args)
        bits, moved, state, patrol, oog, previous, transition = reply
        return IngestOutcome([b == "1" for b in bits], moved == 1, state, patrol, oog == "1",
                             previous, transition)

    async def heartbeat(self, worker: str, *, heard_ms: int, fresh_after_ms: int,
                        batt: float | None, charge: bool | None) -> HeartbeatOutcome:
        """A report without a fix: presence, battery and charging; never the position."""
        args: list[Any] = [heard_ms, fresh_after_ms, _opt(batt), _flag(charge)]
        keys = [self.keys.loc_live(worker)]
        if self.pipe is not None:
            reply = await self.pipe.call(HEARTBEAT, keys, args)
        else:
            reply = await self.scripts.call(HEARTBEAT, keys, args)
        previous, state, power, *live = reply
        return HeartbeatOutcome(previous, state, power == 1,
                                dict(zip(("ts", "lat", "lon", "grid", "patrol", "oog"), live,
                                         strict=True)))

    async def record_fence(self, worker: str, event: dict[str, Any]) -> None:
        """Keep a geofence event of the worker (and the newest in the live hash)."""
        await self.scripts.call(FENCE, [self.keys.loc_live(worker),
                                        self.keys.loc_fence(worker)],
                                [orjson.dumps(event), FENCE_EVENTS_KEPT, self.track_ttl_s])

    async def fences(self, worker: str) -> list[dict[str, Any]]:
        """The worker's geofence events, newest first."""
        return [orjson.loads(e) for e in await self.redis.lrange(self.keys.loc_fence(worker),
                                                                0, -1)]

    async def live_many(self, workers: Sequence[str]) -> list[dict[str, str]]:
        """The live hash of each worker (empty values for fields not set)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for worker in workers:
                pipe.hmget(self.keys.loc_live(worker), list(LIVE_FIELDS))
            rows = await pipe.execute()
        return [{f: v for f, v in zip(LIVE_FIELDS, row, strict=True) if v is not None}
                for row in rows]

    async def tracked_workers(self) -> list[str]:
        """Every worker with a live position or an open patrol."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zrange(self.keys.loc_geo(), 0, -1)
            pipe.hkeys(self.keys.patrols_open())
            located, patrolling = await pipe.execute()
        return sorted(set(located) | set(patrolling))

    async def set_if(self, worker: str, check: str, expected: str, field: str, value: str) -> bool:
        """Set ``field`` when ``check`` still holds ``expected`` (compare and set)."""
        done = await self.scripts.call(SET_IF, [self.keys.loc_live(worker)],
                                       [check, expected, field, value])
        return bool(done)

    async def track(self, worker: str, days: Sequence[str]) -> Track:
        """The worker's fixes of some local days, in time order."""
        if not days:
            return empty_track()
        async with self.redis.pipeline(transaction=False) as pipe:
            for day in days:
                pipe.execute_command("HGETALL", self.keys.loc_track(worker, day),
                                     **{NEVER_DECODE: True})
            found = await pipe.execute()
        buckets: dict[bytes | str, bytes] = {}
        for day_buckets in found:
            buckets.update(day_buckets)
        return unpack_buckets(buckets)

    async def near(self, lon: float, lat: float, radius_m: float) -> list[str]:
        """Workers whose newest fix is within ``radius_m`` of a point, nearest first."""
        found = await self.redis.geosearch(self.keys.loc_geo(), longitude=lon, latitude=lat,
                                           radius=radius_m, unit="m", sort="ASC")
        return [str(w) for w in found]
