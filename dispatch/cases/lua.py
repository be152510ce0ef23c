"""The Lua scripts of the case store: one atomic step per report, transition and timer batch.

Python validates and computes everything first and hands the script a plan (JSON);
the script checks the case is still as Python read it, then writes everything at once:
fields, timeline, indexes, timers, offers, socket messages and the screen event.
Every key touched carries the street's hash tag; keys the script derives from a case
id found at run time are built from a prefix passed in ARGV.
"""

from __future__ import annotations

from dispatch.cases.model import NUMERIC_FIELDS, SUMMARY_FIELDS
from dispatch.cases.states import OPEN_STATES, RUNNING_STATES
from dispatch.realtime.events import EMIT_LUA
from dispatch.scripts import LuaScript


def _lua_list(values: tuple[str, ...]) -> str:
    return "{" + ", ".join(f"'{v}'" for v in values) + "}"


def _lua_set(values: frozenset[str]) -> str:
    return "{" + ", ".join(f"['{v}'] = true" for v in sorted(values)) + "}"


# summary(case_key, now) -> table: the case's summary (model.Case.summary in Python).
# apply(case_key, timeline_key, plan, emit_keys, maxlen) -> summary after the writes.
#   plan: {now, set = {field = value}, del = [field], timeline = [json],
#          zadd = [[key, score, member]], zrem = [[key, member]],
#          geoadd = [[key, lon, lat, member]], hset = [[key, field, value]],
#          rpush = [[key, value]], hincrby = [[key, field, n]] (other cases' timelines),
#          sadd = [[key, member]], publish = [[channel, message, with_summary]], emit = bool}
CASE_LUA = (
    EMIT_LUA
    + f"""
local SUMMARY_FIELDS = {_lua_list(SUMMARY_FIELDS)}
local NUMERIC = {_lua_set(NUMERIC_FIELDS)}
local RUNNING = {_lua_set(frozenset(s.value for s in RUNNING_STATES))}
local OPEN = {_lua_set(frozenset(s.value for s in OPEN_STATES))}
"""
    + """
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
    if now >= s.deadline then s.light = 'red'
    elseif now >= s.yellow_at then s.light = 'yellow'
    else s.light = 'green' end
  elseif s.light == cjson.null then
    s.light = 'green'
  end
  return s
end

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
  local s = summary(case_key, plan.now)
  for _, p in ipairs(plan.publish) do
    local message = p[2]
    if p[3] then message.case = s end
    redis.call('PUBLISH', p[1], cjson.encode(message))
  end
  if plan.emit then
    emit(emit_keys[1], emit_keys[2], emit_keys[3], maxlen,
         cjson.encode({type = 'case', case = s}))
  end
  return s
end
"""
)

# KEYS[1] case hash, KEYS[2] its timeline, KEYS[3..5] screen events (stream, seq, channel)
# ARGV[1] plan (JSON, see CASE_LUA) with `states` (allowed from-states) and `ver`
#   (the version Python read), ARGV[2] events stream maxlen
# Returns {'ok', summary JSON} | {'missing'} | {'state', state, assignee} | {'stale'}
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
local s = apply(KEYS[1], KEYS[2], plan, {KEYS[3], KEYS[4], KEYS[5]}, ARGV[2])
return {'ok', cjson.encode(s)}
""",
)

# KEYS[1] new case hash, KEYS[2] its timeline, KEYS[3] client id map, KEYS[4] GEO set of
#   the item's open cases, KEYS[5..7] screen events (stream, seq, channel)
# ARGV[1] client map field, ARGV[2] new case id, ARGV[3] body fingerprint,
#   ARGV[4] plan when new, ARGV[5] plan when a duplicate, ARGV[6] lon, ARGV[7] lat,
#   ARGV[8] duplicate radius m (0: off), ARGV[9] oldest creation time a duplicate
#   may follow, ARGV[10] case key prefix (+id = case hash), ARGV[11] timeline key
#   suffix, ARGV[12] now, ARGV[13] reporter, ARGV[14] events stream maxlen
# Returns {'created', id, duplicate_of or '', summary JSON} | {'exists', id, fingerprint}
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
local s = apply(KEYS[1], KEYS[2], plan, {KEYS[5], KEYS[6], KEYS[7]}, ARGV[14])
return {'created', ARGV[2], original or '', cjson.encode(s)}
""",
)

