"""Listing alerts: the filters of ``GET /api/v1/alerts`` and an opaque cursor."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dispatch.alerts.model import AlertKind, AlertState
from dispatch.errors import BadRequest

#: Without ``state``: the alerts still to be dealt with.
ACTIVE_STATES = frozenset({AlertState.OPEN, AlertState.ACKED})
CURSOR_TAG = "a1:"
MAX_FILTER = 64


@dataclass(frozen=True)
class AlertQuery:
    states: frozenset[AlertState] = ACTIVE_STATES
    kinds: frozenset[AlertKind] = frozenset()
    station: str | None = None
    department: str | None = None
    limit: int = 100
    cursor: tuple[float, str] | None = None  # (score, id) of the last item sent

    def admits(self, alert: Mapping[str, Any]) -> bool:
        scope = alert.get("scope") or {}
        return (alert.get("state") in self.states
                and (not self.kinds or alert.get("kind") in self.kinds)
                and (self.station is None or scope.get("station") == self.station)
                and (self.department is None or scope.get("department") == self.department))


def encode_cursor(score: float, alert_id: str) -> str:
    raw = f"{CURSOR_TAG}{score!r}:{alert_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(raw: str) -> tuple[float, str]:
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
        if text.startswith(CURSOR_TAG):
            score, _, alert_id = text[len(CURSOR_TAG):].partition(":")
            if alert_id:
                return float(score), alert_id
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise BadRequest("the cursor is not one this server gave", code="invalid_cursor",
                     field="cursor")


def _param(params: Mapping[str, str], name: str) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if len(value) > MAX_FILTER * 4:
        raise BadRequest(f"{name} is too long", code="invalid_field", field=name)
    return value


def _choices(raw: str | None, known: set[str], name: str) -> frozenset[str]:
    if raw is None:
        return frozenset()
    found = frozenset(v.strip() for v in raw.split(",") if v.strip())
    if not found <= known:
        raise BadRequest(f"{name} is one or more of " + ", ".join(sorted(known)),
                         code="invalid_field", field=name)
    return found


def parse_alert_query(params: Mapping[str, str], *, default_limit: int,
                      max_limit: int) -> AlertQuery:
    states = _choices(_param(params, "state"), {s.value for s in AlertState}, "state")
    kinds = _choices(_param(params, "kind"), {k.value for k in AlertKind}, "kind")
    raw_limit = _param(params, "limit")
    limit = min(default_limit, max_limit)
    if raw_limit is not None:
        if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= max_limit:
            raise BadRequest(f"limit is an integer from 1 to {max_limit}",
                             code="invalid_field", field="limit")
        limit = int(raw_limit)
    cursor = _param(params, "cursor")
    station, department = _param(params, "station"), _param(params, "department")
    for name, value in (("station", station), ("department", department)):
        if value is not None and len(value) > MAX_FILTER:
            raise BadRequest(f"{name} is too long", code="invalid_field", field=name)
    return AlertQuery(
        states=frozenset(AlertState(s) for s in states) if states else ACTIVE_STATES,
        kinds=frozenset(AlertKind(k) for k in kinds), station=station, department=department,
        limit=limit, cursor=decode_cursor(cursor) if cursor else None)
