"""Photos: type checked by content, size-limited, stored on disk by content hash.

The file lives at ``$DISPATCH_DATA/media/<2 hex>/<sha256>.<ext>``; Redis keeps its
type, size, uploaders and the cases it is attached to (who may see it follows the cases:
one picture may show two problems, so several reports of one reporter may share it).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

from redis.asyncio import Redis

from dispatch.errors import BadRequest, PayloadTooLarge, UnsupportedMedia
from dispatch.keys import Keys

MS = 1000
SNIFF_BYTES = 16
#: (magic test, MIME type, file extension)
SIGNATURES: tuple[tuple[str, str, str], ...] = (
    ("jpeg", "image/jpeg", "jpg"),
    ("png", "image/png", "png"),
    ("webp", "image/webp", "webp"),
    ("heic", "image/heic", "heic"),
)
HEIC_BRANDS = (b"heic", b"heix", b"mif1", b"msf1", b"hevc")


def sniff(data: bytes) -> str | None:
    """The image kind by its leading bytes, or None."""
    head = data[:SNIFF_BYTES]
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp" and head[8:12] in HEIC_BRANDS:
        return "heic"
    return None


@dataclass(frozen=True)
class MediaMeta:
    id: str
    type: str
    ext: str
    size: int
    ts: int
    owner: str
    cases: tuple[str, ...] = ()

    def public(self) -> dict[str, object]:
        return {"id": self.id, "type": self.type, "size": self.size, "ts": self.ts,
                "url": f"/api/v1/media/{self.id}"}


class MediaStore:
    def __init__(self, redis: Redis, keys: Keys, directory: Path, max_bytes: int) -> None:
        self.redis = redis
        self.keys = keys
        self.directory = directory
        self.max_bytes = max_bytes

    def path(self, meta: MediaMeta) -> Path:
        return self.directory / meta.id[:2] / f"{meta.id}.{meta.ext}"

    async def save(self, data: bytes, owner: str) -> MediaMeta:
        """Store a photo (once per content) and record ``owner`` as one of its uploaders."""
        if not data:
            raise BadRequest("the file is empty", code="empty_file", field="file")
        if len(data) > self.max_bytes:
            raise PayloadTooLarge(f"a photo is at most {self.max_bytes} bytes", field="file",
                                  limit_bytes=self.max_bytes)
        kind = sniff(data)
        if kind is None:
            raise UnsupportedMedia("only JPEG, PNG, WebP and HEIC photos are accepted",
                                   code="unsupported_image", field="file")
        _, mime, ext = next(s for s in SIGNATURES if s[0] == kind)
        digest = hashlib.sha256(data).hexdigest()
        meta = MediaMeta(digest, mime, ext, len(data), int(time.time() * MS), owner)
        await asyncio.to_thread(self._write, self.path(meta), data)
        key = self.keys.media(digest)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hsetnx(key, "owner", owner)
            for field, value in (("type", mime), ("ext", ext), ("size", len(data)),
                                 ("ts", meta.ts)):
                pipe.hsetnx(key, field, value)
            pipe.sadd(self.keys.media_owners(digest), owner)
            await pipe.execute()
        return meta

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)

    async def meta(self, media_id: str) -> MediaMeta | None:
        if not media_id.isalnum() or len(media_id) != hashlib.sha256().digest_size * 2:
            return None
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(self.keys.media(media_id))
            pipe.smembers(self.keys.media_cases(media_id))
            h, attached = await pipe.execute()
        if not h:
            return None
        cases = set(attached) | ({h["case"]} if h.get("case") else set())  # older records
        return MediaMeta(media_id, h["type"], h["ext"], int(h["size"]), int(h["ts"]),
                         h["owner"], tuple(sorted(cases)))

    async def owned_by(self, media_id: str, username: str) -> bool:
        """Whether ``username`` uploaded this photo."""
        return bool(await self.redis.sismember(self.keys.media_owners(media_id), username))
