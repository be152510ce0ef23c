"""The alert store in Redis: typed wrappers of the alert scripts, and reads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import orjson
from redis.asyncio import Redis

from dispatch.alerts.lua import ACT, ALERT_BATCH
from dispatch.keys import Keys
from dispatch.realtime.events import STREAM_MAXLEN, emit_keys
from dispatch.scripts import LuaScript, ScriptCall, Scripts

ID_PREFIX = "A"
#: Most raises and clears in one script run (a burst of timers' alerts): Redis runs
#: nothing else meanwhile.
BATCH_CALLS = 500


@dataclass(frozen=True)
class Condition:
    """A hash field and a value: a raise happens only while the field holds the value, a
    clear only once it does not (a late caller never undoes what the state already did)."""

    key: str
    field: str
    value: str


@dataclass(frozen=True)
class Raised:
    """What a raise did: a new alert (``raised``), one more in a group (``joined``), nothing
    because that cause is already on an open alert (``repeat``) or the condition did not
    hold (``skipped``)."""

    outcome: str
    id: str | None

    @property
    def announced(self) -> bool:
        return self.outcome in {"raised", "joined"}


@dataclass(frozen=True)
class Acted:
    outcome: str  # ok, missing, state
    alert: dict[str, Any] | None = None
    state: str | None = None


@dataclass(frozen=True, slots=True)
class AlertSets:
    """What every alert script touches: the group and subject maps, the active and cleared
    sets, and where the screen events go (stream, seq, channel)."""

    groups: str
    subjects: str
    active: str
    cleared: str
    events: tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class RaiseCall:
    """One raise of a batch (see :class:`BatchCall`)."""

    body: dict[str, Any]  # kind, severity, owner, scope, subject, member, group, ...
    when: Condition | None

    def op(self, when: list[Any] | None) -> dict[str, Any]:
        return {"raise": self.body, "when": when} if when else {"raise": self.body}

    @staticmethod
    def from_reply(reply: Any) -> Raised:
        outcome, alert_id = reply
        return Raised(str(outcome), str(alert_id) or None)


@dataclass(frozen=True, slots=True)
class ClearCall:
    """One clear of a batch (see :class:`BatchCall`); replies the ids of the alerts the
    member left."""

    body: dict[str, Any]  # kinds, member, now, reason
    unless: Condition | None

    @property
    def when(self) -> Condition | None:
        return self.unless

    def op(self, when: list[Any] | None) -> dict[str, Any]:
        return {"clear": self.body, "when": when} if when else {"clear": self.body}

    @staticmethod
    def from_reply(reply: Any) -> list[str]:
        return [str(i) for i in reply or ()]


AlertCall = RaiseCall | ClearCall
FIRST_CONDITION_KEY = 9  # KEYS[9..] of ALERT_BATCH


@dataclass(frozen=True, slots=True)
class BatchCall(ScriptCall[list[Raised | list[str]]]):
    """Raises and clears in order, in one script run (each alert written once)."""

    script: ClassVar[LuaScript] = ALERT_BATCH
    sets: AlertSets
    seq: str
    cfg: bytes
    calls: tuple[AlertCall, ...]

    def _condition_keys(self) -> list[str]:
        return list(dict.fromkeys(c.when.key for c in self.calls if c.when is not None))

    def to_keys(self) -> list[str]:
        s = self.sets
        return [s.groups, s.subjects, s.active, s.cleared, self.seq, *s.events,
                *self._condition_keys()]

    def to_argv(self) -> list[Any]:
        index = {key: n for n, key in enumerate(self._condition_keys(), FIRST_CONDITION_KEY)}
        ops = [c.op([index[c.when.key], c.when.field, c.when.value] if c.when else None)
               for c in self.calls]
        return [self.cfg, orjson.dumps(ops)]

    def from_reply(self, reply: Any) -> list[Raised | list[str]]:
        return [call.from_reply(r) for call, r in zip(self.calls, reply, strict=True)]


@dataclass(frozen=True, slots=True)
class ActCall(ScriptCall["Acted"]):
    script: ClassVar[LuaScript] = ACT
    sets: AlertSets
    cfg: bytes
    body: dict[str, Any]  # id, action, sources, by, note, now

    def to_keys(self) -> list[str]:
        s = self.sets
        return [s.groups, s.subjects, s.active, s.cleared, *s.events]

    def to_argv(self) -> list[Any]:
        return [self.cfg, orjson.dumps(self.body)]

    def from_reply(self, reply: Any) -> Acted:
        if reply[0] == "ok":
            return Acted("ok", orjson.loads(reply[1]))
        if reply[0] == "state":
            return Acted("state", state=str(reply[1]))
        return Acted(str(reply[0]))


@dataclass(frozen=True)
class StoreConfig:
    maxlen: int = STREAM_MAXLEN
    log_max: int = 200
    keep: int = 5000
    burst_ms: int = 600_000
    #: A burst alert takes at most this many members (each raise reads and writes the
    #: whole alert: a department's thousands of overdue cases in one made every raise of a
    #: timer burst slower than the last).
    group_max: int = 200


class AlertStore:
    def __init__(self, redis: Redis, keys: Keys, scripts: Scripts, config: StoreConfig) -> None:
        self.redis = redis
        self.keys = keys
        self.scripts = scripts
        k = keys
        self.cfg = orjson.dumps({
            "prefix": k.alert(""), "id_prefix": ID_PREFIX,
            "log_suffix": k.alert_log("")[len(k.alert("")):],
            "station_prefix": k.station_channel(""), "user_prefix": k.user_channel(""),
            "maxlen": config.maxlen, "log_max": max(1, config.log_max),
            "keep": max(1, config.keep), "burst_ms": config.burst_ms,
            "group_max": max(1, config.group_max),
        })
        stream, seq, channel = emit_keys(k)
        #: The keys every script names, built once (a timer burst makes thousands of calls).
        self.sets = AlertSets(k.alerts_groups(), k.alerts_subjects(), k.alerts_active(),
                              k.alerts_cleared(), (stream, seq, channel))
        self.seq = k.alerts_seq()

    def raise_call(self, body: dict[str, Any], when: Condition | None) -> RaiseCall:
        return RaiseCall(body, when)

    def clear_call(self, kinds: Sequence[str], member: str, now_ms: int, reason: str,
                   unless: Condition | None) -> ClearCall:
        body = {"kinds": list(kinds), "member": member, "now": now_ms, "reason": reason}
        return ClearCall(body, unless)

    def batch(self, calls: Sequence[AlertCall]) -> BatchCall:
        return BatchCall(self.sets, self.seq, self.cfg, tuple(calls))

    async def run_raise(self, call: RaiseCall) -> Raised:
        [raised] = await self.scripts.run(self.batch([call]))
        assert isinstance(raised, Raised)
        return raised

    async def run_clear(self, call: ClearCall) -> list[str]:
        [left] = await self.scripts.run(self.batch([call]))
        assert isinstance(left, list)
        return left

    async def run_many(self, calls: Sequence[AlertCall]) -> list[Raised | list[str]]:
        """Raise and clear calls in this order, ``BATCH_CALLS`` a script run, every run in
        one pipelined round trip (each run stays atomic; a later call sees what the
        earlier ones did)."""
        batches = [self.batch(calls[start:start + BATCH_CALLS])
                   for start in range(0, len(calls), BATCH_CALLS)]
        if len(batches) <= 1:
            return await self.scripts.run(batches[0]) if batches else []
        async with self.redis.pipeline(transaction=False) as pipe:
            for batch in batches:
                await self.scripts.queue(batch, pipe)
            replies = await pipe.execute()
        return [out for batch, reply in zip(batches, replies, strict=True)
                for out in batch.from_reply(reply)]

    async def act(self, alert_id: str, action: str, sources: Sequence[str], by: str, note: str,
                  now_ms: int) -> Acted:
        body = {"id": alert_id, "action": action, "sources": list(sources), "by": by,
                "note": note, "now": now_ms}
        return await self.scripts.run(ActCall(self.sets, self.cfg, body))

    # --- reads --------------------------------------------------------------
    async def get(self, alert_id: str) -> dict[str, Any] | None:
        raw = await self.redis.get(self.keys.alert(alert_id))
        return orjson.loads(raw) if raw else None

    async def log(self, alert_id: str) -> list[dict[str, Any]]:
        return [orjson.loads(e) for e in await self.redis.lrange(self.keys.alert_log(alert_id),
                                                                  0, -1)]

    async def many(self, ids: Sequence[str]) -> list[dict[str, Any]]:
        if not ids:
            return []
        rows = await self.redis.mget([self.keys.alert(i) for i in ids])
        return [orjson.loads(r) for r in rows if r]
