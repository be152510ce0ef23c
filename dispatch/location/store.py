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
from typing import Any, ClassVar

import orjson
from redis.asyncio import Redis
from redis.client import NEVER_DECODE

from dispatch.keys import Keys
from dispatch.location.codec import RECORD_SIZE, Track, empty_track, unpack_buckets
from dispatch.scripts import LuaScript, ScriptCall, ScriptRunner, Scripts, opt

#: KEYS index of the first track hash (after the live hash and the GEO set).
FIRST_TRACK_KEY = 3
#: ARGV index of the records in the ingest script (their runs follow).
FIRST_RECORD_ARG = 21
#: Live hash fields, in the order ``live_many`` returns them.
LIVE_FIELDS = ("ts", "lat", "lon", "acc", "speed", "heading", "batt", "grid", "seen", "state",
               "patrol", "patrol_since", "out_since", "oog", "off_seen", "charge", "fence")
#: What the ingest script says of each record: stored as sent, already there, stored as a jump.
STORED, ALREADY_THERE, STORED_AS_JUMP = "1", "0", "j"

# The live position moves to a fix newer than the one it holds; out-of-grid bookkeeping.
# cur: HMGET live 'ts','seen','state','patrol','out_since','oog'
# a: the candidate {ts, lon, lat, grid, inside ('1'|'0'|''), out-of-grid after (ms), acc,
#    speed, heading, batt ('' keeps the last), charging ('1'|'0'|'')}
# sets: field, value, ... of the live hash (KEYS[1]) to write, appended to: the caller
# writes them in one HSET (every read of the hash was made before)
# Returns moved 0|1, transition ('open'|'clear'|''), out-of-grid flag.
MOVE_LUA = """
local function move_live(geo, member, cur, a, sets)
  local moved, transition, oog, patrol = 0, '', cur[6] or '0', cur[4] or ''
  local cand = tonumber(a[1])
  if not cand or cand <= (tonumber(cur[1]) or 0) then return moved, transition, oog end
  moved = 1
  local n = #sets
  sets[n + 1], sets[n + 2], sets[n + 3], sets[n + 4], sets[n + 5], sets[n + 6] =
    'ts', a[1], 'lon', a[2], 'lat', a[3]
  sets[n + 7], sets[n + 8], sets[n + 9], sets[n + 10] = 'grid', a[4], 'acc', a[7]
  sets[n + 11], sets[n + 12], sets[n + 13], sets[n + 14] = 'speed', a[8], 'heading', a[9]
  local function set(field, value)
    sets[#sets + 1] = field
    sets[#sets + 1] = value
  end
  if a[10] ~= '' then set('batt', a[10]) end
  if a[11] ~= '' then set('charge', a[11]) end
  redis.call('GEOADD', geo, a[2], a[3], member)
  if patrol ~= '' and a[5] ~= '' then
    if a[5] == '1' then
      if cur[5] then redis.call('HDEL', KEYS[1], 'out_since') end
      if oog == '1' then
        set('oog', '0')
        oog, transition = '0', 'clear'
      end
    elseif not cur[5] then
      set('out_since', a[1])
    elseif oog ~= '1' and cand - tonumber(cur[5]) >= tonumber(a[6]) then
      set('oog', '1')
      oog, transition = '1', 'open'
    end
  end
  return moved, transition, oog
end
"""

