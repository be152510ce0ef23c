"""``dispatch backup`` and ``dispatch restore``: one street's data in one archive.

The archive (``.tar.gz``) holds ``manifest.json`` (format, street, time, counts, Redis
version), ``redis.bin`` (every key of the street as Redis ``DUMP`` payloads with their time
to live) and ``media/`` (the street's photos). Any street the deployment serves can be
backed up (the home street by default; :func:`backup_all` writes one archive per street),
and an archive restores into the street it names when this deployment serves it: on one
Redis or on a Redis Cluster, whichever the archive came from. A street's keys share one
hash tag, so on a cluster they are on one node, and the key scan is sent to that node.

In a deployment of several streets the photos directory is shared: a street's archive holds
the photos its keys name, and the photos no street's keys name (those of archived cases),
which cannot be told apart by street. It is written from a running server, local or remote
(embedded or ``REDIS_URL``), without stopping anything: each key is copied whole, and keys
written during the copy may be newer than others (stop the web, worker and clock processes
first for a copy of one instant, or copy Redis's own AOF/RDB files; see docs/deploy.md).

``restore`` refuses to overwrite a street that has data unless forced; it then replaces every
key of the street with the archive's and puts the photos back.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import struct
import tarfile
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster

from dispatch.connections import make_async
from dispatch.embedded_redis import resolve_redis_url
from dispatch.keys import Keys
from dispatch.progress import Counter
from dispatch.settings import Settings

FORMAT = "dispatch-backup/1"
MANIFEST = "manifest.json"
DATA = "redis.bin"
MEDIA = "media"
SCAN_COUNT = 1000
BATCH = 500
NO_EXPIRY = -1
GONE = -2
_HEADER = struct.Struct(">IqI")  # key length, pttl (ms, -1 none), payload length
#: A photo's key and file name: its sha256 in hex.
MEDIA_ID_LEN = 64
MEDIA_KEY = "media"


class BackupError(RuntimeError):
    pass


class NoData(BackupError):
    """The street has no key to back up."""


@dataclass(frozen=True)
class Summary:
    path: Path
    keys: int
    photos: int
    street: str


def served_streets(settings: Settings) -> list[str]:
    """The streets of this deployment, the home street first (the district centre too)."""
    from dispatch.district import street_codes

    return street_codes(settings)


def default_path(settings: Settings, street: str | None = None) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return settings.data_dir / "backups" / f"dispatch-{street or settings.street}-{stamp}.tar.gz"


def _client(settings: Settings) -> Redis:
    url = resolve_redis_url(settings.redis_url, settings.redis_dir, settings.fsync)
    return make_async(url, decode_responses=False)


async def _street_keys(redis: Redis, keys: Keys, match: str | None = None) -> list[bytes]:
    """Every key of the street (or those matching ``match`` within it). On a cluster the
    scan goes to the one node holding the street's slot (its hash tag), not to every node."""
    pattern = match or keys.pattern()
    if isinstance(redis, RedisCluster):
        await redis.initialize()
        node = redis.get_node_from_key(keys.prefix)
        return [k async for k in redis.scan_iter(match=pattern, count=SCAN_COUNT,
                                                 target_nodes=node)]
    return [k async for k in redis.scan_iter(match=pattern, count=SCAN_COUNT)]


async def _server_version(redis: Redis, keys: Keys) -> str:
    if isinstance(redis, RedisCluster):
        info = await redis.info("server", target_nodes=redis.get_node_from_key(keys.prefix))
    else:
        info = await redis.info("server")
    return str(info.get("redis_version", "?"))


def _media_ids(keys: Keys, names: list[bytes]) -> set[str]:
    """The photos a street's keys name (``...:media:<sha256>``)."""
    head = (keys.prefix + MEDIA_KEY + ":").encode()
    found = set()
    for name in names:
        if name.startswith(head):
            media_id = name[len(head):len(head) + MEDIA_ID_LEN].decode()
            if len(media_id) == MEDIA_ID_LEN:
                found.add(media_id)
    return found


async def _photos(redis: Redis, settings: Settings, keys: Keys,
                  names: list[bytes]) -> list[Path]:
    """The photo files of the street: every file in a one-street deployment; else those the
    street's keys name, and those no street's keys name (archived: not told apart)."""
    if not settings.media_dir.exists():
        return []
    files = sorted(p for p in settings.media_dir.rglob("*") if p.is_file())
    others = [s for s in served_streets(settings) if s != keys.street]
    if not others:
        return files
    own = _media_ids(keys, names)
    claimed: set[str] = set()
    for street in others:
        k = Keys(street)
        claimed |= _media_ids(k, await _street_keys(redis, k, k.media("*")))
    claimed -= own
    return [p for p in files if p.name[:MEDIA_ID_LEN] not in claimed]


async def _dumps(redis: Redis, names: list[bytes]) -> AsyncIterator[tuple[bytes, int, bytes]]:
    for start in range(0, len(names), BATCH):
        chunk = names[start:start + BATCH]
        async with redis.pipeline(transaction=False) as pipe:
            for name in chunk:
                pipe.pttl(name)
                pipe.dump(name)
            replies = await pipe.execute()
        for n, name in enumerate(chunk):
            pttl, payload = replies[2 * n], replies[2 * n + 1]
            if payload is not None and pttl != GONE:
                yield name, int(pttl), payload


def write_records(out: BinaryIO, records: list[tuple[bytes, int, bytes]]) -> None:
    for name, pttl, payload in records:
        out.write(_HEADER.pack(len(name), pttl, len(payload)))
        out.write(name)
        out.write(payload)


