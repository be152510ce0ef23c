"""The Lua scripts of the case store: one atomic step per report, transition and timer batch.

Reports and transitions: Python decides everything (lifecycle.py, plan.py) and hands the
script a plan (JSON) whose messages already carry the case's summary as it will be; the
script only checks that the case is still as Python read it, then writes everything at
once: fields, timeline, indexes, timers, offers, socket messages and the screen event.

Timers: ``FIRE_DUE`` is the one script with case logic, the twin of ``Planner.fire``,
kept in Lua because the clock must fire thousands a second (planning each in Python
costs about 190 us of CPU against 8 us here: bench_clock). Every name it uses (states,
lights, timer kinds, actions, messages, notify levels, summary fields) is generated from
the Python definitions below, the channels it may tell are passed fully built, and the
parity tests (tests/cases/test_cases_parity.py) hold it to ``Planner.fire`` and
``Case.summary`` for every timer, light and state.

Every key touched carries the street's hash tag; the keys of a case found at run time
(a due timer's case, the original of a duplicate) are built from a prefix passed in ARGV.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import orjson

from dispatch.cases.model import NUMERIC_FIELDS, SUMMARY_FIELDS
from dispatch.cases.parts import OPEN_PART_STATES, PARTS_FIELD
from dispatch.cases.plan import JOB_UPDATED, SYSTEM, TIMER_ACTIONS, TIMER_MESSAGES, Plan
from dispatch.cases.states import OPEN_STATES, RUNNING_STATES
from dispatch.cases.timers import SEPARATOR, Timer, TimerKind
from dispatch.realtime.events import EMIT_LUA
from dispatch.rules import Light, Notify
from dispatch.scripts import LuaScript, ScriptCall


def _lua_set(values: frozenset[str]) -> str:
    return "{" + ", ".join(f"['{v}'] = true" for v in sorted(values)) + "}"


def _lua_list(values: tuple[str, ...]) -> str:
    return "{" + ", ".join(f"'{v}'" for v in values) + "}"


def _lua_map(values: dict[str, str]) -> str:
    return "{" + ", ".join(f"['{k}'] = '{v}'" for k, v in sorted(values.items())) + "}"


# apply(case_key, timeline_key, plan, emit_keys, maxlen): write a plan.
#   plan: {now, set = {field = value}, del = [field], timeline = [json],
#          zadd = [[key, score, member]], zrem = [[key, member]],
#          geoadd = [[key, lon, lat, member]], hset = [[key, field, value]],
#          rpush = [[key, value]], hincrby = [[key, field, n]] (other cases' timelines),
#          sadd = [[key, member]],
#          publish = [[channel, message json]], emit = screen event json | false}
CASE_LUA = (
    EMIT_LUA
    + f"""
local OPEN = {_lua_set(frozenset(s.value for s in OPEN_STATES))}
"""
    + """
