"""Photos."""

from __future__ import annotations

from msgspec import Struct

from dispatch.http.models.common import Ms

UPLOAD = {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary",
                            "description": "a JPEG, PNG, WebP or HEIC photo"}}}}}}
IMAGE = {f"image/{t}": {"schema": {"type": "string", "format": "binary"}}
         for t in ("jpeg", "png", "webp", "heic")}


class Media(Struct, kw_only=True):
    id: str
    type: str
    size: int
    ts: Ms
    url: str
