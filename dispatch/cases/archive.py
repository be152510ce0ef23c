"""The archive of closed cases: one compressed record per case, read like a live one.

A closed case left untouched for ``DISPATCH_ARCHIVE_AFTER`` seconds is compacted by the
clock (:meth:`CaseArchiveStore.compact_due`): its hash, its timeline and the records of
the photos only it uses become one record (JSON, raw deflate with a preset dictionary),
and its six listing indexes become one short line in a bucket hash of 64 case numbers
(department, grid, reporter, holder, light, report time: what the scope rules, the
filters and the reports need). One script moves it (``ARCHIVE``), after checking the case
is still closed and as Python read it; a second compaction of the same case does nothing.
A write to an archived case (the desk's ``reopen``, a late rating) restores the live case
first, in one script (``RESTORE``): fields, timeline, indexes, photo records as they were.

Photo files stay on disk; beside each file of an archived photo, ``<sha256>.cases`` names
the cases it was archived with (written before the move, so a crash leaves it harmless),
so ``GET /api/v1/media/{id}`` still finds who may see it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import zlib
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import orjson
from redis.asyncio import Redis

from dispatch.access import Parties, may_see_case
from dispatch.cases.listing import OPEN, Query, predicate
from dispatch.cases.model import Case, case_id, case_number
from dispatch.cases.search import ArchivePage
from dispatch.cases.states import OPEN_STATES, CaseState
from dispatch.identity.principal import Principal
from dispatch.keys import Keys
from dispatch.media import MediaMeta
from dispatch.rules import CENTRE
from dispatch.rules.vocab import CENTRE_NAMES
from dispatch.scripts import LuaScript, ScriptCall, Scripts

log = logging.getLogger("dispatch.cases.archive")

#: Case numbers per bucket hash (at most this many short fields: Redis keeps it a listpack).
BUCKET_SIZE = 64
#: Buckets read per round trip while a page is scanned.
BUCKETS_PER_READ = 16
#: Records read per round trip (reports, pages).
RECORDS_PER_READ = 500
SCOPE_SEPARATOR = "|"
ARCHIVED_STATES = frozenset({CaseState.CLOSED})
CASES_SUFFIX = ".cases"
#: A photo's id: the sha256 of its bytes, in hex.
MEDIA_ID_LEN = 64
RECORD_V1 = b"\x01"
#: The preset dictionary of version 1 records (never change it: add a version instead).
ZDICT_V1 = (
    b'"action":"reject","action":"reassign","action":"extend","hours":"action":"approve_ex'
    b'tension","approve":true,"action":"suspend","action":"resume","action":"cancel","acti'
    b'on":"duplicate","of":"C","action":"assign","member":"dm0","action":"supervise","acti'
    b'on":"return","reason":"","action":"reopen","to":"reopened","to":"triage","department'
    b'":"centre","action":"yellow","light":"yellow","action":"overdue","light":"red","acti'
    b'on":"escalate","level":1,"late_ms":"source":"open311","verifier":"gw0","suspended_at'
    b'":"resume_state":"accepted","extension":"clock":"working","limit_s":"start":"yellow_'
    b'share":"0.8","yellow_lead_s":"esc_after":"esc_notify":"lead,dispatcher,admin""tier":'
    b'"simple","tier":"hard","severity":"urgent","ok":false,"to":"reopened","rater":"citiz'
    b'en"{"h":{"lon":"117.0000000","tier":"complex","deadline":"1700000000000","escalation'
    b'_level":"0","grid":"001","updated":"1700000000000","item":"SS01","reporter":"gw001",'
    b'"rule_version":"jlc-2024.06","rule":"ss-public-facilities","light":"green","created"'
    b':"1700000000000","gen":"3","esc_at":"1700000000000,1700000000000,1700000000000","sev'
    b'erity":"normal","lat":"39.0000000","ver":"8","rework_count":"0","state":"closed","ye'
    b'llow_at":"1700000000000","department":"cgj","item_name":"","id":"C1","station":"S01"'
    b',"category":"SS","assignee":"dm001","rating":"5","raters":"grid_worker,assessor"},"t'
    b'":[{"ts":1700000000000,"by":"gw001","action":"report","from":null,"to":"reported","n'
    b'ote":"","media":["",""]},{"ts":1700000000000,"by":"system","action":"route","from":"'
    b'reported","to":"dispatched","department":"cgj","rule":"ss-public-facilities","deadli'
    b'ne":1700000000000},{"ts":1700000000000,"by":"dm001","action":"accept","from":"dispat'
    b'ched","to":"accepted","note":""},{"ts":1700000000000,"by":"dm001","action":"progress'
    b'","from":"accepted","to":"accepted","note":""},{"ts":1700000000000,"by":"dm001","act'
    b'ion":"resolve","from":"accepted","to":"resolved","note":"","media":["",""]},{"ts":17'
    b'00000000000,"by":"gw001","action":"verify","from":"resolved","to":"closed","note":""'
    b',"ok":true},{"ts":1700000000000,"by":"gw001","action":"rate","from":"closed","to":"c'
    b'losed","note":"","score":5,"rater":"grid_worker"},{"ts":1700000000000,"by":"assess1"'
    b',"action":"rate","from":"closed","to":"closed","note":"","score":5,"rater":"assessor'
    b'"}],"m":{"":{"h":{"type":"image/jpeg","ext":"jpg","size":"180000","ts":"170000000000'
    b'0","owner":"gw001"},"o":["gw001"],"c":["C1"]}},"x":["cases:all","cases:state:closed"'
    b',"cases:dept:cgj","cases:grid:001","cases:reporter:gw001","cases:assignee:dm001"]}'
)
ZDICTS = {RECORD_V1: ZDICT_V1}
NEVER_DECODE = {"NEVER_DECODE": True}


class ArchiveError(ValueError):
    """A record this server cannot read."""


def _deflate(data: bytes, zdict: bytes) -> bytes:
    co = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS, 9, zlib.Z_DEFAULT_STRATEGY, zdict)
    return co.compress(data) + co.flush()


def _inflate(data: bytes, zdict: bytes) -> bytes:
    do = zlib.decompressobj(-zlib.MAX_WBITS, zdict)
    return do.decompress(data) + do.flush()


@dataclass(frozen=True)
class PhotoRecord:
    """What Redis kept of one photo: its hash, uploaders and cases."""

    fields: dict[str, str]
    owners: tuple[str, ...]
    cases: tuple[str, ...]

    def meta(self, media_id: str) -> MediaMeta:
        f = self.fields
        return MediaMeta(media_id, f.get("type", ""), f.get("ext", ""), int(f.get("size") or 0),
                         int(f.get("ts") or 0), f.get("owner", ""), self.cases)


@dataclass(frozen=True)
class Record:
    """One archived case: the hash, the timeline, the photos only it used, and the index
    keys (after the street's prefix) it was taken out of."""

    fields: dict[str, str]
    timeline: list[dict[str, Any]]
    photos: dict[str, PhotoRecord] = field(default_factory=dict)
    indexes: tuple[str, ...] = ()

    @property
    def case(self) -> Case:
        return Case.from_hash(self.fields)

    def encode(self) -> bytes:
        body = {"h": self.fields, "t": self.timeline,
                "m": {mid: {"h": p.fields, "o": list(p.owners), "c": list(p.cases)}
                      for mid, p in self.photos.items()},
                "x": list(self.indexes)}
        return RECORD_V1 + _deflate(orjson.dumps(body), ZDICT_V1)

    @classmethod
    def decode(cls, blob: bytes) -> Record:
        zdict = ZDICTS.get(blob[:1])
        if zdict is None:
            raise ArchiveError(f"unknown archive record version {blob[:1]!r}")
        try:
            body = orjson.loads(_inflate(blob[1:], zdict))
        except (zlib.error, orjson.JSONDecodeError) as exc:
            raise ArchiveError("a damaged archive record") from exc
        photos = {mid: PhotoRecord(dict(p["h"]), tuple(p["o"]), tuple(p["c"]))
                  for mid, p in body.get("m", {}).items()}
        return cls(dict(body["h"]), list(body["t"]), photos, tuple(body.get("x", ())))


@dataclass(frozen=True)
class ArchivedPhoto:
    meta: MediaMeta
    parties: tuple[Parties, ...]  # of the archived cases it belongs to
    owners: frozenset[str]  # who uploaded it


def scope_line(case: Case) -> str:
    """The bucket's line of an archived case (what listing filters and scope rules read)."""
    values = (case.department or "", case.grid, case.reporter, case.assignee or "",
              case.stored_light, str(case.created))
    return SCOPE_SEPARATOR.join(v.replace(SCOPE_SEPARATOR, "") for v in values)


@dataclass(frozen=True)
class Scope:
    department: str | None
    grid: str
    reporter: str
    assignee: str | None
    light: str
    created: int

    @classmethod
    def parse(cls, line: str) -> Scope:
        d, g, r, a, light, created = line.split(SCOPE_SEPARATOR)
        return cls(d or None, g, r, a or None, light, int(created or 0))

    @property
    def parties(self) -> Parties:
        return Parties(self.department, self.assignee, self.reporter, self.grid)


def bucket_of(number: int) -> int:
    return number // BUCKET_SIZE


# KEYS[1] case hash, KEYS[2] its timeline, KEYS[3] archive record, KEYS[4] bucket hash,
#   KEYS[5] sorted set of the buckets in use, KEYS[6 .. 5+n] index sorted sets, then three
#   keys per photo (hash, owners, cases)
# ARGV[1] case id, ARGV[2] case number (bucket field), ARGV[3] version read,
#   ARGV[4] timeline length read, ARGV[5] record, ARGV[6] bucket line, ARGV[7] n indexes,
#   ARGV[8] archived state, ARGV[9] bucket number, then per photo its number of uploaders
# Returns 'archived' | 'already' | 'missing' | 'state' | 'changed'
ARCHIVE = LuaScript(
    "case_archive",
    """
if redis.call('EXISTS', KEYS[1]) == 0 then
  if redis.call('EXISTS', KEYS[3]) == 1 then return 'already' end
  return 'missing'
end
local h = redis.call('HMGET', KEYS[1], 'state', 'ver')
if h[1] ~= ARGV[8] then return 'state' end
if h[2] ~= ARGV[3] or redis.call('LLEN', KEYS[2]) ~= tonumber(ARGV[4]) then
  return 'changed'
end
local n = tonumber(ARGV[7])
local first = 6 + n
local photos = (#KEYS - first + 1) / 3
for i = 0, photos - 1 do
  local base = first + 3 * i
  if redis.call('SCARD', KEYS[base + 1]) ~= tonumber(ARGV[10 + i])
     or redis.call('SCARD', KEYS[base + 2]) > 1
     or (redis.call('SCARD', KEYS[base + 2]) == 1
         and redis.call('SISMEMBER', KEYS[base + 2], ARGV[1]) == 0) then
    return 'changed'
  end
end
redis.call('SET', KEYS[3], ARGV[5])
redis.call('HSET', KEYS[4], ARGV[2], ARGV[6])
redis.call('ZADD', KEYS[5], ARGV[9], ARGV[9])
redis.call('DEL', KEYS[1], KEYS[2])
for i = 6, 5 + n do redis.call('ZREM', KEYS[i], ARGV[1]) end
for i = first, #KEYS do redis.call('DEL', KEYS[i]) end
return 'archived'
""",
)

# KEYS[1] case hash, KEYS[2] its timeline, KEYS[3] archive record, KEYS[4] bucket hash,
#   KEYS[5] sorted set of the buckets in use, KEYS[6 .. 5+n] index sorted sets, then three
#   keys per photo (hash, owners, cases)
# ARGV[1] case id, ARGV[2] case number, ARGV[3] the record as read (restored only if it is
#   still the one stored), ARGV[4] restore plan (JSON: fields [k, v, ...], timeline [json],
#   photos [{h = [k, v, ...], o = [...], c = [...]}]), ARGV[5] n indexes,
#   ARGV[6] bucket number
# Returns 'restored' | 'live' | 'missing' | 'changed'
RESTORE = LuaScript(
    "case_restore",
    """
if redis.call('EXISTS', KEYS[1]) == 1 then return 'live' end
local stored = redis.call('GET', KEYS[3])
if not stored then return 'missing' end
if stored ~= ARGV[3] then return 'changed' end
local plan = cjson.decode(ARGV[4])
redis.call('HSET', KEYS[1], unpack(plan.fields))
if #plan.timeline > 0 then redis.call('RPUSH', KEYS[2], unpack(plan.timeline)) end
local n = tonumber(ARGV[5])
for i = 6, 5 + n do redis.call('ZADD', KEYS[i], ARGV[2], ARGV[1]) end
local first = 6 + n
for i, photo in ipairs(plan.photos) do
  local base = first + 3 * (i - 1)
  for j = 1, #photo.h, 2 do redis.call('HSETNX', KEYS[base], photo.h[j], photo.h[j + 1]) end
  if #photo.o > 0 then redis.call('SADD', KEYS[base + 1], unpack(photo.o)) end
  if #photo.c > 0 then redis.call('SADD', KEYS[base + 2], unpack(photo.c)) end
end
redis.call('DEL', KEYS[3])
redis.call('HDEL', KEYS[4], ARGV[2])
if redis.call('EXISTS', KEYS[4]) == 0 then redis.call('ZREM', KEYS[5], ARGV[6]) end
return 'restored'
""",
)
SCRIPTS = (ARCHIVE, RESTORE)


@dataclass(frozen=True, slots=True)
class _CaseMoveCall(ScriptCall[str]):
    """What both scripts move a case between, in their KEYS order: the live hash and
    timeline, the archive's record and bucket, the indexes and the photos' records."""

    case: str
    timeline: str
    record: str
    bucket: str
    buckets: str
    indexes: tuple[str, ...]
    photos: tuple[tuple[str, str, str], ...]

    def to_keys(self) -> list[str]:
        return [self.case, self.timeline, self.record, self.bucket, self.buckets,
                *self.indexes, *(k for photo in self.photos for k in photo)]

    def from_reply(self, reply: Any) -> str:
        return reply.decode() if isinstance(reply, bytes) else str(reply)


@dataclass(frozen=True, slots=True)
class ArchiveCall(_CaseMoveCall):
    script: ClassVar[LuaScript] = ARCHIVE
    cid: str
    version: str
    timeline_len: int
    blob: bytes
    line: str
    state: str
    owners: tuple[int, ...]

    def to_argv(self) -> list[Any]:
        number = case_number(self.cid) or 0
        return [self.cid, number, self.version, self.timeline_len, self.blob, self.line,
                len(self.indexes), self.state, bucket_of(number), *self.owners]


@dataclass(frozen=True, slots=True)
class RestoreCall(_CaseMoveCall):
    script: ClassVar[LuaScript] = RESTORE
    cid: str
    blob: bytes
    plan: bytes

    def to_argv(self) -> list[Any]:
        number = case_number(self.cid) or 0
        return [self.cid, number, self.blob, self.plan, len(self.indexes), bucket_of(number)]


def _flat(fields: Mapping[str, str]) -> list[str]:
    return [x for k, v in fields.items() for x in (k, v)]


class CaseArchiveStore:
    """Compaction, reads and restoration of archived cases (a :class:`CaseArchive` for the
    listing and the search)."""

    def __init__(self, redis: Redis, keys: Keys, scripts: Scripts, media_dir: Path, *,
                 after_s: int, batch: int, scan_max: int) -> None:
        self.redis = redis
        self.keys = keys
        self.scripts = scripts
        self.media_dir = media_dir
        self.after_ms = after_s * 1000
        self.batch = batch
        self.scan_max = scan_max
        self._cursor = 0  # the compaction pass goes on above this case number

    # --- keys -----------------------------------------------------------------------
    def _indexes(self, case: Case) -> tuple[str, ...]:
        k = self.keys
        found = [k.cases_all(), k.cases_in_state(case.state.value), k.cases_in_grid(case.grid),
                 k.cases_reported_by(case.reporter)]
        if case.department:
            found.append(k.cases_in_department(case.department))
        if case.assignee:
            found.append(k.cases_held_by(case.assignee))
        found += [k.cases_assisted_by(part.department) for part in case.parts]  # 协办
        return tuple(found)

    def _photo_keys(self, media_id: str) -> tuple[str, str, str]:
        k = self.keys
        return k.media(media_id), k.media_owners(media_id), k.media_cases(media_id)

    def _short(self, key: str) -> str:
        return key[len(self.keys.prefix):]

    def _bucket(self, number: int) -> str:
        return self.keys.archive_bucket(bucket_of(number))

    def cases_file(self, media_id: str) -> Path:
        return self.media_dir / media_id[:2] / f"{media_id}{CASES_SUFFIX}"

    # --- compaction -----------------------------------------------------------------
    async def compact(self, cid: str) -> str:
        """Move one closed case into the archive: ``archived``, ``already`` (it was),
        ``missing``, ``state`` (not closed) or ``changed`` (it moved meanwhile: later)."""
        k = self.keys
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(k.case(cid))
            pipe.lrange(k.case_timeline(cid), 0, -1)
            raw, entries = await pipe.execute()
        if not raw:
            return "already" if await self.redis.exists(k.case_archived(cid)) else "missing"
        case = Case.from_hash(raw)
        if case.state not in ARCHIVED_STATES:
            return "state"
        timeline = [orjson.loads(e) for e in entries]
        media = list(dict.fromkeys(m for e in timeline for m in e.get("media", ())))
        photos: dict[str, PhotoRecord] = {}
        async with self.redis.pipeline(transaction=False) as pipe:
            for mid in media:
                hkey, okey, ckey = self._photo_keys(mid)
                pipe.hgetall(hkey)
                pipe.smembers(okey)
                pipe.smembers(ckey)
            rows = await pipe.execute()
        for n, mid in enumerate(media):
            fields, owners, cases = rows[3 * n: 3 * n + 3]
            if fields and set(cases) <= {cid}:  # a photo shared with another case stays
                photos[mid] = PhotoRecord(dict(fields), tuple(sorted(owners)),
                                          tuple(sorted(cases)))
        indexes = self._indexes(case)
        record = Record(dict(raw), timeline, photos, tuple(self._short(i) for i in indexes))
        for mid in photos:
            await asyncio.to_thread(self._note_case, mid, cid)
        return await self.scripts.run(ArchiveCall(
            k.case(cid), k.case_timeline(cid), k.case_archived(cid), self._bucket(case.number),
            k.archive_buckets(), indexes, tuple(self._photo_keys(mid) for mid in photos), cid,
            raw.get("ver", ""), len(entries), record.encode(), scope_line(case), case.state.value,
            tuple(len(p.owners) for p in photos.values())))

    def _note_case(self, media_id: str, cid: str) -> None:
        """Name ``cid`` beside the photo's file (atomically replaced; kept if present)."""
        path = self.cases_file(media_id)
        known = self._noted(path)
        if cid in known:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text("".join(f"{c}\n" for c in (*known, cid)))
        os.replace(tmp, path)

    @staticmethod
    def _noted(path: Path) -> list[str]:
        try:
            return [line for line in path.read_text().split() if line]
        except OSError:
            return []

    async def compact_due(self, now_ms: int) -> int:
        """One pass: closed cases untouched for the delay, up to the batch; how many moved."""
        closed = self.keys.cases_in_state(CaseState.CLOSED.value)
        rows = await self.redis.zrangebyscore(closed, f"({self._cursor}", "+inf", start=0,
                                              num=self.batch, withscores=True)
        if len(rows) < self.batch:
            self._cursor = 0  # the next pass starts again from the oldest
        if not rows:
            return 0
        ids = [str(cid) for cid, _ in rows]
        if len(rows) == self.batch:
            self._cursor = int(rows[-1][1])
        async with self.redis.pipeline(transaction=False) as pipe:
            for cid in ids:
                pipe.hget(self.keys.case(cid), "updated")
            updated = await pipe.execute()
        moved = 0
        for cid, at in zip(ids, updated, strict=True):
            if at is not None and int(at) + self.after_ms <= now_ms:
                try:
                    moved += await self.compact(cid) == "archived"
                except Exception:
                    log.exception("case %s was not archived", cid)
        return moved

    async def compact_all(self, now_ms: int) -> int:
        """Passes until every closed case due at ``now_ms`` is archived; how many moved."""
        self._cursor = 0
        moved = await self.compact_due(now_ms)
        while self._cursor:
            moved += await self.compact_due(now_ms)
        return moved

    # --- reads ----------------------------------------------------------------------
    async def load(self, cid: str) -> Record | None:
        blob = await self.redis.execute_command("GET", self.keys.case_archived(cid),
                                                **NEVER_DECODE)
        return Record.decode(blob) if blob else None

    async def load_many(self, ids: Sequence[str]) -> dict[str, Record]:
        found: dict[str, Record] = {}
        for start in range(0, len(ids), RECORDS_PER_READ):
            chunk = ids[start:start + RECORDS_PER_READ]
            blobs = await self.redis.execute_command(
                "MGET", *(self.keys.case_archived(c) for c in chunk), **NEVER_DECODE)
            for cid, blob in zip(chunk, blobs, strict=True):
                if blob:
                    found[cid] = Record.decode(blob)
        return found

    async def _buckets(self, numbers: Sequence[int]) -> list[dict[int, Scope]]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for b in numbers:
                pipe.hgetall(self.keys.archive_bucket(b))
            rows = await pipe.execute()
        return [{int(n): Scope.parse(str(line)) for n, line in row.items()} for row in rows]

    async def _in_use(self, below: int | None, count: int) -> list[int]:
        """Up to ``count`` buckets holding archived cases, highest first, below ``below``."""
        top = f"({below}" if below is not None else "+inf"
        return [int(b) for b in await self.redis.zrevrangebyscore(
            self.keys.archive_buckets(), top, "-inf", start=0, num=count)]

    async def _all_in_use(self) -> list[int]:
        return sorted(int(b) for b in await self.redis.zrange(self.keys.archive_buckets(), 0, -1))

    async def records(self) -> AsyncIterator[Record]:
        """Every archived case, oldest first (the reports read them beside the live ones)."""
        used = await self._all_in_use()
        for start in range(0, len(used), BUCKETS_PER_READ):
            rows = await self._buckets(used[start:start + BUCKETS_PER_READ])
            ids = [case_id(n) for row in rows for n in sorted(row)]
            found = await self.load_many(ids)
            for cid in ids:
                if cid in found:
                    yield found[cid]

    async def count(self) -> int:
        used = await self._all_in_use()
        async with self.redis.pipeline(transaction=False) as pipe:
            for b in used:
                pipe.hlen(self.keys.archive_bucket(b))
            return sum(int(n) for n in await pipe.execute()) if used else 0

    async def page(self, actor: Principal, query: Any, below: int | None, limit: int,
                   now_ms: int) -> ArchivePage:
        """Archived cases passing the listing's filters and search, newest first."""
        q: Query = query
        keep = predicate(actor, q, now_ms, await self._department_names()
                         if q.search.words else None)
        if q.states and not any(keep_state(q.states, s) for s in ARCHIVED_STATES):
            return ArchivePage([], None)
        top = (below - 1) if below is not None else None
        found: list[dict[str, Any]] = []
        examined = 0
        under = bucket_of(top) + 1 if top is not None else None
        while True:
            numbers = await self._in_use(under, BUCKETS_PER_READ)
            if not numbers:
                return ArchivePage(found, None)
            rows = await self._buckets(numbers)
            candidates = []
            lowest = None
            for row in rows:
                for n in sorted(row, reverse=True):
                    if top is not None and n > top:
                        continue
                    examined += 1
                    lowest = n
                    if _may_pass(row[n], q, actor):
                        candidates.append(case_id(n))
            records = await self.load_many(candidates)
            for cid in candidates:
                rec = records.get(cid)
                if rec is None:
                    continue
                case = rec.case
                if keep(case, _report_text(rec.timeline)):
                    found.append(case.summary(now_ms))
                    if len(found) >= limit:
                        return ArchivePage(found, case.number)
            under = numbers[-1]
            if examined >= self.scan_max and lowest is not None:
                return ArchivePage(found, lowest)

    async def _department_names(self) -> dict[str, tuple[str, ...]]:
        raw = await self.redis.hgetall(self.keys.org_departments())
        names: dict[str, tuple[str, ...]] = {CENTRE: tuple(CENTRE_NAMES)}
        for dept, body in raw.items():
            d = orjson.loads(body)
            names[str(dept)] = tuple(str(n) for n in (d.get("name"), d.get("name_en")) if n)
        return names

    async def photo(self, media_id: str) -> ArchivedPhoto | None:
        """An archived photo: its record, uploaders and the parties of its archived cases."""
        if not (media_id.isalnum() and media_id.isascii() and len(media_id) == MEDIA_ID_LEN):
            return None
        ids = await asyncio.to_thread(self._noted, self.cases_file(media_id))
        meta: MediaMeta | None = None
        parties: list[Parties] = []
        owners: set[str] = set()
        for rec in (await self.load_many(ids)).values() if ids else ():
            found = rec.photos.get(media_id)
            if found is None:
                continue
            parties.append(rec.case.parties)
            owners.update(found.owners)
            meta = meta or found.meta(media_id)
        return ArchivedPhoto(meta, tuple(parties), frozenset(owners)) if meta else None

    # --- restoration ----------------------------------------------------------------
    async def restore(self, cid: str) -> str:
        """Put an archived case back in the live store as it was: ``restored``, ``live``
        (it already is), ``missing`` or ``changed`` (read again)."""
        k = self.keys
        blob = await self.redis.execute_command("GET", k.case_archived(cid), **NEVER_DECODE)
        if not blob:
            return "live" if await self.redis.exists(k.case(cid)) else "missing"
        rec = Record.decode(blob)
        plan = orjson.dumps({
            "fields": _flat(rec.fields),
            "timeline": [orjson.dumps(e).decode() for e in rec.timeline],
            "photos": [{"h": _flat(p.fields), "o": list(p.owners), "c": list(p.cases)}
                       for p in rec.photos.values()],
        })
        number = case_number(cid) or 0
        return await self.scripts.run(RestoreCall(
            k.case(cid), k.case_timeline(cid), k.case_archived(cid), self._bucket(number),
            k.archive_buckets(), tuple(k.prefix + i for i in rec.indexes),
            tuple(self._photo_keys(mid) for mid in rec.photos), cid, blob, plan))


def keep_state(wanted: frozenset[str], state: CaseState) -> bool:
    return state.value in wanted or (OPEN in wanted and state in OPEN_STATES)


def _may_pass(scope: Scope, q: Query, actor: Principal) -> bool:
    """What the bucket line alone can refuse (the record decides the rest)."""
    s = q.search
    return ((q.department is None or scope.department == q.department)
            and (q.grid is None or scope.grid == q.grid)
            and (q.assignee is None or scope.assignee == q.assignee)
            and (q.light is None or scope.light == q.light)
            and (s.from_ms is None or scope.created >= s.from_ms)
            and (s.to_ms is None or scope.created <= s.to_ms)
            and may_see_case(actor, scope.parties))


def _report_text(timeline: Sequence[Mapping[str, Any]]) -> str:
    first = timeline[0] if timeline else {}
    return str(first.get("note") or "")