local function apply(case_key, timeline_key, plan, emit_keys, maxlen)
  local flat = {}
  for name, value in pairs(plan.set) do
    flat[#flat + 1] = name
    flat[#flat + 1] = value
  end
  if #flat > 0 then redis.call('HSET', case_key, unpack(flat)) end
  if #plan.del > 0 then redis.call('HDEL', case_key, unpack(plan.del)) end
  redis.call('HINCRBY', case_key, 'ver', 1)
  for _, entry in ipairs(plan.timeline) do redis.call('RPUSH', timeline_key, entry) end
  for _, z in ipairs(plan.zrem) do redis.call('ZREM', z[1], z[2]) end
  for _, z in ipairs(plan.zadd) do redis.call('ZADD', z[1], z[2], z[3]) end
  for _, g in ipairs(plan.geoadd) do redis.call('GEOADD', g[1], g[2], g[3], g[4]) end
  for _, h in ipairs(plan.hset) do redis.call('HSET', h[1], h[2], h[3]) end
  for _, r in ipairs(plan.rpush or {}) do redis.call('RPUSH', r[1], r[2]) end
  for _, h in ipairs(plan.hincrby or {}) do redis.call('HINCRBY', h[1], h[2], h[3]) end
  for _, m in ipairs(plan.sadd or {}) do redis.call('SADD', m[1], m[2]) end
  for _, p in ipairs(plan.publish) do redis.call('PUBLISH', p[1], p[2]) end
  if plan.emit then emit(emit_keys[1], emit_keys[2], emit_keys[3], maxlen, plan.emit) end
end
"""
)

# KEYS[1] case hash, KEYS[2] its timeline, KEYS[3..5] screen events (stream, seq, channel)
# ARGV[1] plan (JSON, see CASE_LUA) with `states` (allowed from-states) and `ver` (the
#   version Python read), ARGV[2] events stream maxlen
# Returns {'ok'} | {'missing'} | {'state', state, assignee} | {'stale'}
TRANSITION = LuaScript(
    "case_transition",
    CASE_LUA
    + """
local plan = cjson.decode(ARGV[1])
local current = redis.call('HMGET', KEYS[1], 'state', 'ver', 'assignee')
if not current[1] then return {'missing'} end
local allowed = false
for _, state in ipairs(plan.states) do
  if state == current[1] then allowed = true end
end
if not allowed then return {'state', current[1], current[3] or ''} end
if tonumber(current[2]) ~= plan.ver then return {'stale'} end
apply(KEYS[1], KEYS[2], plan, {KEYS[3], KEYS[4], KEYS[5]}, ARGV[2])
return {'ok'}
""",
)

# KEYS[1] new case hash, KEYS[2] its timeline, KEYS[3] client id map, KEYS[4] GEO set of
#   the item's open cases, KEYS[5..7] screen events (stream, seq, channel)
# ARGV[1] client map field, ARGV[2] new case id, ARGV[3] body fingerprint,
#   ARGV[4] plan when new, ARGV[5] plan when a duplicate (its `emit_case`: the summary,
#   given the original's id as `duplicate_of` here), ARGV[6] lon, ARGV[7] lat,
#   ARGV[8] duplicate radius m (0: off), ARGV[9] oldest creation time a duplicate
#   may follow, ARGV[10] case key prefix (+id = case hash), ARGV[11] timeline key
#   suffix, ARGV[12] now, ARGV[13] reporter, ARGV[14] events stream maxlen
# Returns {'created', id, duplicate_of or ''} | {'exists', id, fingerprint}
REPORT = LuaScript(
    "case_report",
    CASE_LUA
    + """
local prior = redis.call('HGET', KEYS[3], ARGV[1])
if prior then
  local sep = string.find(prior, '|', 1, true)
  return {'exists', string.sub(prior, 1, sep - 1), string.sub(prior, sep + 1)}
end
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2] .. '|' .. ARGV[3])
local now = tonumber(ARGV[12])
local original = nil
if tonumber(ARGV[8]) > 0 then
  local near = redis.call('GEOSEARCH', KEYS[4], 'FROMLONLAT', ARGV[6], ARGV[7],
                          'BYRADIUS', ARGV[8], 'm', 'ASC')
  for _, id in ipairs(near) do
    local c = redis.call('HMGET', ARGV[10] .. id, 'state', 'created')
    if c[1] and OPEN[c[1]] and tonumber(c[2]) >= tonumber(ARGV[9]) then
      original = id
      break
    end
  end
end
local plan
if original then
  plan = cjson.decode(ARGV[5])
  plan.set.duplicate_of = original
  if plan.emit_case then
    plan.emit_case.duplicate_of = original
    plan.emit = cjson.encode({type = 'case', case = plan.emit_case})
  end
  plan.timeline[#plan.timeline + 1] = cjson.encode({ts = now, by = 'system',
    action = 'duplicate', from = 'reported', to = 'duplicate', duplicate_of = original})
  local okey = ARGV[10] .. original
  local ostate = redis.call('HGET', okey, 'state')
  redis.call('RPUSH', okey .. ARGV[11], cjson.encode({ts = now, by = ARGV[13],
    action = 'duplicate_reported', from = ostate, to = ostate, case = ARGV[2]}))
  redis.call('HINCRBY', okey, 'duplicates', 1)
  redis.call('HINCRBY', okey, 'ver', 1)
else
  plan = cjson.decode(ARGV[4])
end
apply(KEYS[1], KEYS[2], plan, {KEYS[5], KEYS[6], KEYS[7]}, ARGV[14])
return {'created', ARGV[2], original or ''}
""",
)

# summary(case_key, now) -> table: Case.summary, from the stored hash.
# encode(table) -> JSON: cjson.encode, with an empty `parts` as the list it is.
SUMMARY_LUA = f"""
local SUMMARY_FIELDS = {_lua_list(SUMMARY_FIELDS)}
local NUMERIC = {_lua_set(NUMERIC_FIELDS)}
local RUNNING = {_lua_set(frozenset(s.value for s in RUNNING_STATES))}
local PART_OPEN = {_lua_set(frozenset(s.value for s in OPEN_PART_STATES))}
local PARTS_FIELD = '{PARTS_FIELD}'
local GREEN, YELLOW, RED = '{Light.GREEN}', '{Light.YELLOW}', '{Light.RED}'
""" + """
local function light_of(now, yellow_at, deadline)
  if now >= deadline then return RED
  elseif now >= yellow_at then return YELLOW end
  return GREEN
