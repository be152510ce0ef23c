"""The Lua scripts of the alert store: raise, clear (a cause ended) and a person's action.

An alert is kept as its public JSON (one string key), so what a script writes is what
the screens, the API and the phones read. Each script changes the alert, its indexes
(groups, subjects, active and cleared sets) and its log, and announces the result (the
screen events stream, the station's channel, a worker member's phone) in one step.
Keys derived from an alert id at run time are built from the prefixes in ``cfg``.

cfg (ARGV[1], JSON): {prefix, id_prefix, log_suffix, station_prefix, user_prefix,
  maxlen (screen events), log_max (entries kept per alert), keep (cleared alerts kept),
  burst_ms, group_max (most raises a burst alert takes; the next starts another)}
"""

from __future__ import annotations

from dispatch.alerts.model import Severity
from dispatch.realtime.events import EMIT_LUA
from dispatch.scripts import LuaScript

_SEVERITY = "{" + ", ".join(f"{s.label} = {s.value}" for s in Severity) + "}"

# k: {groups, subjects, active, cleared, emit = {stream, seq, channel}}
ALERT_LUA = (
    EMIT_LUA
    + f"""
local SEVERITY = {_SEVERITY}
"""
    + """
local function load(cfg, id)
  local raw = redis.call('GET', cfg.prefix .. id)
  if not raw then return nil end
  return cjson.decode(raw)
end

local function log(cfg, id, entry)
  local key = cfg.prefix .. id .. cfg.log_suffix
  redis.call('RPUSH', key, cjson.encode(entry))
  redis.call('LTRIM', key, -cfg.log_max, -1)
end

local function as_event(a)
  local body = cjson.encode(a)
  return '{"type":"alert",' .. string.sub(body, 2)
end

-- The alert as one member's phone sees it: about them, cleared once their cause ended.
local function member_view(a, member)
  local copy = {}
  for name, value in pairs(a) do copy[name] = value end
  copy.subject = {worker = member}
  copy.members = nil
  if not a.members[member] then copy.state = 'cleared' end
  return '{"type":"alert",' .. string.sub(cjson.encode(copy), 2)
end

local function announce(cfg, k, a, members)
  local event = as_event(a)
  emit(k.emit[1], k.emit[2], k.emit[3], cfg.maxlen, event)
  if a.scope.station then
    redis.call('PUBLISH', cfg.station_prefix .. a.scope.station, event)
  end
  if a.subject.worker then
    for _, member in ipairs(members) do
      redis.call('PUBLISH', cfg.user_prefix .. member, member_view(a, member))
    end
  end
end

local function trim(cfg, k)
  local extra = redis.call('ZCARD', k.cleared) - cfg.keep
  if extra > 0 then
    local old = redis.call('ZPOPMIN', k.cleared, extra)
    for i = 1, #old, 2 do
      redis.call('DEL', cfg.prefix .. old[i], cfg.prefix .. old[i] .. cfg.log_suffix)
    end
  end
end

local function save(cfg, a)
  redis.call('SET', cfg.prefix .. a.id, cjson.encode(a))
end

local function finish(cfg, k, a, now, reason)
  a.state = 'cleared'
  a.cleared_ts = now
  a.reason = reason
  a.active = 0
  redis.call('ZREM', k.active, a.id)
  redis.call('ZADD', k.cleared, now, a.id)
  if redis.call('HGET', k.groups, a.group) == a.id then redis.call('HDEL', k.groups, a.group) end
end

-- A member's cause ended: the alert clears when it was the last one.
local function leave(cfg, k, a, member, now, reason)
  if a.members[member] then
    a.members[member] = false
    a.active = a.active - 1
  end
  log(cfg, a.id, {ts = now, action = 'clear', member = member, reason = reason})
  if a.active <= 0 and a.state ~= 'cleared' then finish(cfg, k, a, now, reason) end
  save(cfg, a)
  announce(cfg, k, a, {member})
  trim(cfg, k)
end
"""
)

