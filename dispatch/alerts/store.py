"""The alert store in Redis: typed wrappers of the alert scripts, and reads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from redis.asyncio import Redis

from dispatch.alerts.lua import ACT, CLEAR, RAISE
from dispatch.keys import Keys
from dispatch.realtime.events import STREAM_MAXLEN, emit_keys
from dispatch.scripts import Scripts

ID_PREFIX = "A"
NO_CONDITION = ""


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


@dataclass(frozen=True)
class StoreConfig:
    maxlen: int = STREAM_MAXLEN
    log_max: int = 200
    keep: int = 5000
    burst_ms: int = 600_000


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
        }).decode()

    def _sets(self) -> list[str]:
        k = self.keys
        return [k.alerts_groups(), k.alerts_subjects(), k.alerts_active(), k.alerts_cleared()]

    async def raise_(self, body: dict[str, Any], when: Condition | None) -> Raised:
        k = self.keys
        cond_key = when.key if when else k.alerts_seq()
        keys = [*self._sets(), k.alerts_seq(), cond_key, *emit_keys(k)]
        args = [self.cfg, orjson.dumps(body).decode(), when.field if when else NO_CONDITION,
                when.value if when else ""]
        outcome, alert_id = await self.scripts.call(RAISE, keys, args)
        return Raised(str(outcome), str(alert_id) or None)

    async def clear(self, kinds: Sequence[str], member: str, now_ms: int, reason: str,
                    unless: Condition | None) -> list[str]:
        k = self.keys
        cond_key = unless.key if unless else k.alerts_seq()
        keys = [*self._sets(), cond_key, *emit_keys(k)]
        body = {"kinds": list(kinds), "member": member, "now": now_ms, "reason": reason}
        args = [self.cfg, orjson.dumps(body).decode(), unless.field if unless else NO_CONDITION,
                unless.value if unless else ""]
        return [str(i) for i in await self.scripts.call(CLEAR, keys, args)]

    async def act(self, alert_id: str, action: str, sources: Sequence[str], by: str, note: str,
                  now_ms: int) -> Acted:
        body = {"id": alert_id, "action": action, "sources": list(sources), "by": by,
                "note": note, "now": now_ms}
        reply = await self.scripts.call(ACT, [*self._sets(), *emit_keys(self.keys)],
                                        [self.cfg, orjson.dumps(body).decode()])
        if reply[0] == "ok":
            return Acted("ok", orjson.loads(reply[1]))
        if reply[0] == "state":
            return Acted("state", state=str(reply[1]))
        return Acted(str(reply[0]))

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
