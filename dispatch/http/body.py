"""Reading JSON request bodies; the checks themselves are in ``dispatch.validation``."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from dispatch.errors import BadRequest, UnsupportedMedia
from dispatch.validation import Fields, parse_json


async def read_json(request: Request) -> Any:
    """The parsed body; 415 for another content type, 400 for malformed JSON."""
    ctype = request.headers.get("content-type", "application/json").split(";")[0].strip()
    if ctype and ctype != "application/json" and not ctype.endswith("+json"):
        raise UnsupportedMedia(f"expected application/json, got {ctype}")
    raw = await request.body()
    if not raw:
        raise BadRequest("the request body is empty; expected a JSON object", code="empty_body")
    return parse_json(raw)


async def read_object(request: Request) -> Fields:
    return Fields.of(await read_json(request))
