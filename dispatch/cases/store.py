"""The case store in Redis: reads, and the typed wrappers of the case scripts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from redis.asyncio import Redis

from dispatch.cases.lua import FIRE_DUE, REPORT, TRANSITION
from dispatch.cases.model import Case, case_id
from dispatch.cases.plan import Plan
from dispatch.cases.timers import Timer
from dispatch.keys import Keys
from dispatch.realtime.events import STREAM_MAXLEN, emit_keys
from dispatch.scripts import Scripts

FIRED = "fired"
FIRE_ROW = 3  # member, outcome, late ms


@dataclass(frozen=True)
class Reported:
    """What the report script did: created a case (maybe a duplicate) or found the first one."""

    case_id: str
    created: bool
    duplicate_of: str | None = None
    fingerprint: str | None = None  # of the first report, when not created


@dataclass(frozen=True)
class Applied:
    """What a transition script did: ``ok``, or why not (``missing``, ``state``, ``stale``)."""

    outcome: str
    state: str | None = None
    assignee: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


@dataclass(frozen=True)
class Fired:
    """One due timer taken off the set: applied (``fired``) or dropped (``skipped``)."""

    timer: Timer | None
    member: str
    fired: bool
    late_ms: int


class CaseStore:
    def __init__(self, redis: Redis, keys: Keys, scripts: Scripts,
                 maxlen: int = STREAM_MAXLEN) -> None:
        self.redis = redis
        self.keys = keys
        self.scripts = scripts
        self.maxlen = maxlen

    def _timeline_suffix(self) -> str:
        """What follows a case id in its timeline key (scripts build it from the id)."""
        return self.keys.case_timeline("")[len(self.keys.case("")):]

    async def next_id(self) -> str:
        return case_id(int(await self.redis.incr(self.keys.case_seq())))

    async def client_case(self, field: str) -> tuple[str, str] | None:
        """(case id, body fingerprint) of an earlier report with this client key."""
        found = await self.redis.hget(self.keys.case_client_ids(), field)
        if not found:
            return None
        cid, _, fingerprint = str(found).partition("|")
        return cid, fingerprint

    async def load(self, cid: str) -> Case | None:
        raw = await self.redis.hgetall(self.keys.case(cid))
        return Case.from_hash(raw) if raw else None

    async def load_many(self, ids: Sequence[str]) -> list[Case]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for cid in ids:
                pipe.hgetall(self.keys.case(cid))
            rows = await pipe.execute()
        return [Case.from_hash(r) for r in rows if r]

    async def report_texts(self, ids: Sequence[str]) -> dict[str, str]:
        """The text of each case's report (the first entry of its timeline)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for cid in ids:
                pipe.lindex(self.keys.case_timeline(cid), 0)
            rows = await pipe.execute()
        found = {}
        for cid, raw in zip(ids, rows, strict=True):
            if raw:
                entry = orjson.loads(raw)
                found[cid] = str(entry.get("note") or "") if isinstance(entry, dict) else ""
        return found

    async def with_timeline(self, cid: str) -> tuple[Case, list[dict[str, Any]]] | None:
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(self.keys.case(cid))
            pipe.lrange(self.keys.case_timeline(cid), 0, -1)
            raw, entries = await pipe.execute()
        if not raw:
            return None
        return Case.from_hash(raw), [orjson.loads(e) for e in entries]

    async def report(self, cid: str, client_field: str, fingerprint: str, new: Plan,
                     duplicate: Plan, *, item: str, lon: float, lat: float, radius_m: float,
                     since_ms: int, reporter: str) -> Reported:
        k = self.keys
        keys = [k.case(cid), k.case_timeline(cid), k.case_client_ids(), k.cases_near(item),
                *emit_keys(k)]
        prefix = k.case("")
        args = [client_field, cid, fingerprint, new.to_json(), duplicate.to_json(), repr(lon),
                repr(lat), radius_m, since_ms, prefix, self._timeline_suffix(),
                new.now, reporter, self.maxlen]
        reply = await self.scripts.call(REPORT, keys, args)
        if reply[0] == "exists":
            return Reported(reply[1], False, fingerprint=reply[2])
        return Reported(reply[1], True, reply[2] or None)

    async def apply(self, cid: str, plan: Plan) -> Applied:
        k = self.keys
        keys = [k.case(cid), k.case_timeline(cid), *emit_keys(k)]
        reply = await self.scripts.call(TRANSITION, keys, [plan.to_json(), self.maxlen])
        if reply[0] == "state":
            return Applied("state", reply[1], reply[2] or None)
        return Applied(reply[0])

    async def fire_due(self, now_ms: int, limit: int, late_ms: int) -> list[Fired]:
        k = self.keys
        keys = [k.case_timers(), k.org_departments(), *emit_keys(k)]
        prefix = k.case("")
        args = [now_ms, limit, prefix, self._timeline_suffix(),
                k.user_channel(""), k.dept_channel(""), k.role_channel(""), late_ms,
                self.maxlen]
        reply = await self.scripts.call(FIRE_DUE, keys, args)
        fired = []
        for i in range(0, len(reply), FIRE_ROW):
            member, outcome, late = reply[i:i + FIRE_ROW]
            try:
                timer: Timer | None = Timer.parse(member)
            except ValueError:
                timer = None
            fired.append(Fired(timer, member, outcome == FIRED, int(late)))
        return fired

    async def page(self, key: str, below: int | None, count: int) -> list[tuple[str, int]]:
        """Up to ``count`` (id, number) of an index, newest first, numbers below ``below``."""
        top = f"({below}" if below is not None else "+inf"
        rows = await self.redis.zrevrangebyscore(key, top, "-inf", start=0, num=count,
                                                 withscores=True)
        return [(str(member), int(score)) for member, score in rows]

    async def size(self, key: str) -> int:
        return int(await self.redis.zcard(key))

    async def offered(self, keys: Sequence[str]) -> list[str]:
        """Case ids in the given offer sets, oldest first."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.zrange(key, 0, -1)
            rows = await pipe.execute()
        return list(dict.fromkeys(str(cid) for row in rows for cid in row))
