"""What tracking apps send, decoded the way Traccar's own server decodes it.

Two protocols: OsmAnd (Traccar Client, every generation: the legacy Android app's
query-string POST, the v9 JSON body, the v10 form POST, heartbeats without a fix)
and OwnTracks' HTTP mode. A decoder never refuses a request: an app retries the
oldest message it holds until it gets a 2xx, so one refusal would stop every later
position of that phone. What cannot be used is said in the report instead
(``no_fix`` names why), and only an unknown device or bad credentials get a 4xx at
the entry point.

Units of the reports are ours: UTC milliseconds, m/s, degrees, battery percent.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from dispatch.patrol.filters import MAX_LAT, MAX_LON, Ping

MS_PER_S = 1000
#: A numeric timestamp below this is in seconds, else in milliseconds (as Traccar reads it).
SECONDS_BELOW = 2**31 - 1
KNOT_MPS = 1852.0 / 3600.0
KMH_MPS = 1000.0 / 3600.0
PERCENT = 100.0
MAX_DEVICE_ID = 128
#: Traccar's name of the alarm attribute, and the alarm of an SOS button.
ALARM = "alarm"
SOS = "sos"
TRUE_WORDS = frozenset({"true", "1"})


class NoFix(StrEnum):
    """Why a request that reached us carries no position to store."""

    HEARTBEAT = "heartbeat"  # no position at all (battery and charge only)
    NETWORK_ONLY = "network_only"  # cell towers or wifi access points, no GPS
    NULL_ISLAND = "null_island"  # exactly 0,0: a phone with no fix yet
    BAD_POSITION = "bad_position"  # unreadable or out of range
    NOT_VALID = "not_valid"  # the app itself says the fix is not valid
    EMPTY_BODY = "empty_body"
    UNREADABLE = "unreadable"  # a body we cannot read at all


@dataclass(frozen=True, slots=True)
class AppReport:
    """One position report of an app: a fix, or why there is none, and the phone's state."""

    device: str | None
    ts: int
    fix: Ping | None
    no_fix: NoFix | None
    batt: float | None = None
    charge: bool | None = None
    alarm: str | None = None
    altitude: float | None = None
    #: Everything else the app sent, as Traccar keeps it (hdop, ignition, event, ...).
    attributes: dict[str, Any] = field(default_factory=dict)

    @property
    def sos(self) -> bool:
        return self.alarm is not None and self.alarm.strip().lower() == SOS


def _float(raw: Any) -> float | None:
    """A finite number from a parameter or JSON value, else None."""
    if raw is None or isinstance(raw, bool):
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _non_negative(value: float | None) -> float | None:
    """Background-geolocation apps send -1 for an unknown speed, heading or battery."""
    return None if value is None or value < 0 else value


def _device(raw: Any) -> str | None:
    if raw is None or isinstance(raw, bool) or not isinstance(raw, str | int):
        return None
    device = str(raw).strip()
    return device if 0 < len(device) <= MAX_DEVICE_ID else None