# KEYS[1] the worker's live hash, KEYS[2] the live GEO set, KEYS[3..] track hashes (local days)
# ARGV[1] worker (GEO member), ARGV[2] track TTL (s), ARGV[3] record size, ARGV[4] records
# ARGV[5] newest fix heard (ms, '' none), ARGV[6] a fix heard at or after this ms is fresh
# ARGV[7..17] the live candidate (see MOVE_LUA; ARGV[7] '' none)
# ARGV[18] the jump filter's top speed (m/s), ARGV[19] its slack (m), ARGV[20] the
#   candidate's record (1-based, 0 none)
# ARGV[21] the records, in time order, back to back (ARGV[3] bytes each)
# ARGV[22..] per run of consecutive records in one bucket: track key index, bucket, count
# A bucket is read and written once per message, not once per fix. A track hash's TTL
# starts again when it gets a new bucket (at least every 5 minutes of a patrol): not on
# every fix.
# Records with flag 0 are judged here, against the newest fix before them: the batch's own
# or the live one (the worker's newest, whichever process stored it), and stored with
# flag 2 when reaching them needs more than the top speed (beyond the slack).
# Returns {per record '1' stored | '0' already there | 'j' stored as a jump, moved 0|1,
#          state, patrol id, out-of-grid flag, previous state, out-of-grid transition,
#          the record to move to instead of a candidate found a jump (0 none)}
INGEST = LuaScript(
    "location_ingest",
    MOVE_LUA + """
local live, geo = KEYS[1], KEYS[2]
local ttl, size, n = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local top, slack, cand_rec = tonumber(ARGV[18]), tonumber(ARGV[19]), tonumber(ARGV[20])
local BUCKET_MS, RADIUS, RAD = 300000, 6371008.8, math.pi / 180
local function u32(s, o)
  local a, b, c, d = string.byte(s, o + 1, o + 4)
  return ((a * 256 + b) * 256 + c) * 256 + d
end
local function i32(s, o)
  local v = u32(s, o)
  if v >= 2147483648 then v = v - 4294967296 end
  return v / 1e7
end
local fresh = {}  -- track hashes given a new bucket: their TTL starts again
-- a bucket's records with ``rec`` in time order, or nil when its time is there already
local function merged(cur, rec)
  local t = u32(rec, 0)
  local i = #cur / size
  while i > 0 do
    local ti = u32(cur, (i - 1) * size)
    if ti == t then return nil end
    if ti < t then break end
    i = i - 1
  end
  local cut = i * size
  return string.sub(cur, 1, cut) .. rec .. string.sub(cur, cut + 1)
end
local function jump(ts, lat, lon, ref)
  local p1, p2 = ref[2] * RAD, lat * RAD
  local h = math.sin((p2 - p1) / 2) ^ 2
    + math.cos(p1) * math.cos(p2) * math.sin((lon - ref[3]) * RAD / 2) ^ 2
  h = math.min(1, math.max(0, h))
  local excess = 2 * RADIUS * math.asin(math.sqrt(h)) - slack
  if excess <= 0 then return false end
  local dt = math.abs(ts - ref[1]) / 1000
  return dt == 0 or excess / dt > top
end
local cur = redis.call('HMGET', live, 'ts', 'seen', 'state', 'patrol', 'out_since', 'oog',
                      'lat', 'lon')
local last = nil
if cur[1] and cur[7] and cur[8] then
  last = {tonumber(cur[1]), tonumber(cur[7]), tonumber(cur[8])}
end
local codes, oks, prev = {}, {}, nil
local blob, i, a = ARGV[FIRST], 0, FIRST + 1
while a <= #ARGV do
  local key, bucket, count = KEYS[tonumber(ARGV[a])], ARGV[a + 1], tonumber(ARGV[a + 2])
  a = a + 3
  local cur = redis.call('HGET', key, bucket)
  if not cur then
    cur = ''
    fresh[key] = true
  end
  local was = cur
  for _ = 1, count do
    i = i + 1
    local rec = string.sub(blob, (i - 1) * size + 1, i * size)
    local code, with = '1', nil
    if string.byte(rec, size) == 0 then
      local ts = tonumber(bucket) * BUCKET_MS + u32(rec, 0)
      local lat, lon = i32(rec, 4), i32(rec, 8)
      local ref = prev
      if last and last[1] <= ts and (not ref or last[1] > ref[1]) then ref = last end
      if ref and jump(ts, lat, lon, ref) then
        rec = string.sub(rec, 1, size - 1) .. string.char(2)
        code = 'j'
      else
        with = merged(cur, rec)
        if with then
          prev = {ts, lat, lon}
          oks[#oks + 1] = {i, ts}
        else
          code = '0'
        end
      end
    end
    if code ~= '0' and not with then
      with = merged(cur, rec)
      if not with then code = '0' end
    end
    if with then cur = with end
    codes[i] = code
  end
  if cur ~= was then redis.call('HSET', key, bucket, cur) end
end
for key in pairs(fresh) do redis.call('EXPIRE', key, ttl) end
local prev_state = cur[3] or ''
local state = prev_state
local heard = tonumber(ARGV[5])
local sets = {}
if heard and heard >= tonumber(ARGV[6]) then
  if heard > (tonumber(cur[2]) or 0) then sets[1], sets[2] = 'seen', ARGV[5] end
  state = 'online'
  if prev_state ~= state then
    local n = #sets
    sets[n + 1], sets[n + 2] = 'state', state
  end
end
local moved, transition, oog, instead = 0, '', cur[6] or '0', 0
if cand_rec > 0 and codes[cand_rec] == 'j' then
  local best = nil
  for _, ok in ipairs(oks) do
    if not best or ok[2] > best[2] then best = ok end
  end
  if best and best[2] > (tonumber(cur[1]) or 0) then instead = best[1] end
elseif cand_rec > 0 then
  moved, transition, oog = move_live(geo, ARGV[1], cur, {unpack(ARGV, 7, 17)}, sets)
end
if #sets > 0 then redis.call('HSET', live, unpack(sets)) end
return {table.concat(codes), moved, state, cur[4] or '', oog, prev_state, transition, instead}
""".replace("FIRST", str(FIRST_RECORD_ARG)),
)

