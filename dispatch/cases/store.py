"""The case store in Redis: reads, and the typed wrappers of the case scripts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from redis.asyncio import Redis

from dispatch.cases.lua import (
    Applied,
    EventKeys,
    Fired,
    FiredStep,
    FireDueCall,
    ReportCall,
    Reported,
    TransitionCall,
    WhistlesDueCall,
)
from dispatch.cases.model import Case, case_id
from dispatch.cases.plan import DESK_ROLE, LEADERSHIP_ROLES, Plan
from dispatch.keys import Keys
from dispatch.realtime.events import STREAM_MAXLEN
from dispatch.scripts import ScriptRunner, Scripts

__all__ = ["Applied", "CaseStore", "Fired", "FiredStep", "Reported"]


class CaseStore:
    def __init__(self, redis: Redis, keys: Keys, scripts: Scripts,
                 maxlen: int = STREAM_MAXLEN, *, writes: ScriptRunner | None = None) -> None:
        self.redis = redis
        self.keys = keys
        self.scripts = scripts
        self.maxlen = maxlen
        #: What runs the scripts that change cases on someone's word (reports, transitions):
        #: ``scripts``, or one acknowledging a change once replicas have it. Timers fire
        #: through ``scripts``: a firing lost with its master leaves its timer due on the
        #: promoted replica, and it fires again.
        self.writes: ScriptRunner = writes or scripts

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

    async def open_ids(self, limit: int) -> list[str]:
        """The newest ``limit`` open cases' ids."""
        return [str(cid) for cid in await self.redis.zrevrange(self.keys.cases_open(), 0,
                                                               limit - 1)]

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

    def _events(self) -> EventKeys:
        k = self.keys
        return EventKeys(k.events_stream(), k.events_seq(), k.screen_channel())

    async def report(self, cid: str, client_field: str, fingerprint: str, new: Plan,
                     duplicate: Plan, *, item: str, lon: float, lat: float, radius_m: float,
                     since_ms: int, reporter: str) -> Reported:
        k = self.keys
        return await self.writes.run(ReportCall(
            k.case(cid), k.case_timeline(cid), k.case_client_ids(), k.cases_near(item),
            self._events(), client_field, cid, fingerprint, new, duplicate, lon, lat, radius_m,
            since_ms, k.case(""), self._timeline_suffix(), reporter, self.maxlen))

    async def apply(self, cid: str, plan: Plan) -> Applied:
        k = self.keys
        return await self.writes.run(TransitionCall(k.case(cid), k.case_timeline(cid),
                                                     self._events(), plan, self.maxlen))

    async def fire_due(self, now_ms: int, limit: int, late_ms: int) -> list[Fired]:
        return (await self.fire_step(now_ms, limit, late_ms, with_cases=False)).fired

    async def fire_step(self, now_ms: int, limit: int, late_ms: int, *,
                        with_cases: bool = True) -> FiredStep:
        """Fire the due timers; with each fired case's hash after the step."""
        k = self.keys
        return await self.scripts.run(FireDueCall(
            k.case_timers(), k.org_departments(), self._events(), now_ms, limit, k.case(""),
            self._timeline_suffix(), k.user_channel(""), k.dept_channel(""),
            k.role_channel(DESK_ROLE), tuple(k.role_channel(r) for r in LEADERSHIP_ROLES),
            late_ms, self.maxlen, with_cases))

    async def parts_due(self, now_ms: int, limit: int) -> list[str]:
        """Members of every assisting part's deadline passed, taken off the set."""
        return await self.scripts.run(WhistlesDueCall(self.keys.case_part_timers(), now_ms,
                                                      limit))

    async def whistles_due(self, now_ms: int, limit: int) -> list[tuple[str, int]]:
        """(case, whistle number) of every whistle whose limit passed, taken off the set."""
        found = await self.scripts.run(WhistlesDueCall(self.keys.case_whistles_due(), now_ms,
                                                       limit))
        out = []
        for member in found:
            cid, _, n = member.rpartition("|")
            if cid and n.isdigit():
                out.append((cid, int(n)))
        return out

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
