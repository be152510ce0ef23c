"""The sample requests of Traccar's OsmAnd decoder test, and what Traccar decodes them to.

Each request is written here as Traccar's test sends it (method, path after the
server root, Content-Type, body); the expected values are what Traccar's decoder
makes of it, in our units (UTC ms, m/s, degrees, percent). ``ts=None`` means the
request has no time and the server's clock is used. ``attributes`` are what Traccar
keeps besides the position's own fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

KNOT = 1852 / 3600
JSON = "application/json"


@dataclass(frozen=True)
class Expected:
    device: str | None
    ts: int | None = None
    lat: float | None = None
    lon: float | None = None
    speed: float | None = None
    heading: float | None = None
    acc: float | None = None
    batt: float | None = None
    altitude: float | None = None
    charge: bool | None = None
    no_fix: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Sample:
    name: str
    method: str
    target: str  # path and query after the protocol's root
    content_type: str | None
    body: str
    expected: Expected


_MOTION = {"event": "motionchange", "motion": False, "odometer": 0}

SAMPLES: tuple[Sample, ...] = (
    # --- JSON bodies (Traccar Client 9) ---------------------------------------------------
    Sample("json, still, full battery", "POST", "", JSON,
           '{"location":{"timestamp":"2025-06-15T13:45:12.862Z","coords":{"latitude":37.4219983,'
           '"longitude":-122.084,"accuracy":5,"speed":0,"heading":-1,"altitude":5},'
           '"is_moving":false,"odometer":0,"event":"motionchange","battery":{"level":1,'
           '"is_charging":false},"activity":{"type":"still"},"extras":{},'
           '"_":"&id=48241179&lat=37.4219983&lon=-122.084&timestamp=2025-06-15T13:45:12.862Z&"},'
           '"device_id":"48241179"}',
           Expected("48241179", 1749995112862, 37.4219983, -122.084, 0.0, None, 5.0, 100.0, 5.0,
                    False, attributes={**_MOTION, "activity": "still"})),
    Sample("json, extras of every type", "POST", "", JSON,
           '{"location":{"timestamp":"2025-06-15T13:45:12.862Z","coords":{"latitude":37.4219983,'
           '"longitude":-122.084,"accuracy":5,"speed":0,"heading":-1,"altitude":5},'
           '"is_moving":false,"odometer":0,"event":"motionchange","battery":{"level":1,'
           '"is_charging":false},"activity":{"type":"still"},"extras":{"device_string_test":'
           '"long_device_id","device_bool_test":true,"device_bool_false_test":false,'
           '"device_integer_test":1,"device_integer_twelve_test":12,"device_double_test":1.345,'
           '"device_very_long_double_test":1763636.3442},'
           '"_":"&id=48241179&lat=37.4219983&lon=-122.084&timestamp=2025-06-15T13:45:12.862Z&"},'
           '"device_id":"48241179"}',
           Expected("48241179", 1749995112862, 37.4219983, -122.084, 0.0, None, 5.0, 100.0, 5.0,
                    False, attributes={
                        **_MOTION, "activity": "still", "device_string_test": "long_device_id",
                        "device_bool_test": True, "device_bool_false_test": False,
                        "device_integer_test": 1, "device_integer_twelve_test": 12,
                        "device_double_test": 1.345,
                        "device_very_long_double_test": 1763636.3442})),
    Sample("json, simulator with unknown speed and battery", "POST", "", JSON,
           '{"location":{"extras":{},"mock":true,"coords":{"speed_accuracy":-1,"speed":-1,'
           '"longitude":-122.406417,"ellipsoidal_altitude":0,"floor":null,"heading_accuracy":-1,'
           '"latitude":37.785834000000001,"accuracy":5,"altitude_accuracy":-1,"altitude":0,'
           '"heading":-1},"is_moving":false,"age":188,"odometer":0,'
           '"uuid":"2FB04C65-99CF-42AB-8DD3-EBCB4B108BF8","event":"motionchange",'
           '"battery":{"level":-1,"is_charging":false},"activity":{"type":"unknown",'
           '"confidence":100},"timestamp":"2025-05-09T04:11:30.579Z"},"device_id":"658765"}',
           Expected("658765", 1746763890579, 37.785834, -122.406417, None, None, 5.0, None, 0.0,
                    False, attributes={**_MOTION, "mock": True, "activity": "unknown"})),
    Sample("json, moving", "POST", "", JSON,
           '{"location":{"event":"motionchange","is_moving":false,'
           '"uuid":"0e9a2473-a9a7-4c00-997b-fb97d2154e75","timestamp":"2021-07-21T08:06:34.444Z",'
           '"odometer":0,"coords":{"latitude":-6.1148096,"longitude":106.6837015,"accuracy":3.8,'
           '"speed":18.67,"speed_accuracy":0.26,"heading":63,"heading_accuracy":0.28,'
           '"altitude":35.7,"altitude_accuracy":3.8},"activity":{"type":"still","confidence":100},'
           '"battery":{"is_charging":false,"level":0.79},"extras":{}},"device_id":"8737767034"}',
           Expected("8737767034", 1626854794444, -6.1148096, 106.6837015, 18.67, 63.0, 3.8, 79.0,
                    35.7, False, attributes={**_MOTION, "activity": "still"})),
    # --- query strings (OsmAnd, legacy Traccar Client) --------------------------------------
    Sample("cell towers and wifi only", "GET",
           "?id=123456&timestamp=1377177267&cell=257,02,16,2224&cell=257,02,16,2223,-90"
           "&wifi=00-14-22-01-23-45,-80&wifi=00-1C-B3-09-85-15,-70", None, "",
           Expected("123456", 1377177267000, no_fix="network_only")),
    Sample("no device id", "GET", "?timestamp=1377177267&lat=60.0&lon=30.0", None, "",
           Expected(None, 1377177267000, 60.0, 30.0)),
    Sample("ISO time with hdop and altitude", "GET",
           "?id=902064&lat=42.06288&lon=-88.23412&timestamp=2016-01-27T18%3A55%3A47Z&hdop=6.0"
           "&altitude=224.0&speed=0.0", None, "",
           Expected("902064", 1453920947000, 42.06288, -88.23412, 0.0, altitude=224.0,
                    attributes={"hdop": 6.0})),
    Sample("time in milliseconds", "GET",
           "?id=902064&lat=42.06288&lon=-88.23412&timestamp=1442068686579&hdop=6.0"
           "&altitude=224.0&speed=0.0", None, "",
           Expected("902064", 1442068686579, 42.06288, -88.23412, 0.0, altitude=224.0,
                    attributes={"hdop": 6.0})),
    Sample("date and time without a zone, id last", "GET",
           "?lat=49.60688&lon=6.15788&timestamp=2014-06-04+09%3A10%3A11&altitude=384.7"
           "&speed=0.0&id=353861053849681", None, "",
           Expected("353861053849681", 1401873011000, 49.60688, 6.15788, 0.0,
                    altitude=384.7)),
    Sample("bearing and hdop", "GET",
           "?id=123456&timestamp=1377177267&lat=60.0&lon=30.0&speed=0.0&bearing=0.0&altitude=0"
           "&hdop=0.0", None, "",
           Expected("123456", 1377177267000, 60.0, 30.0, 0.0, 0.0, altitude=0.0,
                    attributes={"hdop": 0.0})),
    Sample("position and time only", "GET", "?id=123456&timestamp=1377177267&lat=60.0&lon=30.0",
           None, "", Expected("123456", 1377177267000, 60.0, 30.0)),
    Sample("deviceid, heading, no time", "GET",
           "?lat=60.0&lon=30.0&speed=0.0&heading=0.0&vacc=0&hacc=0&altitude=0&deviceid=123456",
           None, "", Expected("123456", None, 60.0, 30.0, 0.0, 0.0, altitude=0.0,
                              attributes={"vacc": 0.0, "hacc": 0.0})),
    Sample("battery, no time", "GET",
           "?id=861001000719969&lat=41.666667&lon=-0.883333&altitude=350.059479&speed=0.000000"
           "&batt=87", None, "",
           Expected("861001000719969", None, 41.666667, -0.883333, 0.0, batt=87.0,
                    altitude=350.059479)),
    Sample("location pair", "GET", "?id=123456&timestamp=1377177267&location=60.0,30.0", None, "",
           Expected("123456", 1377177267000, 60.0, 30.0)),
    Sample("vehicle attributes", "GET",
           "?id=123456789012345&timestamp=1504763810&lat=40.7232948571&lon=-74.0061408571"
           "&bearing=7.19889788244&speed=40&ignition=true&rpm=933&fuel=24", None, "",
           Expected("123456789012345", 1504763810000, 40.7232948571, -74.0061408571, 40 * KNOT,
                    7.19889788244, attributes={"ignition": True, "rpm": 933.0, "fuel": 24.0})),
)

#: The sample devices, each registered to a grid worker of the seeded street.
DEVICE_OWNERS = {
    "48241179": "gw001", "658765": "gw002", "8737767034": "gw003", "123456": "gw004",
    "902064": "gw005", "353861053849681": "gw006", "861001000719969": "gw007",
    "123456789012345": "gw008",
}