def read_records(data: bytes) -> Iterator[tuple[bytes, int, bytes]]:
    pos = 0
    while pos < len(data):
        if pos + _HEADER.size > len(data):
            raise BackupError("the archive's data is truncated")
        klen, pttl, plen = _HEADER.unpack_from(data, pos)
        pos += _HEADER.size
        name, payload = data[pos:pos + klen], data[pos + klen:pos + klen + plen]
        if len(name) != klen or len(payload) != plen:
            raise BackupError("the archive's data is truncated")
        pos += klen + plen
        yield name, pttl, payload


def _served(settings: Settings, street: str) -> str:
    streets = served_streets(settings)
    if street not in streets:
        raise BackupError(f"street {street} is not served here ({', '.join(streets)}; set "
                          "DISPATCH_STREETS)")
    return street


async def backup(settings: Settings, path: Path | None = None, *,
                 street: str | None = None) -> Summary:
    """Write ``street``'s keys and photos (default: the home street's) to ``path`` (default
    under the data directory)."""
    code = _served(settings, street or served_streets(settings)[0])
    keys = Keys(code)
    target = path or default_path(settings, code)
    target.parent.mkdir(parents=True, exist_ok=True)
    redis = _client(settings)
    try:
        names = await _street_keys(redis, keys)
        if not names:
            raise NoData(f"street {code} has no data to back up")
        version = await _server_version(redis, keys)
        records: list[tuple[bytes, int, bytes]] = []
        with Counter(f"copying keys of {code}", len(names)) as counter:
            async for record in _dumps(redis, names):
                records.append(record)
                if len(records) % BATCH == 0:
                    counter.update(len(records))
            counter.update(len(names))
        photos = await _photos(redis, settings, keys, names)
    finally:
        await redis.aclose()
    manifest = {"format": FORMAT, "street": code, "created_ms": int(time.time() * 1000),
                "keys": len(records), "photos": len(photos), "redis_version": version}
    data = io.BytesIO()
    write_records(data, records)
    partial = target.with_suffix(target.suffix + ".part")
    with tarfile.open(partial, "w:gz") as tar:
        _add(tar, MANIFEST, json.dumps(manifest, indent=2).encode())
        _add(tar, DATA, data.getvalue())
        for photo in photos:
            tar.add(photo, arcname=f"{MEDIA}/{photo.relative_to(settings.media_dir)}")
    partial.replace(target)
    return Summary(target, len(records), len(photos), code)


async def backup_all(settings: Settings, directory: Path | None = None) -> list[Summary]:
    """One archive per street served that has data (in ``directory``, default the data
    directory's ``backups/``)."""
    done = []
    for street in served_streets(settings):
        target = directory / default_path(settings, street).name if directory else None
        with contextlib.suppress(NoData):
            done.append(await backup(settings, target, street=street))
    if not done:
        raise NoData("no street served here has data to back up")
    return done


def _add(tar: tarfile.TarFile, name: str, content: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(content)
    info.mtime = int(time.time())
    tar.addfile(info, io.BytesIO(content))


def _read(tar: tarfile.TarFile, name: str) -> bytes:
    member = tar.extractfile(name)
    if member is None:
        raise BackupError(f"the archive has no {name}")
    return member.read()


async def restore(settings: Settings, path: Path, *, force: bool = False) -> Summary:
    """Replace the data of the archive's street (one this deployment serves) with the
    archive's; the other streets are left alone (refused over existing data unless
    ``force``)."""
    try:
        tar = tarfile.open(path, "r:gz")  # noqa: SIM115 (closed by the with below)
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"{path} is not a dispatch backup: {exc}") from exc
    with tar, tempfile.TemporaryDirectory() as scratch:
        manifest: dict[str, Any] = json.loads(_read(tar, MANIFEST))
        if manifest.get("format") != FORMAT:
            raise BackupError(f"{path} is not a {FORMAT} archive")
        street = str(manifest["street"])
        if street not in served_streets(settings):
            raise BackupError(f"the archive is street {street}, this server's are "
                              f"{', '.join(served_streets(settings))} (set DISPATCH_STREET "
                              "or DISPATCH_STREETS)")
        keys = Keys(street)
        records = list(read_records(_read(tar, DATA)))
        photos = [m for m in tar.getmembers() if m.isfile() and m.name.startswith(MEDIA + "/")]
        tar.extractall(scratch, members=photos, filter="data")
        redis = _client(settings)
        try:
            existing = await _street_keys(redis, keys)
            if existing and not force:
                raise BackupError(f"street {street} has data ({len(existing)} keys); "
                                  "restore --force replaces it")
            foreign = [r[0] for r in records if not r[0].startswith(keys.prefix.encode())]
            if foreign:
                raise BackupError(f"the archive of street {street} holds keys of another "
                                  f"street ({foreign[0]!r})")
            await _replace(redis, existing, records)
        finally:
            await redis.aclose()
        _put_photos(Path(scratch) / MEDIA, settings.media_dir)
    return Summary(path, len(records), len(photos), street)


async def _replace(redis: Redis, existing: list[bytes],
                   records: list[tuple[bytes, int, bytes]]) -> None:
    for start in range(0, len(existing), BATCH):
        await redis.unlink(*existing[start:start + BATCH])
    with Counter("restoring keys", len(records)) as counter:
        for start in range(0, len(records), BATCH):
            async with redis.pipeline(transaction=False) as pipe:
                for name, pttl, payload in records[start:start + BATCH]:
                    pipe.restore(name, max(0, pttl), payload, replace=True)
                await pipe.execute()
            counter.update(min(len(records), start + BATCH))


def _put_photos(source: Path, media_dir: Path) -> None:
    if not source.exists():
        return
    for photo in source.rglob("*"):
        if photo.is_file():
            dest = media_dir / photo.relative_to(source)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(photo, dest)