# KEYS[1] groups hash, KEYS[2] subjects hash, KEYS[3] active set, KEYS[4] cleared set,
#   KEYS[5] alert id counter, KEYS[6] condition key (any key without a condition),
#   KEYS[7..9] screen events (stream, seq, channel)
# ARGV[1] cfg, ARGV[2] the raise: {kind, severity, owner, scope, subject, member, group,
#   bucket, data, now, by_subject}, ARGV[3] condition field ('' = none), ARGV[4] the value
#   it must hold
# A raise repeating a member's open cause in the same group changes nothing (a burst
# kind) or counts once more (a subject kind); in another group it moves the member there.
# A burst alert that took cfg.group_max raises takes no more: the next starts a new one.
# Returns {'raised'|'joined'|'repeat'|'skipped', id}
RAISE = LuaScript(
    "alert_raise",
    ALERT_LUA
    + """
local cfg = cjson.decode(ARGV[1])
local r = cjson.decode(ARGV[2])
local k = {groups = KEYS[1], subjects = KEYS[2], active = KEYS[3], cleared = KEYS[4],
           emit = {KEYS[7], KEYS[8], KEYS[9]}}
if ARGV[3] ~= '' and redis.call('HGET', KEYS[6], ARGV[3]) ~= ARGV[4] then
  return {'skipped', ''}
end
local now = r.now
local sfield = r.kind .. '|' .. r.member
local a = nil
local prior = redis.call('HGET', KEYS[2], sfield)
if prior then
  local p = load(cfg, prior)
  if p and p.state ~= 'cleared' and p.members[r.member] then
    if p.group == r.group then
      if not r.by_subject then return {'repeat', prior} end
      a = p
    else
      leave(cfg, k, p, r.member, now, 'superseded')
    end
  end
end
if not a then
  local gid = redis.call('HGET', KEYS[1], r.group)
  if gid then
    local g = load(cfg, gid)
    if g and g.state ~= 'cleared' and (r.by_subject or (now - g.last_ts <= cfg.burst_ms
                                                        and g.count < cfg.group_max)) then
      a = g
    end
  end
end
local outcome
if a then
  outcome = 'joined'
  a.count = a.count + 1
  if not a.members[r.member] then
    a.members[r.member] = true
    a.active = a.active + 1
  end
  if a.state == 'acked' then a.state = 'open' end
  if now > a.last_ts then a.last_ts = now end
  if now < a.first_ts then a.first_ts = now end
  if SEVERITY[r.severity] > SEVERITY[a.severity] then a.severity = r.severity end
  a.subject = r.subject
  a.data = r.data
  if r.by_subject then
    a.owner = r.owner
    a.scope = r.scope
  else
    for _, part in ipairs({'station', 'department'}) do
      if a.scope[part] and a.scope[part] ~= r.scope[part] then a.scope[part] = nil end
    end
  end
else
  outcome = 'raised'
  local id = cfg.id_prefix .. redis.call('INCR', KEYS[5])
  a = {id = id, kind = r.kind, severity = r.severity, owner = r.owner, scope = r.scope,
       subject = r.subject, state = 'open', count = 1, active = 1, first_ts = now,
       last_ts = now, members = {[r.member] = true}, group = r.group, data = r.data}
  if r.bucket ~= '' then a.bucket = r.bucket end
  redis.call('HSET', KEYS[1], r.group, id)
end
redis.call('HSET', KEYS[2], sfield, a.id)
redis.call('ZADD', KEYS[3], a.last_ts, a.id)
log(cfg, a.id, {ts = now, action = 'raise', member = r.member})
save(cfg, a)
announce(cfg, k, a, {r.member})
return {outcome, a.id}
""",
)

# KEYS[1] groups hash, KEYS[2] subjects hash, KEYS[3] active set, KEYS[4] cleared set,
#   KEYS[5] condition key, KEYS[6..8] screen events
# ARGV[1] cfg, ARGV[2] {kinds, member, now, reason}, ARGV[3] condition field ('' = none),
#   ARGV[4] a value: nothing clears while the field holds it
# Returns the ids of the alerts the member left.
CLEAR = LuaScript(
    "alert_clear",
    ALERT_LUA
    + """
local cfg = cjson.decode(ARGV[1])
local c = cjson.decode(ARGV[2])
local k = {groups = KEYS[1], subjects = KEYS[2], active = KEYS[3], cleared = KEYS[4],
           emit = {KEYS[6], KEYS[7], KEYS[8]}}
if ARGV[3] ~= '' and redis.call('HGET', KEYS[5], ARGV[3]) == ARGV[4] then return {} end
local out = {}
for _, kind in ipairs(c.kinds) do
  local sfield = kind .. '|' .. c.member
  local id = redis.call('HGET', KEYS[2], sfield)
  if id then
    redis.call('HDEL', KEYS[2], sfield)
    local a = load(cfg, id)
    if a and a.state ~= 'cleared' and a.members[c.member] then
      leave(cfg, k, a, c.member, c.now, c.reason)
      out[#out + 1] = id
    end
  end
end
return out
""",
)

# KEYS[1] groups hash, KEYS[2] subjects hash, KEYS[3] active set, KEYS[4] cleared set,
#   KEYS[5..7] screen events
# ARGV[1] cfg, ARGV[2] {id, action ('ack'|'resolve'), sources, by, note, now}
# Returns {'ok', alert JSON} | {'missing'} | {'state', state}
ACT = LuaScript(
    "alert_act",
    ALERT_LUA
    + """
local cfg = cjson.decode(ARGV[1])
local c = cjson.decode(ARGV[2])
local k = {groups = KEYS[1], subjects = KEYS[2], active = KEYS[3], cleared = KEYS[4],
           emit = {KEYS[5], KEYS[6], KEYS[7]}}
local a = load(cfg, c.id)
if not a then return {'missing'} end
local allowed = false
for _, state in ipairs(c.sources) do
  if state == a.state then allowed = true end
end
if not allowed then return {'state', a.state} end
local entry = {ts = c.now, by = c.by, action = c.action}
if c.note ~= '' then
  entry.note = c.note
  a.note = c.note
end
local told = {}
if c.action == 'ack' then
  a.state = 'acked'
  a.acked_by = c.by
  a.acked_ts = c.now
else
  for member, on in pairs(a.members) do
    if on then
      local sfield = a.kind .. '|' .. member
      if redis.call('HGET', KEYS[2], sfield) == a.id then redis.call('HDEL', KEYS[2], sfield) end
      a.members[member] = false
      told[#told + 1] = member
    end
  end
  a.resolved_by = c.by
  a.resolved_ts = c.now
  finish(cfg, k, a, c.now, 'resolved')
end
log(cfg, a.id, entry)
save(cfg, a)
announce(cfg, k, a, told)
trim(cfg, k)
return {'ok', cjson.encode(a)}
""",
)

SCRIPTS = (RAISE, CLEAR, ACT)