def _time_ms(raw: Any) -> int | None:
    """Unix seconds, milliseconds, ISO-8601 or ``yyyy-MM-dd HH:mm:ss`` (UTC without an
    offset), or None when unreadable."""
    if raw is None or isinstance(raw, bool):
        return None
    number = _float(raw)
    if number is not None:
        if number <= 0:
            return None
        return round(number * MS_PER_S if number < SECONDS_BELOW else number)
    try:
        moment = datetime.fromisoformat(str(raw).strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return round(moment.timestamp() * MS_PER_S)


def _bool(raw: Any) -> bool | None:
    if raw is None:
        return None
    if isinstance(raw, bool):
        return raw
    return str(raw).strip().lower() in TRUE_WORDS


def _attribute(raw: str) -> Any:
    """An unknown parameter as Traccar keeps it: a number, true or false, else the text."""
    number = _float(raw)
    if number is not None:
        return number
    return {"true": True, "false": False}.get(raw, raw)


def position_problem(lat: float | None, lon: float | None) -> NoFix | None:
    """Why (lat, lon) is no usable position, or None when it is one."""
    if lat is None or lon is None or abs(lat) > MAX_LAT or abs(lon) > MAX_LON:
        return NoFix.BAD_POSITION
    if lat == 0.0 and lon == 0.0:
        return NoFix.NULL_ISLAND
    return None


# --- OsmAnd: query string or form ---------------------------------------------------------

#: Parameters with a meaning of their own; every other one is an attribute.
OSMAND_KNOWN = frozenset({
    "id", "deviceid", "timestamp", "lat", "lon", "location", "cell", "wifi", "speed",
    "bearing", "heading", "altitude", "accuracy", "batt", "charge", "valid", ALARM,
    "notificationToken",
})


def _osmand_position(params: Mapping[str, str]) -> tuple[float | None, float | None, bool]:
    """(lat, lon, sent): ``sent`` is whether the request carried a position at all."""
    lat_raw, lon_raw = params.get("lat"), params.get("lon")
    if lat_raw is not None or lon_raw is not None:
        return _float(lat_raw), _float(lon_raw), True
    location = params.get("location")
    if location is None:
        return None, None, False
    lat_s, _, lon_s = location.partition(",")
    return _float(lat_s), _float(lon_s), True


def osmand_report(params: Mapping[str, str], now_ms: int) -> AppReport:
    """The OsmAnd protocol's parameters (query string or form body); speed in knots."""
    device = _device(params.get("id") or params.get("deviceid"))
    raw_ts = params.get("timestamp")
    ts = _time_ms(raw_ts) if raw_ts else None
    lat, lon, sent = _osmand_position(params)
    knots = _non_negative(_float(params.get("speed")))
    heading = _float(params.get("bearing"))
    if heading is None:
        heading = _float(params.get("heading"))
    batt = _float(params.get("batt"))
    attributes = {k: _attribute(v) for k, v in params.items() if k not in OSMAND_KNOWN}
    valid = params.get("valid")
    if valid is not None:
        attributes["valid"] = _bool(valid)
    no_fix: NoFix | None
    if not sent:
        network = "cell" in params or "wifi" in params
        no_fix = NoFix.NETWORK_ONLY if network else NoFix.HEARTBEAT
    elif valid is not None and not attributes["valid"]:
        no_fix = NoFix.NOT_VALID
    else:
        no_fix = position_problem(lat, lon)
    if raw_ts and ts is None and no_fix is None:
        no_fix = NoFix.BAD_POSITION  # a fix of unknown time cannot be placed in a track
    at = now_ms if ts is None else ts
    fix = None
    if no_fix is None and lat is not None and lon is not None:
        fix = Ping(ts=at, lat=lat, lon=lon, acc=_float(params.get("accuracy")),
                   speed=None if knots is None else knots * KNOT_MPS, heading=heading, batt=batt)
    return AppReport(device, at, fix, no_fix, batt=batt, charge=_bool(params.get("charge")),
                     alarm=params.get(ALARM) or None, altitude=_float(params.get("altitude")),
                     attributes=attributes)


# --- OsmAnd: JSON bodies -------------------------------------------------------------------


def _location_report(device: str | None, loc: Any, now_ms: int) -> AppReport:
    """One ``location`` of the v9 JSON body (flutter background geolocation's shape)."""
    if not isinstance(loc, dict):
        return AppReport(device, now_ms, None, NoFix.UNREADABLE)
    ts = _time_ms(loc.get("timestamp"))
    at = now_ms if ts is None else ts
    attributes: dict[str, Any] = {}
    extras = loc.get("extras")
    if isinstance(extras, dict):
        attributes.update({k: v for k, v in extras.items()
                           if isinstance(v, str | int | float | bool) and k != ALARM})
    for key, name in (("event", "event"), ("is_moving", "motion"), ("odometer", "odometer"),
                      ("mock", "mock")):
        if key in loc:
            attributes[name] = loc[key]
    activity = loc.get("activity")
    if isinstance(activity, dict) and "type" in activity:
        attributes["activity"] = activity["type"]
    found = loc.get("battery")
    battery: dict[str, Any] = found if isinstance(found, dict) else {}
    level = _non_negative(_float(battery.get("level")))
    batt = None if level is None else round(level * PERCENT, 1)
    charge = _bool(battery.get("is_charging"))
    alarm = loc.get(ALARM)
    if alarm is None and isinstance(extras, dict):
        alarm = extras.get(ALARM)
    alarm_text = str(alarm) if isinstance(alarm, str | int) and str(alarm) else None
    coords = loc.get("coords")
    if not isinstance(coords, dict):
        return AppReport(device, at, None, NoFix.HEARTBEAT, batt, charge, alarm_text,
                         attributes=attributes)
    lat, lon = _float(coords.get("latitude")), _float(coords.get("longitude"))
    no_fix = position_problem(lat, lon)
    altitude = _float(coords.get("altitude"))
    fix = None
    if no_fix is None and lat is not None and lon is not None:
        fix = Ping(ts=at, lat=lat, lon=lon, acc=_non_negative(_float(coords.get("accuracy"))),
                   speed=_non_negative(_float(coords.get("speed"))),
                   heading=_non_negative(_float(coords.get("heading"))), batt=batt)
    return AppReport(device, at, fix, no_fix, batt, charge, alarm_text, altitude, attributes)


def _flat_params(obj: Mapping[str, Any]) -> dict[str, str]:
    """A JSON object of OsmAnd parameters (``{"id","lat","lon","timestamp",...}``)."""
    out: dict[str, str] = {}
    for key, value in obj.items():
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, str | int | float):
            out[key] = str(value)
    return out


