"""Locations from phones and tracking apps, live workers, tracks."""

from __future__ import annotations

from typing import Annotated, Any

from msgspec import Meta, Struct, field

from dispatch.http.models.common import Day, Ms


class Ping(Struct, kw_only=True, forbid_unknown_fields=False):
    """One fix: ``ts`` in UTC ms; ``seq`` numbers it on a socket."""

    ts: int
    lat: float
    lon: float
    seq: Annotated[int, Meta(ge=0)] | None = None
    acc: float | None = None
    speed: float | None = None
    heading: float | None = None
    batt: float | None = None
    worker: str | None = None


class LocationsBody(Struct, kw_only=True):
    items: list[Any]  # each a Ping; a bad one is refused alone, by its index
    worker: str | None = None


class ItemError(Struct, kw_only=True):
    index: int
    code: str
    message: str
    field: str | None = None


class Uploaded(Struct, kw_only=True):
    received: int
    stored: int
    verdicts: dict[str, int]
    errors: list[ItemError]


class LiveWorker(Struct, kw_only=True, forbid_unknown_fields=False):
    worker: str
    grid: str | None = None
    station: str | None = None
    state: str | None = None


class Workers(Struct):
    ts: Ms
    items: list[LiveWorker]


class DayQuery(Struct, kw_only=True, forbid_unknown_fields=False):
    date: Day | None = None


OSMAND_QUERY = ("id", "deviceid", "lat", "lon", "location", "timestamp", "speed", "bearing",
                "heading", "altitude", "accuracy", "batt")


class OsmandQuery(Struct, kw_only=True, forbid_unknown_fields=False):
    """OsmAnd / Traccar Client's parameters (also as a form body)."""

    id: str | None = None
    deviceid: str | None = None
    lat: str | None = None
    lon: str | None = None
    location: str | None = None
    timestamp: str | None = None
    speed: str | None = None
    bearing: str | None = None
    heading: str | None = None
    altitude: str | None = None
    accuracy: str | None = None
    batt: str | None = None


class Ingested(Struct, kw_only=True, forbid_unknown_fields=False):
    ok: bool
    verdicts: dict[str, int]


OSMAND_BODY = {"required": False, "content": {
    "application/x-www-form-urlencoded": {"schema": {"type": "object",
                                                     "additionalProperties": {"type": "string"}}},
    "application/json": {"schema": {"type": "object", "description":
                                    "Traccar Client's JSON: device_id, location{timestamp, "
                                    "coords{latitude, longitude, ...}, battery}"}}}}
OWNTRACKS_BODY = {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["_type"],
    "properties": {"_type": {"type": "string"}, "lat": {"type": "number"},
                   "lon": {"type": "number"}, "tst": {"type": "integer"},
                   "acc": {"type": "number"}, "batt": {"type": "number"},
                   "vel": {"type": "number"}, "cog": {"type": "number"},
                   "alt": {"type": "number"}, "tid": {"type": "string"}}}}}}
EMPTY_LIST = {"application/json": {"schema": {"type": "array", "maxItems": 0}}}


class TrackQuery(Struct, kw_only=True, forbid_unknown_fields=False):
    """A time range (``from``/``to``, UTC ms) or a local ``date``; the simplification asked."""

    date: Day | None = None
    from_: Annotated[int, Meta(ge=0)] | None = field(default=None, name="from")
    to: Annotated[int, Meta(ge=0)] | None = None
    tolerance_m: Annotated[float, Meta(gt=0)] | None = None


class ToleranceQuery(Struct, kw_only=True, forbid_unknown_fields=False):
    tolerance_m: Annotated[float, Meta(gt=0)] | None = None


class TrackingSetup(Struct, kw_only=True, forbid_unknown_fields=False):
    """What a grid worker's phone needs to set up Traccar Client and OwnTracks."""

    public_url: str
    configured: bool
    reachable: bool
    traccar: dict[str, Any]
    owntracks: dict[str, Any]
