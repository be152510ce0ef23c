"""Reading fixes from the wire: our own pings, OsmAnd / Traccar Client and OwnTracks.

Every reader returns :class:`Ping` values in our units (UTC ms, m/s, degrees, battery
percent) or raises BadRequest naming the field; whether a fix is plausible is the
filter's business, not the reader's.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from dispatch.clock import MS_PER_S
from dispatch.errors import BadRequest
from dispatch.patrol.filters import Ping

#: A numeric timestamp above this is in milliseconds, else in seconds.
MS_THRESHOLD = 2**31
KNOT_MPS = 1852.0 / 3600.0
KMH_MPS = 1000.0 / 3600.0
PERCENT = 100.0
MAX_DEVICE_ID = 128
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


# --- OsmAnd / Traccar Client ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeviceFix:
    """A fix sent by a tracking app that names its device."""

    device: str
    ping: Ping


def _float_param(params: Mapping[str, str], key: str) -> float | None:
    raw = params.get(key)
    if raw is None or raw.strip() == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        raise _wrong("", key, "a number") from None
    if not math.isfinite(value):
        raise _wrong("", key, "a finite number")
    return value


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


def _device(raw: Any, key: str) -> str:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise _missing("", key)
    if not isinstance(raw, str | int) or isinstance(raw, bool):
        raise _wrong("", key, "a device id")
    device = str(raw).strip()
    if len(device) > MAX_DEVICE_ID:
        raise _wrong("", key, f"at most {MAX_DEVICE_ID} characters")
    return device


def _osmand_position(params: Mapping[str, str]) -> tuple[float, float]:
    lat, lon = _float_param(params, "lat"), _float_param(params, "lon")
    if lat is not None and lon is not None:
        return lat, lon
    location = params.get("location")
    if location is None:
        raise _missing("", "lat" if lat is None else "lon")
    parts = location.split(",")
    try:
        lat_s, lon_s = parts
        return float(lat_s), float(lon_s)
    except ValueError:
        raise _wrong("", "location", "lat,lon") from None


def osmand_fix(params: Mapping[str, str], now_ms: int) -> DeviceFix:
    """The OsmAnd protocol's parameters (query string or form): speed in knots."""
    device = _device(params.get("id") or params.get("deviceid"), "id")
    lat, lon = _osmand_position(params)
    raw_ts = params.get("timestamp")
    ts = parse_timestamp(raw_ts) if raw_ts not in (None, "") else now_ms
    knots = _float_param(params, "speed")
    heading = _float_param(params, "bearing")
    return DeviceFix(device, Ping(
        ts=ts, lat=lat, lon=lon, acc=_float_param(params, "accuracy"),
        speed=None if knots is None else knots * KNOT_MPS,
        heading=_float_param(params, "heading") if heading is None else heading,
        batt=_float_param(params, "batt"),
    ))


def _non_negative(value: float | None) -> float | None:
    """Background-geolocation apps send -1 for unknown speed and heading."""
    return None if value is None or value < 0 else value


def _object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadRequest(f"{path} must be an object", code="invalid_field", field=path)
    return value


def _json_location(location: Any, path: str) -> Ping:
    loc = _object(location, path)
    coords = _object(loc.get("coords"), f"{path}.coords")
    cpath = f"{path}.coords"
    raw_ts = loc.get("timestamp")
    if raw_ts is None:
        raise _missing(path, "timestamp")
    battery = loc.get("battery")
    level = _number(battery, "level", f"{path}.battery") if isinstance(battery, dict) else None
    return Ping(
        ts=parse_timestamp(raw_ts, f"{path}.timestamp"),
        lat=_required_number(coords, "latitude", cpath),
        lon=_required_number(coords, "longitude", cpath),
        acc=_non_negative(_number(coords, "accuracy", cpath)),
        speed=_non_negative(_number(coords, "speed", cpath)),
        heading=_non_negative(_number(coords, "heading", cpath)),
        batt=None if level is None or level < 0 else level * PERCENT,
    )


def osmand_json_fixes(body: Any) -> list[DeviceFix]:
    """The JSON body of newer Traccar Client versions (one location or a list)."""
    obj = _object(body, "body")
    device = _device(obj.get("device_id"), "device_id")
    location = obj.get("location")
    if location is None:
        raise _missing("", "location")
    items = location if isinstance(location, list) else [location]
    return [DeviceFix(device, _json_location(item, f"location[{n}]" if
                                             isinstance(location, list) else "location"))
            for n, item in enumerate(items)]


# --- OwnTracks ---------------------------------------------------------------------------

OWNTRACKS_LOCATION = "location"


def owntracks_ping(body: Any) -> Ping | None:
    """An OwnTracks ``_type: location`` message (tst in seconds, vel in km/h); None for others."""
    obj = _object(body, "body")
    if obj.get("_type") != OWNTRACKS_LOCATION:
        return None
    tst = obj.get("tst")
    if tst is None:
        raise _missing("", "tst")
    if type(tst) not in (int, float):
        raise _wrong("", "tst", "Unix seconds")
    vel = _number(obj, "vel", "")
    return Ping(
        ts=round(float(tst) * MS_PER_S),
        lat=_required_number(obj, "lat", ""),
        lon=_required_number(obj, "lon", ""),
        acc=_number(obj, "acc", ""),
        speed=None if vel is None or vel < 0 else vel * KMH_MPS,
        heading=_non_negative(_number(obj, "cog", "")),
        batt=_number(obj, "batt", ""),
    )
