"""The Lua scripts of the alert store: a batch of raises and clears (a cause ended), and a
person's action.

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
# One run of a script decodes each alert it reads once (``load``); what it changes is
# marked (``touch``) and written, logged and announced once per alert at the end
# (``flush``): a batch of raises into one alert of many members costs one encode of it.
ALERT_LUA = (
    EMIT_LUA
    + f"""
local SEVERITY = {_SEVERITY}
"""
    + """
local cache, touched, told, logs = {}, {}, {}, {}

local function load(cfg, id)
  local a = cache[id]
  if a == nil then
    local raw = redis.call('GET', cfg.prefix .. id)
    a = raw and cjson.decode(raw) or false
    cache[id] = a
  end
  return a or nil
end

-- `a` changed: written at the end, with `entry` logged and `member`'s phone told.
local function touch(a, member, entry)
  local t = told[a.id]
  if not t then
    t = {list = {}, seen = {}}
    told[a.id] = t
    logs[a.id] = {}
    touched[#touched + 1] = a.id
  end
  cache[a.id] = a
  if member and not t.seen[member] then
    t.seen[member] = true
    t.list[#t.list + 1] = member
  end
  if entry then logs[a.id][#logs[a.id] + 1] = cjson.encode(entry) end
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

local function announce(cfg, k, a, body, members)
  local event = '{"type":"alert",' .. string.sub(body, 2)
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

-- Every touched alert written (an open one's place in the active set too), its new log
-- entries appended, announced; old cleared alerts dropped.
local function flush(cfg, k)
  for _, id in ipairs(touched) do
    local a = cache[id]
    local key = cfg.prefix .. id
    local body = cjson.encode(a)
    redis.call('SET', key, body)
    -- a cleared alert left the active set when it cleared (and never opens again)
    if a.state ~= 'cleared' then redis.call('ZADD', k.active, a.last_ts, id) end
    local entries = logs[id]
    if #entries > 0 then
      redis.call('RPUSH', key .. cfg.log_suffix, unpack(entries))
      redis.call('LTRIM', key .. cfg.log_suffix, -cfg.log_max, -1)
    end
    announce(cfg, k, a, body, told[id].list)
  end
  trim(cfg, k)
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
  if a.active <= 0 and a.state ~= 'cleared' then finish(cfg, k, a, now, reason) end
  touch(a, member, {ts = now, action = 'clear', member = member, reason = reason})
end

-- A raise (see ALERT_BATCH): {outcome, id}.
-- A raise repeating a member's open cause in the same group changes nothing (a burst
-- kind) or counts once more (a subject kind); in another group it moves the member there.
-- A burst alert that took cfg.group_max raises takes no more: the next starts a new one.
local function raise(cfg, k, r)
  local now = r.now
  local sfield = r.kind .. '|' .. r.member
  local a = nil
  local prior = redis.call('HGET', k.subjects, sfield)
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
    local gid = redis.call('HGET', k.groups, r.group)
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
    local id = cfg.id_prefix .. redis.call('INCR', k.seq)
    a = {id = id, kind = r.kind, severity = r.severity, owner = r.owner, scope = r.scope,
         subject = r.subject, state = 'open', count = 1, active = 1, first_ts = now,
         last_ts = now, members = {[r.member] = true}, group = r.group, data = r.data}
    if r.bucket ~= '' then a.bucket = r.bucket end
    redis.call('HSET', k.groups, r.group, id)
  end
  redis.call('HSET', k.subjects, sfield, a.id)
  touch(a, r.member, {ts = now, action = 'raise', member = r.member})
  return {outcome, a.id}
end

-- A clear (see ALERT_BATCH): the ids of the alerts the member left.
local function clear(cfg, k, c)
  local out = {}
  for _, kind in ipairs(c.kinds) do
    local sfield = kind .. '|' .. c.member
    local id = redis.call('HGET', k.subjects, sfield)
    if id then
      redis.call('HDEL', k.subjects, sfield)
      local a = load(cfg, id)
      if a and a.state ~= 'cleared' and a.members[c.member] then
        leave(cfg, k, a, c.member, c.now, c.reason)
        out[#out + 1] = id
      end
    end
  end
  return out
end
"""
)

# KEYS[1] groups hash, KEYS[2] subjects hash, KEYS[3] active set, KEYS[4] cleared set,
#   KEYS[5] alert id counter, KEYS[6..8] screen events (stream, seq, channel),
#   KEYS[9..] the hashes the ops' conditions read
# ARGV[1] cfg, ARGV[2] the ops, in order (JSON list), each
#   {raise = {kind, severity, owner, scope, subject, member, group, bucket, data, now,
#             by_subject}} or {clear = {kinds, member, now, reason}},
#   with `when` = [n, field, value] (KEYS[n]'s field): a raise happens only while the
#   field holds the value, a clear only once it does not
# Each op sees what the earlier ones did; each alert touched is written and announced
# once, as it is after the last op.
# Returns one reply an op: a raise {'raised'|'joined'|'repeat'|'skipped', id}, a clear
#   the ids of the alerts the member left.
ALERT_BATCH = LuaScript(
    "alert_batch",
    ALERT_LUA
    + """
local cfg = cjson.decode(ARGV[1])
local ops = cjson.decode(ARGV[2])
local k = {groups = KEYS[1], subjects = KEYS[2], active = KEYS[3], cleared = KEYS[4],
           seq = KEYS[5], emit = {KEYS[6], KEYS[7], KEYS[8]}}
local out = {}
for i, op in ipairs(ops) do
  local holds = true
  if op.when then
    holds = redis.call('HGET', KEYS[op.when[1]], op.when[2]) == op.when[3]
  end
  if op.raise then
    out[i] = holds and raise(cfg, k, op.raise) or {'skipped', ''}
  else
    out[i] = (op.when and holds) and {} or clear(cfg, k, op.clear)
  end
end
flush(cfg, k)
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
touch(a, nil, entry)
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
      touch(a, member, nil)
    end
  end
  a.resolved_by = c.by
  a.resolved_ts = c.now
  finish(cfg, k, a, c.now, 'resolved')
end
flush(cfg, k)
return {'ok', cjson.encode(a)}
""",
)

SCRIPTS = (ALERT_BATCH, ACT)
