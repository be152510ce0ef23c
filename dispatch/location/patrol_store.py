"""Patrol records in Redis: one hash each, indexed by local day and by worker.

Starting and ending are scripts so that a worker has at most one open patrol and a
patrol ends once, whoever ends it (the phone, the upload, the clock at the window's
end). Starting and ending also set and clear the patrol on the worker's live hash,
which the ingest script reads to judge the grid only on patrol.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields, replace
from enum import StrEnum
from typing import Any

from redis.asyncio import Redis

from dispatch.keys import Keys
from dispatch.scripts import LuaScript, Scripts

FIRST_FIELD_ARG = 4

# KEYS[1] open patrols hash, KEYS[2] the worker's live hash, KEYS[3] the new patrol's hash,
#   KEYS[4] day index, KEYS[5] worker index
# ARGV[1] worker, ARGV[2] new patrol id, ARGV[3] start ms, ARGV[4..] record field/value pairs
# Returns the worker's open patrol id: an existing one (nothing written) or the new one.
PATROL_START = LuaScript(
    "patrol_start",
    """
local open = redis.call('HGET', KEYS[1], ARGV[1])
if open then return open end
redis.call('HSET', KEYS[3], unpack(ARGV, 4))
redis.call('ZADD', KEYS[4], ARGV[3], ARGV[2])
redis.call('ZADD', KEYS[5], ARGV[3], ARGV[2])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], 'patrol', ARGV[2], 'patrol_since', ARGV[3])
redis.call('HDEL', KEYS[2], 'out_since', 'oog')
return ARGV[2]
""",
)

# KEYS[1] open patrols hash, KEYS[2] the worker's live hash, KEYS[3] the patrol's hash
# ARGV[1] worker, ARGV[2] patrol id, ARGV[3] unused, ARGV[4..] result field/value pairs
# Returns 1 when this call ended the patrol, 0 when it had already ended.
PATROL_FINISH = LuaScript(
    "patrol_finish",
    """
if redis.call('HGET', KEYS[3], 'status') ~= 'in_progress' then return 0 end
redis.call('HSET', KEYS[3], unpack(ARGV, 4))
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then redis.call('HDEL', KEYS[1], ARGV[1]) end
if redis.call('HGET', KEYS[2], 'patrol') == ARGV[2] then
  redis.call('HDEL', KEYS[2], 'patrol', 'patrol_since', 'out_since', 'oog')
  if redis.call('HGET', KEYS[2], 'state') == 'signal_lost' then
    redis.call('HSET', KEYS[2], 'state', 'offline')
  end
end
return 1
""",
)


class PatrolKind(StrEnum):
    WINDOW = "window"  # started in a patrol window: counts toward it
    EXTRA = "extra"  # started outside the windows (a night patrol, 连夜排查): toward none


class PatrolState(StrEnum):
    IN_PROGRESS = "in_progress"
    COMPLETE = "complete"
    INCOMPLETE = "incomplete"
    MISSED = "missed"


@dataclass(frozen=True)
class PatrolRecord:
    id: str
    worker: str
    grid: str | None
    station: str | None
    date: str
    window: str
    window_start: int
    window_end: int
    start: int
    end: int | None = None
    status: PatrolState = PatrolState.IN_PROGRESS
    distance_m: float = 0.0
    duration_s: float = 0.0
    coverage: float = 0.0
    outside_grid_s: float = 0.0
    points: int = 0
    ended_by: str = ""
    kind: PatrolKind = PatrolKind.WINDOW
    without_location: bool = False  # the phone had no position when it started

    def to_hash(self) -> dict[str, str]:
        out = {k: "" if v is None else str(v) for k, v in asdict(self).items()}
        out["without_location"] = "1" if self.without_location else ""
        return out

    @classmethod
    def from_hash(cls, h: dict[str, str]) -> PatrolRecord:
        """A stored record (fields added later take their default when absent)."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = h.get(f.name, "")
            kind = str(f.type)
            if kind.startswith("int"):
                values[f.name] = int(raw) if raw else None
            elif kind == "float":
                values[f.name] = float(raw) if raw else 0.0
            elif kind == "bool":
                values[f.name] = raw not in ("", "0", "False")
            elif kind == "PatrolState":
                values[f.name] = PatrolState(raw)
            elif kind == "PatrolKind":
                values[f.name] = PatrolKind(raw) if raw else PatrolKind.WINDOW
            else:
                values[f.name] = raw or (None if "None" in kind else "")
        return cls(**values)

    @property
    def extra(self) -> bool:
        return self.kind is PatrolKind.EXTRA

    def public(self) -> dict[str, Any]:
        """What the API shows of a patrol."""
        return {
            "id": self.id, "worker": self.worker, "grid": self.grid, "station": self.station,
            "date": self.date, "kind": self.kind.value,
            # an extra patrol's "window" is its own span (no name): it ends by then at the latest
            "window": {"name": self.window, "start": self.window_start, "end": self.window_end},
            "start": self.start, "end": self.end, "status": self.status.value,
            "distance_m": round(self.distance_m, 1), "duration_s": round(self.duration_s, 1),
            "coverage": round(self.coverage, 4), "outside_grid_s": round(self.outside_grid_s, 1),
            "points": self.points, "ended_by": self.ended_by or None,
            "without_location": self.without_location,
        }

    def ended(self, **changes: Any) -> PatrolRecord:
        return replace(self, **changes)


