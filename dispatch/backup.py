"""``dispatch backup`` and ``dispatch restore``: one street's data in one archive.

The archive (``.tar.gz``) holds ``manifest.json`` (format, street, time, counts, Redis
version), ``redis.bin`` (every key of the street as Redis ``DUMP`` payloads with their time
to live) and ``media/`` (the photos). It is written from a running server, local or remote
(embedded or ``REDIS_URL``), without stopping anything: each key is copied whole, and keys
written during the copy may be newer than others (stop the web, worker and clock processes
first for a copy of one instant, or copy Redis's own AOF/RDB files; see docs/deploy.md).

``restore`` refuses to overwrite a street that has data unless forced; it then replaces every
key of the street with the archive's and puts the photos back.
"""

from __future__ import annotations

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


class BackupError(RuntimeError):
    pass


@dataclass(frozen=True)
class Summary:
    path: Path
    keys: int
    photos: int
    street: str


def default_path(settings: Settings) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return settings.data_dir / "backups" / f"dispatch-{settings.street}-{stamp}.tar.gz"


def _client(settings: Settings) -> Redis:
    url = resolve_redis_url(settings.redis_url, settings.redis_dir, settings.fsync)
    return make_async(url, decode_responses=False)


async def _street_keys(redis: Redis, keys: Keys) -> list[bytes]:
    return [k async for k in redis.scan_iter(match=keys.pattern(), count=SCAN_COUNT)]


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


async def backup(settings: Settings, path: Path | None = None) -> Summary:
    """Write the street's keys and photos to ``path`` (default under the data directory)."""
    keys = Keys(settings.street)
    target = path or default_path(settings)
    target.parent.mkdir(parents=True, exist_ok=True)
    redis = _client(settings)
    try:
        names = await _street_keys(redis, keys)
        if not names:
            raise BackupError(f"street {settings.street} has no data to back up")
        version = (await redis.info("server")).get("redis_version", "?")
        records: list[tuple[bytes, int, bytes]] = []
        with Counter("copying keys", len(names)) as counter:
            async for record in _dumps(redis, names):
                records.append(record)
                if len(records) % BATCH == 0:
                    counter.update(len(records))
            counter.update(len(names))
    finally:
        await redis.aclose()
    photos = sorted(p for p in settings.media_dir.rglob("*") if p.is_file()) \
        if settings.media_dir.exists() else []
    manifest = {"format": FORMAT, "street": settings.street, "created_ms": int(time.time() * 1000),
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
    return Summary(target, len(records), len(photos), settings.street)


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
    """Replace the street's data with the archive's (refused over existing data unless
    ``force``)."""
    keys = Keys(settings.street)
    try:
        tar = tarfile.open(path, "r:gz")  # noqa: SIM115 (closed by the with below)
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"{path} is not a dispatch backup: {exc}") from exc
    with tar, tempfile.TemporaryDirectory() as scratch:
        manifest: dict[str, Any] = json.loads(_read(tar, MANIFEST))
        if manifest.get("format") != FORMAT:
            raise BackupError(f"{path} is not a {FORMAT} archive")
        if manifest["street"] != settings.street:
            raise BackupError(f"the archive is street {manifest['street']}, this server's is "
                              f"{settings.street} (set DISPATCH_STREET)")
        records = list(read_records(_read(tar, DATA)))
        photos = [m for m in tar.getmembers() if m.isfile() and m.name.startswith(MEDIA + "/")]
        tar.extractall(scratch, members=photos, filter="data")
        redis = _client(settings)
        try:
            existing = await _street_keys(redis, keys)
            if existing and not force:
                raise BackupError(f"street {settings.street} has data ({len(existing)} keys); "
                                  "restore --force replaces it")
            await _replace(redis, existing, records)
        finally:
            await redis.aclose()
        _put_photos(Path(scratch) / MEDIA, settings.media_dir)
    return Summary(path, len(records), len(photos), settings.street)


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
