"""Location alerts: opened and closed atomically with the state that causes them.

An alert goes, in the same script that records it, to the worker's phone (user
channel), their grid station (station channel) and the screens (events stream). The
open alerts are a hash, one per kind and worker, read by the screen's snapshot. An
open or a close is conditional on a field of the worker's live hash, so a late
caller never reopens an alert the state has already cleared, nor the reverse.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar

import orjson
from redis.asyncio import Redis

from dispatch.keys import Keys
from dispatch.realtime.events import EMIT_LUA, STREAM_MAXLEN, emit_keys
from dispatch.scripts import LuaScript, ScriptCall, Scripts

NO_CONDITION = ""

_CLOSE_LUA = """
local function closed_body(stored, patch)
  local body = string.gsub(stored, '"state":"open"', '"state":"closed"', 1)
  return string.sub(body, 1, -2) .. ',' .. string.sub(patch, 2)
end
local function tell(body, maxlen)
  emit(KEYS[3], KEYS[4], KEYS[5], maxlen, body)
  redis.call('PUBLISH', KEYS[6], body)
  redis.call('PUBLISH', KEYS[7], body)
end
"""

# KEYS[1] the worker's live hash, KEYS[2] open alerts hash, KEYS[3] events stream,
#   KEYS[4] events seq, KEYS[5] screen channel, KEYS[6] user channel, KEYS[7] station channel
# ARGV[1] live field that must hold ARGV[2] ('' = no condition), ARGV[3] alert field,
# ARGV[4] the alert as JSON (starting {"type":"alert","state":"open",...}), ARGV[5] maxlen,
# ARGV[6] 1 to replace an open alert of the same field (closed with ARGV[7] as patch)
# Returns 1 when opened.
ALERT_OPEN = LuaScript(
    "location_alert_open",
    EMIT_LUA + _CLOSE_LUA + """
if ARGV[1] ~= '' and redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
local old = redis.call('HGET', KEYS[2], ARGV[3])
if old then
  if ARGV[6] ~= '1' then return 0 end
  tell(closed_body(old, ARGV[7]), ARGV[5])
end
redis.call('HSET', KEYS[2], ARGV[3], ARGV[4])
tell(ARGV[4], ARGV[5])
return 1
""",
)

# KEYS as ALERT_OPEN
# ARGV[1] live field that must NOT hold ARGV[2] ('' = no condition), ARGV[3] alert field,
# ARGV[4] JSON object merged into the closed alert ({"closed_ts","reason"}), ARGV[5] maxlen
# Returns 1 when closed.
ALERT_CLOSE = LuaScript(
    "location_alert_close",
    EMIT_LUA + _CLOSE_LUA + """