def _pairs(mapping: dict[str, str]) -> list[str]:
    return [part for item in mapping.items() for part in item]


class PatrolStore:
    def __init__(self, redis: Redis, keys: Keys, scripts: Scripts) -> None:
        self.redis = redis
        self.keys = keys
        self.scripts = scripts

    async def next_id(self) -> str:
        return str(await self.redis.incr(self.keys.patrol_seq()))

    async def next_ids(self, count: int) -> list[str]:
        if count <= 0:
            return []
        last = int(await self.redis.incrby(self.keys.patrol_seq(), count))
        return [str(n) for n in range(last - count + 1, last + 1)]

    async def start(self, record: PatrolRecord) -> str:
        """Open ``record`` unless the worker has an open patrol; returns the open one's id."""
        k = self.keys
        found = await self.scripts.call(
            PATROL_START,
            [k.patrols_open(), k.loc_live(record.worker), k.patrol(record.id),
             k.patrols_day(record.date), k.patrols_worker(record.worker)],
            [record.worker, record.id, record.start, *_pairs(record.to_hash())])
        return str(found)

    async def finish(self, record: PatrolRecord) -> bool:
        """Write the ended ``record`` if it was still in progress."""
        k = self.keys
        done = await self.scripts.call(
            PATROL_FINISH, [k.patrols_open(), k.loc_live(record.worker), k.patrol(record.id)],
            [record.worker, record.id, "", *_pairs(record.to_hash())])
        return bool(done)

    async def add_many(self, records: Iterable[PatrolRecord]) -> None:
        """Write finished records (missed patrols) in one round trip."""
        async with self.redis.pipeline(transaction=True) as pipe:
            for r in records:
                pipe.hset(self.keys.patrol(r.id), mapping=r.to_hash())
                pipe.zadd(self.keys.patrols_day(r.date), {r.id: r.start})
                pipe.zadd(self.keys.patrols_worker(r.worker), {r.id: r.start})
            await pipe.execute()

    async def get(self, patrol_id: str) -> PatrolRecord | None:
        found = await self.redis.hgetall(self.keys.patrol(patrol_id))
        return PatrolRecord.from_hash(found) if found else None

    async def many(self, ids: Sequence[str]) -> list[PatrolRecord]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for patrol_id in ids:
                pipe.hgetall(self.keys.patrol(patrol_id))
            rows = await pipe.execute()
        return [PatrolRecord.from_hash(r) for r in rows if r]

    async def of_day(self, day: str) -> list[PatrolRecord]:
        return await self.many(await self.redis.zrange(self.keys.patrols_day(day), 0, -1))

    async def of_worker(self, worker: str, start_ms: int, end_ms: int) -> list[PatrolRecord]:
        ids = await self.redis.zrangebyscore(self.keys.patrols_worker(worker), start_ms,
                                             f"({end_ms}")
        return await self.many(ids)

    async def open_ids(self) -> dict[str, str]:
        """worker -> open patrol id."""
        return dict(await self.redis.hgetall(self.keys.patrols_open()))

    async def open_of(self, worker: str) -> str | None:
        found = await self.redis.hget(self.keys.patrols_open(), worker)
        return str(found) if found else None

    async def mark_closed(self, day: str, window: str, ttl_s: int) -> bool:
        """Claim the closing of a window (True for the one caller that does it)."""
        return bool(await self.redis.set(self.keys.patrol_window_closed(day, window), "1",
                                         nx=True, ex=ttl_s))
