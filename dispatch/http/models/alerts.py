"""Alerts: one model for worker, patrol, case and SOS alerts."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import Meta, Struct

from dispatch.http.models.common import Ms


class Alert(Struct, kw_only=True, forbid_unknown_fields=False):
    id: str
    kind: str
    severity: Any
    scope: dict[str, str]
    subject: dict[str, str]
    state: Literal["open", "acked", "cleared"]
    count: int
    first_ts: Ms
    last_ts: Ms
    note: str | None = None


class AlertDetail(Alert, kw_only=True, forbid_unknown_fields=False):
    log: list[dict[str, Any]] = []


class AlertPage(Struct):
    items: list[Alert]
    next_cursor: str | None


class AlertsQuery(Struct, kw_only=True, forbid_unknown_fields=False):
    state: Annotated[str, Meta(description="open, acked, cleared; comma-separated")] | None = None
    kind: Annotated[str, Meta(description="one kind or several, comma-separated")] | None = None
    station: str | None = None
    department: str | None = None
    cursor: str | None = None
    limit: Annotated[int, Meta(ge=1)] | None = None


class AckBody(Struct, kw_only=True):
    note: Annotated[str, Meta(max_length=2000)] = ""


class ResolveAlertBody(Struct, kw_only=True):
    note: Annotated[str, Meta(min_length=1, max_length=2000)]