def osmand_json_reports(body: Any, now_ms: int) -> list[AppReport]:
    """A JSON body: ``{"device_id","location":{...}|[...]}`` (Traccar Client 9), or OsmAnd
    parameters as an object or a list of objects."""
    if isinstance(body, list):
        return [r for item in body for r in osmand_json_reports(item, now_ms)] or [
            AppReport(None, now_ms, None, NoFix.EMPTY_BODY)]
    if not isinstance(body, dict):
        return [AppReport(None, now_ms, None, NoFix.UNREADABLE)]
    if "location" not in body or not isinstance(body["location"], dict | list):
        return [osmand_report(_flat_params(body), now_ms)]
    device = _device(body.get("device_id"))
    locations = body["location"] if isinstance(body["location"], list) else [body["location"]]
    if not locations:
        return [AppReport(device, now_ms, None, NoFix.EMPTY_BODY)]
    return [_location_report(device, loc, now_ms) for loc in locations]


# --- OwnTracks -----------------------------------------------------------------------------


class OwnTracksType(StrEnum):
    LOCATION = "location"
    TRANSITION = "transition"


#: ``bs``: 0 unknown, 1 unplugged, 2 charging, 3 full.
OWNTRACKS_CHARGING = {1: False, 2: True, 3: True}
#: A location trigger we read as the phone's alarm (OwnTracks itself has no SOS button;
#: trackers bridged to OwnTracks and customised apps send it).
OWNTRACKS_ALARM_TRIGGER = "a"


@dataclass(frozen=True, slots=True)
class Transition:
    """An OwnTracks region enter/leave event."""

    event: str
    region: str | None
    region_id: str | None
    ts: int


@dataclass(frozen=True, slots=True)
class OwnTracksMessage:
    """One OwnTracks message: its type, and the report and transition it carries."""

    kind: str
    report: AppReport | None = None
    transition: Transition | None = None


def _owntracks_report(obj: Mapping[str, Any], now_ms: int, alarm: str | None) -> AppReport:
    ts = _time_ms(obj.get("tst"))
    at = now_ms if ts is None else ts
    batt = _float(obj.get("batt"))
    charge = OWNTRACKS_CHARGING.get(obj["bs"]) if type(obj.get("bs")) is int else None
    altitude = _float(obj.get("alt"))
    if "lat" not in obj and "lon" not in obj:
        return AppReport(None, at, None, NoFix.HEARTBEAT, batt, charge, alarm, altitude)
    lat, lon = _float(obj.get("lat")), _float(obj.get("lon"))
    no_fix = position_problem(lat, lon)
    fix = None
    if no_fix is None and lat is not None and lon is not None:
        vel = _non_negative(_float(obj.get("vel")))
        fix = Ping(ts=at, lat=lat, lon=lon, acc=_non_negative(_float(obj.get("acc"))),
                   speed=None if vel is None else vel * KMH_MPS,
                   heading=_non_negative(_float(obj.get("cog"))), batt=batt)
    return AppReport(None, at, fix, no_fix, batt, charge, alarm, altitude)


def _owntracks_alarm(obj: Mapping[str, Any]) -> str | None:
    alarm = obj.get(ALARM)
    if isinstance(alarm, str) and alarm:
        return alarm
    if alarm is True or obj.get("t") == OWNTRACKS_ALARM_TRIGGER:
        return SOS
    return None


def owntracks_message(obj: Any, now_ms: int) -> OwnTracksMessage:
    """Any OwnTracks payload; types other than location and transition carry nothing."""
    if not isinstance(obj, dict):
        return OwnTracksMessage("unreadable")
    kind = obj.get("_type")
    if kind == OwnTracksType.LOCATION:
        return OwnTracksMessage(kind, _owntracks_report(obj, now_ms, _owntracks_alarm(obj)))
    if kind == OwnTracksType.TRANSITION:
        report = _owntracks_report(obj, now_ms, None)
        event = obj.get("event")
        transition = None
        if isinstance(event, str) and event:
            desc, rid = obj.get("desc"), obj.get("rid")
            transition = Transition(event, desc if isinstance(desc, str) else None,
                                    rid if isinstance(rid, str) else None, report.ts)
        return OwnTracksMessage(kind, report, transition)
    return OwnTracksMessage(kind if isinstance(kind, str) and kind else "unknown")
