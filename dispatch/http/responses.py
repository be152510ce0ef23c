"""JSON responses (orjson) and the contract's error shape."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import JSONResponse, Response

from dispatch.errors import DispatchError, RateLimited

ORJSON_OPTIONS = orjson.OPT_NON_STR_KEYS


class ORJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=ORJSON_OPTIONS)


def json(content: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    return ORJSONResponse(content, status_code=status_code, headers=headers)


def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    err: dict[str, Any] = {"code": code, "message": message}
    if field is not None:
        err["field"] = field
    return {"error": err}


def error_response(exc: DispatchError) -> Response:
    headers = {}
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after_s)
    if exc.status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return json({"error": exc.to_dict()}, status_code=exc.status, headers=headers)