if ARGV[1] ~= '' and redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return 0 end
local old = redis.call('HGET', KEYS[2], ARGV[3])
if not old then return 0 end
redis.call('HDEL', KEYS[2], ARGV[3])
tell(closed_body(old, ARGV[4]), ARGV[5])
return 1
""",
)


class AlertKind(StrEnum):
    OUT_OF_GRID = "out_of_grid"
    SIGNAL_LOST = "signal_lost"
    MISSED_PATROL = "missed_patrol"


MESSAGES = {
    AlertKind.OUT_OF_GRID: "{worker} has been outside grid {grid} on patrol",
    AlertKind.SIGNAL_LOST: "{worker}'s phone has sent no position on patrol",
    AlertKind.MISSED_PATROL: "{worker} did not patrol grid {grid} in window {window}",
}


@dataclass(frozen=True)
class Condition:
    """A live-hash field and a value: the alert opens while it holds, closes once it does not."""

    field: str
    value: str


@dataclass(frozen=True)
class Alert:
    kind: AlertKind
    worker: str
    grid: str | None
    station: str | None
    ts: int
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.kind.value}:{self.worker}:{self.ts}"

    def body(self) -> dict[str, Any]:
        """The alert message; ``type`` and ``state`` come first (the close script relies on it)."""
        text = MESSAGES[self.kind].format(worker=self.worker, grid=self.grid, **self.extra)
        return {"type": "alert", "state": "open", "id": self.id, "kind": self.kind.value,
                "worker": self.worker, "grid": self.grid, "station": self.station,
                "ts": self.ts, "message": text, **self.extra}


def alert_field(kind: AlertKind, worker: str) -> str:
    return f"{kind.value}:{worker}"


@dataclass(frozen=True, slots=True)
class AlertKeys:
    """What an alert script touches: the worker's live hash, the open alerts, the screen
    events (stream, seq, channel), the worker's and the station's channels."""

    live: str
    alerts: str
    events: tuple[str, str, str]
    user_channel: str
    station_channel: str

    def as_list(self) -> list[str]:
        return [self.live, self.alerts, *self.events, self.user_channel, self.station_channel]


@dataclass(frozen=True, slots=True)
class AlertOpenCall(ScriptCall[bool]):
    """Replies whether the alert opened."""

    script: ClassVar[LuaScript] = ALERT_OPEN
    keys: AlertKeys
    when: Condition
    field: str
    alert: bytes  # the alert as JSON
    maxlen: int
    replace: bool
    superseded: bytes  # merged into an open alert it replaces

    def to_keys(self) -> list[str]:
        return self.keys.as_list()

    def to_argv(self) -> list[Any]:
        return [self.when.field, self.when.value, self.field, self.alert, self.maxlen,
                int(self.replace), self.superseded]

    def from_reply(self, reply: Any) -> bool:
        return bool(reply)


@dataclass(frozen=True, slots=True)
class AlertCloseCall(ScriptCall[bool]):
    """Replies whether an open alert closed."""

    script: ClassVar[LuaScript] = ALERT_CLOSE
    keys: AlertKeys
    unless: Condition
    field: str
    patch: bytes  # merged into the closed alert
    maxlen: int

    def to_keys(self) -> list[str]:
        return self.keys.as_list()

    def to_argv(self) -> list[Any]:
        return [self.unless.field, self.unless.value, self.field, self.patch, self.maxlen]

    def from_reply(self, reply: Any) -> bool:
        return bool(reply)


class AlertStore:
    def __init__(self, redis: Redis, keys: Keys, scripts: Scripts,
                 maxlen: int = STREAM_MAXLEN) -> None:
        self.redis = redis
        self.keys = keys
        self.scripts = scripts
        self.maxlen = maxlen

    def _keys(self, worker: str, station: str | None) -> AlertKeys:
        k = self.keys
        stream, seq, channel = emit_keys(k)
        return AlertKeys(k.loc_live(worker), k.loc_alerts(), (stream, seq, channel),
                         k.user_channel(worker), k.station_channel(station or "none"))

    async def open(self, alert: Alert, when: Condition | None = None, *,
                   replace: bool = False) -> bool:
        """Record and announce ``alert`` unless one of its kind is open for the worker."""
        cond = when or Condition(NO_CONDITION, "")
        patch = orjson.dumps({"closed_ts": alert.ts, "reason": "superseded"})
        return await self.scripts.run(AlertOpenCall(
            self._keys(alert.worker, alert.station), cond, alert_field(alert.kind, alert.worker),
            orjson.dumps(alert.body()), self.maxlen, replace, patch))

    async def close(self, kind: AlertKind, worker: str, station: str | None, *, ts: int,
                    reason: str, unless: Condition | None = None) -> bool:
        """Close the worker's open alert of ``kind`` unless ``unless`` still holds."""
        cond = unless or Condition(NO_CONDITION, "")
        patch = orjson.dumps({"closed_ts": ts, "reason": reason})
        return await self.scripts.run(AlertCloseCall(
            self._keys(worker, station), cond, alert_field(kind, worker), patch, self.maxlen))

    async def open_alerts(self) -> list[dict[str, Any]]:
        """Every open alert, oldest first."""
        found = await self.redis.hvals(self.keys.loc_alerts())
        alerts = [orjson.loads(raw) for raw in found]
        return sorted(alerts, key=lambda a: (a["ts"], a["id"]))