# KEYS[1] the worker's live hash, KEYS[2] the live GEO set
# ARGV[1] worker (GEO member), ARGV[2..12] the candidate (see MOVE_LUA)
# The second step of an ingest whose newest fix was a jump: move to an older fix of the
# same message (the live position still moves only to a fix newer than the one it holds).
# Returns {moved 0|1, state, patrol id, out-of-grid flag, out-of-grid transition}
MOVE = LuaScript(
    "location_move",
    MOVE_LUA + """
local live = KEYS[1]
local cur = redis.call('HMGET', live, 'ts', 'seen', 'state', 'patrol', 'out_since', 'oog')
local sets = {}
local moved, transition, oog = move_live(KEYS[2], ARGV[1], cur, {unpack(ARGV, 2, 12)}, sets)
if #sets > 0 then redis.call('HSET', live, unpack(sets)) end
return {moved, cur[3] or '', cur[4] or '', oog, transition}
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
    #: Per record: STORED, ALREADY_THERE or STORED_AS_JUMP.
    codes: str
    moved: bool
    state: str
    patrol: str
    out_of_grid: bool
    previous_state: str
    transition: str
    #: The record (0-based) to move the live position to instead of the candidate, which
    #: was a jump; None when nothing else moves it.
    instead: int | None = None


def _flag(value: bool | None) -> str:
    return "" if value is None else ("1" if value else "0")


#: The candidate arguments of a message with no usable fix.
NO_CANDIDATE: tuple[Any, ...] = ("", 0, 0, "", "", 0, "", "", "", "", "")


def candidate_args(c: LiveCandidate | None, out_of_grid_ms: int,
                   charge: bool | None) -> list[Any]:
    """The candidate's arguments of the ingest and move scripts (see ``MOVE_LUA``)."""
    if c is None:
        return list(NO_CANDIDATE)
    inside = "" if c.inside is None else int(c.inside)
    return [c.ts, c.lon, c.lat, c.grid or "", inside, out_of_grid_ms, opt(c.acc),
            opt(c.speed), opt(c.heading), opt(c.batt), _flag(charge)]


@dataclass(frozen=True, slots=True)
class JumpRule:
    """The jump filter as the ingest script applies it."""

    max_speed_mps: float
    slack_m: float


@dataclass(frozen=True, slots=True)
class IngestCall(ScriptCall[IngestOutcome]):
    """A message's records (in time order) and newest usable fix, for one worker."""

    script: ClassVar[LuaScript] = INGEST
    live: str
    geo: str
    worker: str
    track_ttl_s: int
    heard_ms: int | None  # the newest fix heard (presence)
    fresh_after_ms: int  # a fix heard at or after this instant is fresh
    candidate: LiveCandidate | None
    charge: bool | None  # charging, when the phone says
    out_of_grid_ms: int
    tracks: tuple[str, ...]  # one track hash per local day
    records: bytes  # the packed records, in time order, back to back
    runs: tuple[tuple[int, int, int], ...]  # (index in tracks, bucket, records) in order
    jumps: JumpRule
    candidate_record: int | None = None  # the candidate's index in records

    def to_keys(self) -> list[str]:
        return [self.live, self.geo, *self.tracks]

    def to_argv(self) -> list[Any]:
        args: list[Any] = [self.worker, self.track_ttl_s, RECORD_SIZE,
                           len(self.records) // RECORD_SIZE,
                           opt(self.heard_ms), self.fresh_after_ms,
                           *candidate_args(self.candidate, self.out_of_grid_ms, self.charge),
                           self.jumps.max_speed_mps, self.jumps.slack_m,
                           0 if self.candidate_record is None else self.candidate_record + 1,
                           self.records]
        for index, bucket, count in self.runs:
            args += (FIRST_TRACK_KEY + index, bucket, count)
        return args

    def from_reply(self, reply: Any) -> IngestOutcome:
        codes, moved, state, patrol, oog, previous, transition, instead = reply
        return IngestOutcome(codes, moved == 1, state, patrol, oog == "1", previous,
                             transition, instead - 1 if instead else None)


@dataclass(frozen=True, slots=True)
class MoveCall(ScriptCall[IngestOutcome]):
    """Move the live position to a fix (the second step when the newest was a jump)."""

    script: ClassVar[LuaScript] = MOVE
    live: str
    geo: str
    worker: str
    candidate: LiveCandidate
    charge: bool | None
    out_of_grid_ms: int

    def to_keys(self) -> list[str]:
        return [self.live, self.geo]

    def to_argv(self) -> list[Any]:
        return [self.worker, *candidate_args(self.candidate, self.out_of_grid_ms, self.charge)]

    def from_reply(self, reply: Any) -> IngestOutcome:
        moved, state, patrol, oog, transition = reply
        return IngestOutcome("", moved == 1, state, patrol, oog == "1", state, transition)


@dataclass(frozen=True, slots=True)
class SetIfCall(ScriptCall[bool]):
    """Set ``field`` of a live hash while ``check`` holds ``expected``; replies whether set."""

    script: ClassVar[LuaScript] = SET_IF
    live: str
    check: str
    expected: str
    field: str
    value: str

    def to_keys(self) -> list[str]:
        return [self.live]

    def to_argv(self) -> list[Any]:
        return [self.check, self.expected, self.field, self.value]

    def from_reply(self, reply: Any) -> bool:
        return bool(reply)


#: Keys kept built (per worker, per worker-day) before the cache starts again.
KEYS_CACHED = 50_000
#: Geofence events kept per worker.
FENCE_EVENTS_KEPT = 100


@dataclass(frozen=True, slots=True)
class HeartbeatCall(ScriptCall["HeartbeatOutcome"]):
    script: ClassVar[LuaScript] = HEARTBEAT
    live: str
    heard_ms: int
    fresh_after_ms: int
    batt: float | None
    charge: bool | None

    def to_keys(self) -> list[str]:
        return [self.live]

    def to_argv(self) -> list[Any]:
        return [self.heard_ms, self.fresh_after_ms, opt(self.batt), _flag(self.charge)]

    def from_reply(self, reply: Any) -> HeartbeatOutcome:
        previous, state, power, *live = reply
        return HeartbeatOutcome(previous, state, power == 1,
                                dict(zip(("ts", "lat", "lon", "grid", "patrol", "oog"), live,
                                         strict=True)))


@dataclass(frozen=True, slots=True)
class FenceCall(ScriptCall[None]):
    script: ClassVar[LuaScript] = FENCE
    live: str
    fences: str
    event: dict[str, Any]
    kept: int
    ttl_s: int

    def to_keys(self) -> list[str]:
        return [self.live, self.fences]

    def to_argv(self) -> list[Any]:
        return [orjson.dumps(self.event), self.kept, self.ttl_s]

    def from_reply(self, reply: Any) -> None:
        return None


class LocationStore:
    def __init__(self, redis: Redis, keys: Keys, scripts: Scripts, *, track_ttl_s: int,
                 out_of_grid_ms: int) -> None:
        self.redis = redis
        self.keys = keys
        self.scripts = scripts
        self.track_ttl_s = track_ttl_s
        self.out_of_grid_ms = out_of_grid_ms
        # the keys of the ingest path, built once per worker (and day)
        self._geo = keys.loc_geo()
        self._lives: dict[str, str] = {}
        self._tracks: dict[tuple[str, str], str] = {}

    def _live_key(self, worker: str) -> str:
        key = self._lives.get(worker)
        if key is None:
            if len(self._lives) >= KEYS_CACHED:
                self._lives.clear()
            key = self._lives[worker] = self.keys.loc_live(worker)
        return key

    def _track_key(self, worker: str, day: str) -> str:
        key = self._tracks.get((worker, day))
        if key is None:
            if len(self._tracks) >= KEYS_CACHED:
                self._tracks.clear()
            key = self._tracks[worker, day] = self.keys.loc_track(worker, day)
        return key

    async def ingest(self, worker: str, records: bytes, runs: Sequence[tuple[str, int, int]],
                     *, heard_ms: int | None, fresh_after_ms: int, live: LiveCandidate | None,
                     jumps: JumpRule, live_item: int | None = None, charge: bool | None = None,
                     runner: ScriptRunner | None = None) -> IngestOutcome:
        """Store ``records`` (packed, in time order, in ``runs`` of (local day, bucket,
        count); those with flag OK judged for jumps against the worker's newest fix) and
        update the live position (``live``, the record ``live_item``), presence and
        geofence atomically (through ``runner`` when given: the web process's ingest
        connection)."""
        days: dict[str, int] = {}
        indexed = tuple((days.setdefault(day, len(days)), bucket, count)
                        for day, bucket, count in runs)
        call = IngestCall(self._live_key(worker), self._geo, worker, self.track_ttl_s,
                          heard_ms, fresh_after_ms, live, charge, self.out_of_grid_ms,
                          tuple(self._track_key(worker, day) for day in days), records,
                          indexed, jumps, live_item)
        return await (runner or self.scripts).run(call)

    async def move(self, worker: str, live: LiveCandidate, *, charge: bool | None = None,
                   runner: ScriptRunner | None = None) -> IngestOutcome:
        """Move the live position to ``live`` when it is newer than the one held."""
        k = self.keys
        return await (runner or self.scripts).run(MoveCall(
            k.loc_live(worker), k.loc_geo(), worker, live, charge, self.out_of_grid_ms))

    async def heartbeat(self, worker: str, *, heard_ms: int, fresh_after_ms: int,
                        batt: float | None, charge: bool | None,
                        runner: ScriptRunner | None = None) -> HeartbeatOutcome:
        """A report without a fix: presence, battery and charging; never the position."""
        return await (runner or self.scripts).run(HeartbeatCall(
            self.keys.loc_live(worker), heard_ms, fresh_after_ms, batt, charge))

    async def record_fence(self, worker: str, event: dict[str, Any]) -> None:
        """Keep a geofence event of the worker (and the newest in the live hash)."""
        await self.scripts.run(FenceCall(self.keys.loc_live(worker), self.keys.loc_fence(worker),
                                         event, FENCE_EVENTS_KEPT, self.track_ttl_s))

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
        return await self.scripts.run(SetIfCall(self.keys.loc_live(worker), check, expected,
                                                field, value))

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
