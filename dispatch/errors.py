"""Domain errors. Entry points turn them into a status (HTTP) or a message (WebSocket)."""

from __future__ import annotations

from typing import Any


class DispatchError(Exception):
    """Base of every error a caller is told about."""

    status = 400
    code = "bad_request"

    def __init__(
        self, message: str, *, field: str | None = None, code: str | None = None, **extra: Any
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code
        self.extra = extra

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field is not None:
            body["field"] = self.field
        body.update(self.extra)
        return body


class BadRequest(DispatchError):
    status = 400
    code = "bad_request"


class Unauthorized(DispatchError):
    status = 401
    code = "unauthorized"


class Forbidden(DispatchError):
    status = 403
    code = "forbidden"


class NotFound(DispatchError):
    status = 404
    code = "not_found"


class Conflict(DispatchError):
    status = 409
    code = "conflict"


class PayloadTooLarge(DispatchError):
    status = 413
    code = "payload_too_large"


class UnsupportedMedia(DispatchError):
    status = 415
    code = "unsupported_media_type"


class RateLimited(DispatchError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after_s: int, **extra: Any) -> None:
        super().__init__(message, **extra)
        self.retry_after_s = retry_after_s


class Unavailable(DispatchError):
    status = 503
    code = "unavailable"