end

local function parts_of(raw, running, now)
  local out = {}
  if not raw or raw == '' then return out end
  for _, p in ipairs(cjson.decode(raw)) do
    local light = p.light
    if PART_OPEN[p.state] and running and type(p.deadline) == 'number'
        and type(p.yellow_at) == 'number' then
      light = light_of(now, p.yellow_at, p.deadline)
    end
    out[#out + 1] = {department = p.department, state = p.state, assignee = p.assignee,
                     deadline = p.deadline, light = light}
  end
  return out
end

local function encode(t)
  return (string.gsub(cjson.encode(t), '"parts":{}', '"parts":[]'))
end

local function summary(case_key, now)
  local values = redis.call('HMGET', case_key, unpack(SUMMARY_FIELDS))
  local s = {}
  for i, name in ipairs(SUMMARY_FIELDS) do
    local v = values[i]
    if v == false or v == nil or v == '' then
      s[name] = cjson.null
    elseif NUMERIC[name] then
      s[name] = tonumber(v)
    else
      s[name] = v
    end
  end
  if RUNNING[s.state] and s.deadline ~= cjson.null and s.yellow_at ~= cjson.null then
    s.light = light_of(now, s.yellow_at, s.deadline)
  elseif s.light == cjson.null then
    s.light = GREEN
  end
  s.parts = parts_of(redis.call('HGET', case_key, PARTS_FIELD), RUNNING[s.state], now)
  return s
end
"""

# KEYS[1] timers sorted set, KEYS[2] departments hash (for a department's lead),
#   KEYS[3..5] screen events (stream, seq, channel)
# ARGV[1] now, ARGV[2] most timers to fire, ARGV[3] case key prefix, ARGV[4] timeline
#   key suffix, ARGV[5] user channel prefix, ARGV[6] department channel prefix,
#   ARGV[7] the desk's channel, ARGV[8] late after this many ms, ARGV[9] events maxlen,
#   ARGV[10] the leadership's channels (JSON list), ARGV[11] '1': reply the fired cases'
#   hashes too (what the observers read; no second round trip)
# Every timer due at `now` is removed and, when its case still runs on the same clock
# generation, fired as Planner.fire says: light or escalation level set, timeline entry,
# job.warning or job.overdue to the holder (else the department, else the desk),
# job.updated to the department, the escalation's target, the screen event.
# Returns {rows, hashes}: rows a flat list (member, outcome ('fired'|'skipped'), late ms,
#   ...), hashes a flat list (case id, its HGETALL once every timer fired, ...) or empty.
FIRE_DUE = LuaScript(
    "case_fire_due",
    EMIT_LUA + SUMMARY_LUA + f"""
local ACTION = {_lua_map({k.value: v for k, v in TIMER_ACTIONS.items()})}
local MESSAGE = {_lua_map({k.value: v for k, v in TIMER_MESSAGES.items()})}
local KIND_YELLOW, KIND_RED = '{TimerKind.YELLOW}', '{TimerKind.RED}'
local KIND_ESC = '{TimerKind.ESCALATE}'
local NOTIFY_LEAD, NOTIFY_LEADERSHIP = '{Notify.LEAD}', '{Notify.LEADERSHIP}'
local SYSTEM, JOB_UPDATED = '{SYSTEM}', '{JOB_UPDATED}'
local MEMBER = '^([^{SEPARATOR}]+){SEPARATOR}([^{SEPARATOR}]+){SEPARATOR}([^{SEPARATOR}]+)'
  .. '{SEPARATOR}([^{SEPARATOR}]+)$'
""" + """
local now = tonumber(ARGV[1])
local late_after = tonumber(ARGV[8])
local emit_keys = {KEYS[3], KEYS[4], KEYS[5]}
local leadership = cjson.decode(ARGV[10])

local function nth(csv, n)
  local i = 0
  for v in string.gmatch(csv or '', '[^,]+') do
    i = i + 1
    if i == n then return v end
  end
  return nil
end

local function escalation_channels(department, notify)
  if notify == NOTIFY_LEAD and department and department ~= '' then
    local raw = redis.call('HGET', KEYS[2], department)
    if raw then
      local lead = cjson.decode(raw).lead
      if type(lead) == 'string' and lead ~= '' then return {ARGV[5] .. lead} end
    end
  end
  if notify == NOTIFY_LEADERSHIP then return leadership end
  return {ARGV[7]}
