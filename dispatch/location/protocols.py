"""Reading our own pings from the wire, and the timestamps every protocol sends.

The reader returns :class:`Ping` values in our units (UTC ms, m/s, degrees, battery
percent) or raises BadRequest naming the field; whether a fix is plausible is the
filter's business, not the reader's. The tracking apps' protocols (OsmAnd / Traccar
Client, OwnTracks) are read in ``apps.py``, which never refuses what an app sends.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from dispatch.errors import BadRequest
from dispatch.patrol.filters import Ping

MS_PER_S = 1000
#: A numeric timestamp above this is in milliseconds, else in seconds.
MS_THRESHOLD = 2**31
MAX_SEQ = 2**53


def _name(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _missing(path: str, key: str) -> BadRequest:
    name = _name(path, key)
    return BadRequest(f"{name} is required", code="missing_field", field=name)


def _wrong(path: str, key: str, expected: str) -> BadRequest:
    name = _name(path, key)
    return BadRequest(f"{name} must be {expected}", code="invalid_field", field=name)


def _number(obj: Mapping[str, Any], key: str, path: str) -> float | None:
    value = obj.get(key)
    if value is None:
        return None
    kind = type(value)
    if kind is float or kind is int:
        return float(value)
    raise _wrong(path, key, "a number")


def _required_number(obj: Mapping[str, Any], key: str, path: str) -> float:
    value = _number(obj, key, path)
    if value is None:
        raise _missing(path, key)
    return value


def ping_from_json(obj: Any, path: str = "") -> Ping:
    """Our ping: ``{"seq"?, "ts" (ms), "lat", "lon", "acc"?, "speed"?, "heading"?, "batt"?}``."""
    if not isinstance(obj, dict):
        raise BadRequest("a ping is a JSON object", code="invalid_type", field=path or None)
    ts = obj.get("ts")
    if ts is None:
        raise _missing(path, "ts")
    if type(ts) is not int:
        raise _wrong(path, "ts", "an integer (UTC milliseconds)")
    seq = obj.get("seq")
    if seq is not None and (type(seq) is not int or not 0 <= seq < MAX_SEQ):
        raise _wrong(path, "seq", "a non-negative integer")
    return Ping(ts=ts, lat=_required_number(obj, "lat", path),
                lon=_required_number(obj, "lon", path), acc=_number(obj, "acc", path),
                speed=_number(obj, "speed", path), heading=_number(obj, "heading", path),
                batt=_number(obj, "batt", path), seq=seq)


def parse_timestamp(raw: str | float, key: str = "timestamp") -> int:
    """Unix seconds, or milliseconds when above 2^31, or ISO-8601 (UTC when no offset)."""
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        value = float(raw)
    else:
        text = str(raw).strip()
        try:
            value = float(text)
        except ValueError:
            return _iso_ms(text, key)
    if not math.isfinite(value) or value <= 0:
        raise _wrong("", key, "a positive Unix time")
    return round(value if value > MS_THRESHOLD else value * MS_PER_S)


def _iso_ms(text: str, key: str) -> int:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise _wrong("", key, "Unix seconds, milliseconds or an ISO-8601 time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return round(moment.timestamp() * MS_PER_S)
