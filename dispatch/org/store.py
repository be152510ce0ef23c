"""The organisation in Redis, and the in-process point-in-grid index built from it."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import orjson
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from dispatch.clock import at_or_now
from dispatch.errors import NotFound
from dispatch.geo.index import GridIndex
from dispatch.identity.roles import Role
from dispatch.keys import Keys
from dispatch.org.model import Department, OrgData, Station

INDEX_RECHECK_S = 5.0


class OrgStore:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys
        self._index: GridIndex | None = None
        self._index_version: str | None = None
        self._index_checked = 0.0
        self._refresh: asyncio.Future[GridIndex] | None = None
        self._grid_station: dict[str, str] = {}

    def write(self, data: OrgData, version: int, pipe: Pipeline,
              seeded_ms: int | None = None) -> None:
        """Queue every write of the organisation ``data`` on ``pipe`` (seeded ``seeded_ms``,
        default now: no patrol window before it is owed)."""
        k = self.keys
        s = data.street
        seeded = at_or_now(seeded_ms)
        pipe.hset(k.org_meta(), mapping={
            "code": s.code, "name": s.name, "name_en": s.name_en, "district": s.district,
            "version": str(version), "seeded_ms": str(seeded),
        })
        pipe.hset(k.org_stations(), mapping={
            st.id: orjson.dumps({"id": st.id, "name": st.name, "name_en": st.name_en})
            for st in data.stations
        })
        workers = {p.user.scope: p.user.username for p in data.people
                   if p.user.role is Role.GRID_WORKER}
        leads = {p.user.scope: p.user.username for p in data.people
                 if p.user.role is Role.DEPT_LEAD}
        grids = {}
        for f in data.grids["features"]:
            props = dict(f["properties"])
            props["id"] = str(props["id"])
            props["worker"] = workers.get(props["id"])
            grids[props["id"]] = orjson.dumps({"type": "Feature", "properties": props,
                                               "geometry": f["geometry"]})
        pipe.hset(k.org_grids(), mapping=grids)
        pipe.hset(k.org_departments(), mapping={
            d.id: orjson.dumps({"id": d.id, "name": d.name, "name_en": d.name_en,
                                "lead": leads.get(d.id)})
            for d in data.departments
        })
        for p in data.people:
            if p.user.role is Role.DISPOSAL_MEMBER and p.user.scope:
                pipe.sadd(k.dept_members(p.user.scope), p.user.username)
        devices = {p.device: p.user.username for p in data.people if p.device}
        if devices:
            pipe.hset(k.devices(), mapping=devices)

    async def exists(self) -> bool:
        return bool(await self.redis.exists(self.keys.org_meta()))

    async def meta(self) -> dict[str, str]:
        return dict(await self.redis.hgetall(self.keys.org_meta()))

    async def grids(self) -> dict[str, Any]:
        """The grids as a GeoJSON FeatureCollection, ordered by id."""
        raw = await self.redis.hgetall(self.keys.org_grids())
        features = [orjson.loads(raw[g]) for g in sorted(raw)]
        return {"type": "FeatureCollection", "features": features}

    async def grid(self, grid_id: str) -> dict[str, Any]:
        raw = await self.redis.hget(self.keys.org_grids(), grid_id)
        if raw is None:
            raise NotFound(f"no grid {grid_id}", code="unknown_grid")
        return dict(orjson.loads(raw))

    async def stations(self) -> list[Station]:
        raw = await self.redis.hgetall(self.keys.org_stations())
        return [Station(**orjson.loads(raw[s])) for s in sorted(raw)]

    async def departments(self) -> list[dict[str, Any]]:
        raw = await self.redis.hgetall(self.keys.org_departments())
        return [await self._department(orjson.loads(raw[d])) for d in sorted(raw)]

    async def department(self, dept_id: str) -> dict[str, Any]:
        raw = await self.redis.hget(self.keys.org_departments(), dept_id)
        if raw is None:
            raise NotFound(f"no department {dept_id}", code="unknown_department")
        return await self._department(orjson.loads(raw))

    async def department_ids(self) -> set[str]:
        return set(await self.redis.hkeys(self.keys.org_departments()))

    async def _department(self, d: dict[str, Any]) -> dict[str, Any]:
        members = sorted(await self.redis.smembers(self.keys.dept_members(d["id"])))
        return Department(d["id"], d["name"], d.get("name_en", "")).public(d.get("lead"), members)

    async def members(self, dept_id: str) -> set[str]:
        return set(await self.redis.smembers(self.keys.dept_members(dept_id)))

    async def devices_of(self, username: str) -> list[str]:
        """The tracking device ids registered to a user."""
        found = await self.redis.hgetall(self.keys.devices())
        return sorted(d for d, owner in found.items() if owner == username)

    async def device_owner(self, device_id: str) -> str | None:
        found = await self.redis.hget(self.keys.devices(), device_id)
        return str(found) if found is not None else None

    async def index(self) -> GridIndex:
        """The point-in-grid index, rebuilt when the organisation's version changes.

        Callers arriving together (every phone's first fix after a start) share one
        check and one build: a build takes a few hundred ms of CPU."""
        if self._index is not None and time.monotonic() - self._index_checked < INDEX_RECHECK_S:
            return self._index
        task = self._refresh
        if task is None or task.get_loop() is not asyncio.get_running_loop():
            task = self._refresh = asyncio.ensure_future(self._refresh_index())
            task.add_done_callback(self._refreshed)
        return await asyncio.shield(task)

    def _refreshed(self, task: asyncio.Future[GridIndex]) -> None:
        if self._refresh is task:
            self._refresh = None

    async def _refresh_index(self) -> GridIndex:
        now = time.monotonic()
        version = str(await self.redis.hget(self.keys.org_meta(), "version"))
        if self._index is None or version != self._index_version:
            fc = await self.grids()
            self._index = GridIndex.from_features(fc["features"])
            self._grid_station = {str(f["properties"]["id"]): str(f["properties"]["station"])
                                  for f in fc["features"]}
            self._index_version = version
        self._index_checked = now
        return self._index

    async def station_of(self, grid_id: str) -> str | None:
        """The station of a grid (from the same cache as the index)."""
        await self.index()
        return self._grid_station.get(grid_id)