end

local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, ARGV[2],
                       'WITHSCORES')
local out, cases, seen = {}, {}, {}
for i = 1, #due, 2 do
  local member, at = due[i], tonumber(due[i + 1])
  redis.call('ZREM', KEYS[1], member)
  local id, kind, level, gen = string.match(member, MEMBER)
  local key = ARGV[3] .. (id or '')
  local c = id and redis.call('HMGET', key, 'state', 'gen', 'department', 'assignee',
                                   'light', 'esc_notify')
  if not c or not c[1] or not RUNNING[c[1]] or c[2] ~= gen or not ACTION[kind] then
    out[#out + 1] = member; out[#out + 1] = 'skipped'; out[#out + 1] = 0
  else
    local late = now - at
    local entry = {ts = now, by = SYSTEM, action = ACTION[kind], from = c[1], to = c[1],
                   due = at}
    local message = {type = MESSAGE[kind], kind = kind}
    if kind == KIND_YELLOW then
      if c[5] ~= RED then redis.call('HSET', key, 'light', YELLOW) end
      entry.light = YELLOW
    elseif kind == KIND_RED then
      redis.call('HSET', key, 'light', RED)
      entry.light = RED
    else
      redis.call('HSET', key, 'escalation_level', level, 'light', RED)
      entry.level = tonumber(level)
      entry.notify = nth(c[6], tonumber(level))
      message.level = entry.level
      message.notify = entry.notify
    end
    if late > late_after then
      entry.late_ms = late
      message.late_ms = late
    end
    redis.call('HINCRBY', key, 'ver', 1)
    redis.call('RPUSH', key .. ARGV[4], cjson.encode(entry))
    -- the summary encoded once, in each message that carries it
    local case_json = encode(summary(key, now))
    local encoded = string.sub(cjson.encode(message), 1, -2) .. ',"case":' .. case_json .. '}'
    local target
    if c[4] and c[4] ~= '' then target = ARGV[5] .. c[4]
    elseif c[3] and c[3] ~= '' then target = ARGV[6] .. c[3]
    else target = ARGV[7] end
    redis.call('PUBLISH', target, encoded)
    if c[4] and c[4] ~= '' and c[3] and c[3] ~= '' then
      redis.call('PUBLISH', ARGV[6] .. c[3],
                 '{"type":"' .. JOB_UPDATED .. '","case":' .. case_json .. '}')
    end
    if kind == KIND_ESC then
      for _, channel in ipairs(escalation_channels(c[3], entry.notify)) do
        if channel ~= target then redis.call('PUBLISH', channel, encoded) end
      end
    end
    emit(emit_keys[1], emit_keys[2], emit_keys[3], ARGV[9],
         '{"type":"case","case":' .. case_json .. '}')
    out[#out + 1] = member; out[#out + 1] = 'fired'; out[#out + 1] = late
    if ARGV[11] == '1' and not seen[id] then
      seen[id] = true
      cases[#cases + 1] = id
    end
  end
end
local hashes = {}
for _, id in ipairs(cases) do
  hashes[#hashes + 1] = id
  hashes[#hashes + 1] = redis.call('HGETALL', ARGV[3] .. id)
end
return {out, hashes}
""",
)

# KEYS[1] the whistles' due set
# ARGV[1] now, ARGV[2] most to take
# Takes every whistle whose limit passed off the set; returns their members.
WHISTLES_DUE = LuaScript(
    "case_whistles_due",
    """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
for _, member in ipairs(due) do redis.call('ZREM', KEYS[1], member) end
return due
""",
)

SCRIPTS = (TRANSITION, REPORT, FIRE_DUE, WHISTLES_DUE)


@dataclass(frozen=True, slots=True)
class WhistlesDueCall(ScriptCall[list[str]]):
    script: ClassVar[LuaScript] = WHISTLES_DUE
    whistles: str
    now_ms: int
    limit: int

    def to_keys(self) -> list[str]:
        return [self.whistles]

    def to_argv(self) -> list[Any]:
        return [self.now_ms, self.limit]

    def from_reply(self, reply: Any) -> list[str]:
        return [str(m) for m in reply]


@dataclass(frozen=True, slots=True)
class EventKeys:
    """Where a script emits the screen event: stream, seq counter, channel."""

    stream: str
    seq: str
    channel: str

    def as_list(self) -> list[str]:
        return [self.stream, self.seq, self.channel]


@dataclass(frozen=True)
class Applied:
    """What a transition script did: ``ok``, or why not (``missing``, ``state``, ``stale``)."""

    outcome: str
    state: str | None = None
    assignee: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


@dataclass(frozen=True, slots=True)
class TransitionCall(ScriptCall[Applied]):
    script: ClassVar[LuaScript] = TRANSITION
    case: str
    timeline: str
    events: EventKeys
    plan: Plan
    maxlen: int

    def to_keys(self) -> list[str]:
        return [self.case, self.timeline, *self.events.as_list()]

    def to_argv(self) -> list[Any]:
        return [self.plan.to_json(), self.maxlen]

    def from_reply(self, reply: Any) -> Applied:
        if reply[0] == "state":
            return Applied("state", reply[1], reply[2] or None)
        return Applied(reply[0])


@dataclass(frozen=True)
class Reported:
    """What the report script did: created a case (maybe a duplicate) or found the first one."""

    case_id: str
    created: bool
    duplicate_of: str | None = None
    fingerprint: str | None = None  # of the first report, when not created


@dataclass(frozen=True, slots=True)
class ReportCall(ScriptCall[Reported]):
    """A new report: the plan when it is new, and the plan when it repeats an open case of
    the same item within ``radius_m`` created at or after ``since_ms``."""

    script: ClassVar[LuaScript] = REPORT
    case: str
    timeline: str
    client_ids: str
    near: str  # GEO set of the item's open cases
    events: EventKeys
    client_field: str
    case_id: str
    fingerprint: str
    new: Plan
    duplicate: Plan
    lon: float
    lat: float
    radius_m: float
    since_ms: int
    case_prefix: str  # + a case id: its hash
    timeline_suffix: str  # case hash + this: its timeline
    reporter: str
    maxlen: int

    def to_keys(self) -> list[str]:
        return [self.case, self.timeline, self.client_ids, self.near, *self.events.as_list()]

    def to_argv(self) -> list[Any]:
        return [self.client_field, self.case_id, self.fingerprint, self.new.to_json(),
                self.duplicate.to_json(), repr(self.lon), repr(self.lat), self.radius_m,
                self.since_ms, self.case_prefix, self.timeline_suffix, self.new.now,
                self.reporter, self.maxlen]

    def from_reply(self, reply: Any) -> Reported:
        if reply[0] == "exists":
            return Reported(reply[1], False, fingerprint=reply[2])
        return Reported(reply[1], True, reply[2] or None)


@dataclass(frozen=True)
class Fired:
    """One due timer taken off the set: applied (``fired``) or dropped (``skipped``)."""

    timer: Timer | None
    member: str
    fired: bool
    late_ms: int


FIRED = "fired"
FIRE_ROW = 3  # member, outcome, late ms


@dataclass(frozen=True)
class FiredStep:
    """A timer step: each due timer taken off the set, and (when asked) the hash of each
    case one fired on, as it is after the step."""

    fired: list[Fired]
    cases: dict[str, dict[str, str]]


@dataclass(frozen=True, slots=True)
class FireDueCall(ScriptCall[FiredStep]):
    script: ClassVar[LuaScript] = FIRE_DUE
    timers: str
    departments: str
    events: EventKeys
    now_ms: int
    limit: int
    case_prefix: str
    timeline_suffix: str
    user_channel_prefix: str
    department_channel_prefix: str
    desk_channel: str
    leadership_channels: tuple[str, ...]
    late_ms: int
    maxlen: int
    with_cases: bool = False

    def to_keys(self) -> list[str]:
        return [self.timers, self.departments, *self.events.as_list()]

    def to_argv(self) -> list[Any]:
        return [self.now_ms, self.limit, self.case_prefix, self.timeline_suffix,
                self.user_channel_prefix, self.department_channel_prefix, self.desk_channel,
                self.late_ms, self.maxlen, orjson.dumps(self.leadership_channels),
                "1" if self.with_cases else ""]

    def from_reply(self, reply: Any) -> FiredStep:
        rows, hashes = reply
        fired = []
        for i in range(0, len(rows), FIRE_ROW):
            member, outcome, late = rows[i:i + FIRE_ROW]
            try:
                timer: Timer | None = Timer.parse(member)
            except ValueError:
                timer = None
            fired.append(Fired(timer, member, outcome == FIRED, int(late)))
        cases = {}
        for i in range(0, len(hashes), 2):
            flat = iter(hashes[i + 1])
            cases[hashes[i]] = dict(zip(flat, flat, strict=True))
        return FiredStep(fired, cases)