# KEYS[1] timers sorted set, KEYS[2] departments hash (for a department's lead),
#   KEYS[3..5] screen events (stream, seq, channel)
# ARGV[1] now, ARGV[2] most timers to fire, ARGV[3] case key prefix, ARGV[4] timeline
#   key suffix, ARGV[5] user channel prefix, ARGV[6] department channel prefix,
#   ARGV[7] role channel prefix, ARGV[8] late after this many ms, ARGV[9] events maxlen
# Every timer due at `now` is removed and, when its case still runs on the same clock
# generation, applied: light or escalation level set, timeline entry, job.warning or
# job.overdue to the holder (else the department), job.updated to the department, the
# escalation's target, the screen event.
# Returns a flat list: member, outcome ('fired'|'skipped'), late ms, ...
FIRE_DUE = LuaScript(
    "case_fire_due",
    CASE_LUA
    + """
local now = tonumber(ARGV[1])
local late_after = tonumber(ARGV[8])
local emit_keys = {KEYS[3], KEYS[4], KEYS[5]}
local ACTION = {yellow = 'light', red = 'overdue', esc = 'escalated'}
local MESSAGE = {yellow = 'job.warning', red = 'job.overdue', esc = 'job.overdue'}

local function nth(csv, n)
  local i = 0
  for v in string.gmatch(csv or '', '[^,]+') do
    i = i + 1
    if i == n then return v end
  end
  return nil
end

local function escalation_channels(department, notify)
  if notify == 'lead' and department and department ~= '' then
    local raw = redis.call('HGET', KEYS[2], department)
    if raw then
      local lead = cjson.decode(raw).lead
      if type(lead) == 'string' and lead ~= '' then return {ARGV[5] .. lead} end
    end
  end
  if notify == 'leadership' then return {ARGV[7] .. 'dispatcher', ARGV[7] .. 'admin'} end
  return {ARGV[7] .. 'dispatcher'}
end

local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, ARGV[2],
                       'WITHSCORES')
local out = {}
for i = 1, #due, 2 do
  local member, at = due[i], tonumber(due[i + 1])
  redis.call('ZREM', KEYS[1], member)
  local id, kind, level, gen = string.match(member, '^([^|]+)|([^|]+)|([^|]+)|([^|]+)$')
  local key = ARGV[3] .. (id or '')
  local c = id and redis.call('HMGET', key, 'state', 'gen', 'department', 'assignee',
                                   'light', 'esc_notify')
  if not c or not c[1] or not RUNNING[c[1]] or c[2] ~= gen or not ACTION[kind] then
    out[#out + 1] = member; out[#out + 1] = 'skipped'; out[#out + 1] = 0
  else
    local late = now - at
    local entry = {ts = now, by = 'system', action = ACTION[kind], from = c[1], to = c[1],
                   due = at}
    local message = {type = MESSAGE[kind], kind = kind}
    if kind == 'yellow' then
      if c[5] ~= 'red' then redis.call('HSET', key, 'light', 'yellow') end
      entry.light = 'yellow'
    elseif kind == 'red' then
      redis.call('HSET', key, 'light', 'red')
      entry.light = 'red'
    else
      redis.call('HSET', key, 'escalation_level', level, 'light', 'red')
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
    local s = summary(key, now)
    message.case = s
    local encoded = cjson.encode(message)
    local target
    if c[4] and c[4] ~= '' then target = ARGV[5] .. c[4]
    elseif c[3] and c[3] ~= '' then target = ARGV[6] .. c[3]
    else target = ARGV[7] .. 'dispatcher' end
    redis.call('PUBLISH', target, encoded)
    if c[4] and c[4] ~= '' and c[3] and c[3] ~= '' then
      redis.call('PUBLISH', ARGV[6] .. c[3], cjson.encode({type = 'job.updated', case = s}))
    end
    if kind == 'esc' then
      for _, channel in ipairs(escalation_channels(c[3], entry.notify)) do
        if channel ~= target then redis.call('PUBLISH', channel, encoded) end
      end
    end
    emit(emit_keys[1], emit_keys[2], emit_keys[3], ARGV[9],
         cjson.encode({type = 'case', case = s}))
    out[#out + 1] = member; out[#out + 1] = 'fired'; out[#out + 1] = late
  end
end
return out
""",
)

SCRIPTS = (TRANSITION, REPORT, FIRE_DUE)
