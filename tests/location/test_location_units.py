"""Pure parts: record codec, batch judging, presence, wire readers, local days, the walk."""

from __future__ import annotations

import asyncio
import math
from datetime import date
from typing import Any

import msgspec
import orjson
import pytest
import shapely  # type: ignore[import-untyped,unused-ignore]

from dispatch.errors import BadRequest
from dispatch.geo.street import generate_street
from dispatch.geo.walk import patrol_walk
from dispatch.location.apps import (
    KNOT_MPS,
    NoFix,
    osmand_json_reports,
    osmand_report,
    owntracks_message,
)
from dispatch.location.bounds import bounded
from dispatch.location.codec import BUCKET_MS, RECORD_SIZE, Flag, bucket_of, pack, unpack_buckets
from dispatch.location.positions import PositionsCoalescer
from dispatch.location.protocols import parse_timestamp, ping_from_json
from dispatch.metrics import Metrics
from dispatch.patrol.days import LocalDays
from dispatch.patrol.filters import FilterConfig, Ping, Verdict
from dispatch.patrol.judge import judge_batch
from dispatch.patrol.presence import Presence, PresenceConfig, out_of_grid_due, presence_at
from dispatch.realtime.phone import FAST, WirePing, WirePings

T = 1_700_000_000_000
CFG = FilterConfig()
MIN = 60_000


def test_records_round_trip_in_time_order() -> None:
    pings = [Ping(T + 7_000, 39.0312345, 117.4212345, 4.5, 1.25, 359.9, 80.0),
             Ping(T, -33.8688197, 151.2092955),
             Ping(T + BUCKET_MS + 1, 39.0, 117.0, 9999.0, 700.0, 720.0, 150.0)]
    buckets: dict[bytes | str, bytes] = {}
    for p in sorted(pings, key=lambda p: p.ts):
        field = str(bucket_of(p.ts)).encode()
        buckets[field] = buckets.get(field, b"") + pack(p, Flag.JUMP if p.acc else Flag.OK)
    assert all(len(v) % RECORD_SIZE == 0 for v in buckets.values()) and RECORD_SIZE == 20
    track = unpack_buckets(buckets)
    assert track.ts.tolist() == [T, T + 7_000, T + BUCKET_MS + 1]
    assert track.lat.tolist() == pytest.approx([-33.8688197, 39.0312345, 39.0], abs=1e-9)
    assert track.acc[1] == 4.5 and math.isnan(track.acc[0]) and track.acc[2] == 6553.4  # capped
    assert track.speed[1] == 1.25 and track.heading[1] == 359.9 and track.heading[2] == 0.0
    assert track.batt.tolist()[1:] == [80.0, 100.0]
    assert track.flag.tolist() == [Flag.OK, Flag.JUMP, Flag.JUMP]
    assert [p.ts for p in track.pings(accurate_only=False)] == track.ts.tolist()
    assert track.between(T + 1, T + 10_000).ts.tolist() == [T + 7_000]


def test_a_batch_is_judged_in_time_order_against_the_newest_fix() -> None:
    last = Ping(T, 39.03, 117.42)
    batch = [
        Ping(T + 10_000, 39.0301, 117.42),  # ok (11 m in 10 s)
        Ping(T, 39.03, 117.42),             # the newest fix again: duplicate
        Ping(T + 5_000, 39.0300, 117.4201),  # between them: ok
        Ping(T + 15_000, 39.10, 117.42),    # 7.7 km in 5 s: jump
        Ping(T + 20_000, 39.0302, 117.42, acc=80.0),  # inaccurate
        Ping(T + 10 * 3_600_000, 39.03, 117.42),      # hours ahead: future
    ]
    verdicts = judge_batch(batch, last=last, now_ms=T + 60_000, cfg=CFG)
    assert verdicts == [Verdict.OK, Verdict.DUPLICATE, Verdict.OK, Verdict.JUMP,
                        Verdict.INACCURATE, Verdict.FUTURE]
    assert judge_batch([], last=None, now_ms=T, cfg=CFG) == []


def test_presence() -> None:
    cfg = PresenceConfig(signal_lost_ms=5 * MIN, offline_ms=15 * MIN, out_of_grid_ms=5 * MIN)
    assert presence_at(T + 4 * MIN, seen_ms=T, patrol_since_ms=T - MIN, cfg=cfg) is Presence.ONLINE
    assert presence_at(T + 5 * MIN, seen_ms=T, patrol_since_ms=T - MIN,
                       cfg=cfg) is Presence.SIGNAL_LOST
    assert presence_at(T + 6 * MIN, seen_ms=None, patrol_since_ms=T + 2 * MIN,
                       cfg=cfg) is Presence.ONLINE  # counted from the patrol's start
    assert presence_at(T + 14 * MIN, seen_ms=T, patrol_since_ms=None, cfg=cfg) is Presence.ONLINE
    assert presence_at(T + 15 * MIN, seen_ms=T, patrol_since_ms=None,
                       cfg=cfg) is Presence.OFFLINE
    assert presence_at(T, seen_ms=None, patrol_since_ms=None, cfg=cfg) is Presence.OFFLINE
    assert out_of_grid_due(T + 5 * MIN, out_since_ms=T, cfg=cfg)
    assert not out_of_grid_due(T + 4 * MIN, out_since_ms=T, cfg=cfg)
    assert not out_of_grid_due(T + 40 * MIN, out_since_ms=None, cfg=cfg)


def test_timestamps() -> None:
    assert parse_timestamp("1700000000") == T
    assert parse_timestamp("1700000000.25") == T + 250
    assert parse_timestamp(str(T + 1)) == T + 1
    assert parse_timestamp("2023-11-14T22:13:20Z") == T
    assert parse_timestamp("2023-11-14T22:13:20.500+00:00") == T + 500
    assert parse_timestamp("2023-11-15 06:13:20+08:00") == T
    assert parse_timestamp("2023-11-14 22:13:20") == T  # no offset: UTC
    for bad in ("", "soon", "-5", "nan"):
        with pytest.raises(BadRequest):
            parse_timestamp(bad)


def test_wire_readers() -> None:
    fix = osmand_report({"id": " 42 ", "lat": "39.1", "lon": "117.2", "speed": "10",
                         "bearing": "12.5", "batt": "55", "accuracy": "3"}, now_ms=T)
    assert fix.device == "42" and fix.fix is not None and fix.fix.ts == T
    assert fix.fix.speed == pytest.approx(10 * KNOT_MPS) and fix.fix.heading == 12.5
    pair = osmand_report({"deviceid": "7", "location": "39.1,117.2"}, now_ms=T)
    assert pair.fix is not None and pair.fix.lon == 117.2
    # what an app sends is never refused: it says why there is no fix instead
    assert osmand_report({"id": "7", "location": "39.1"}, now_ms=T).no_fix is NoFix.BAD_POSITION
    assert osmand_report({"id": "7", "lat": "0", "lon": "0"}, T).no_fix is NoFix.NULL_ISLAND
    assert osmand_report({"id": "7", "batt": "50"}, T).no_fix is NoFix.HEARTBEAT
    assert osmand_report({"id": "7", "cell": "460,0,1,2"}, T).no_fix is NoFix.NETWORK_ONLY
    assert osmand_report({"id": "7", "lat": "1", "lon": "2", "timestamp": "soon"},
                         T).no_fix is NoFix.BAD_POSITION
    assert osmand_report({"lat": "1", "lon": "2"}, T).device is None
    many = osmand_json_reports({"device_id": "7", "location": [
        {"timestamp": "2023-11-14T22:13:20Z", "coords": {"latitude": 1.0, "longitude": 2.0}},
        {"timestamp": "2023-11-14T22:13:25Z", "coords": {"latitude": 1.0, "longitude": 2.0,
                                                        "speed": -1}}]}, T)
    assert [r.ts for r in many] == [T, T + 5_000]
    assert many[1].fix is not None and many[1].fix.speed is None
    own = owntracks_message({"_type": "location", "lat": 1.0, "lon": 2.0, "tst": 1_700_000_000,
                             "vel": 36, "cog": 90, "batt": 50, "acc": 10, "bs": 2}, T)
    assert own.report is not None and own.report.fix is not None and own.report.ts == T
    assert own.report.fix.speed == pytest.approx(10.0) and own.report.charge is True
    card = owntracks_message({"_type": "card", "name": "x"}, T)
    assert card.kind == "card" and card.report is None
    untimed = owntracks_message({"_type": "location", "lat": 1.0, "lon": 2.0}, T)
    assert untimed.report is not None and untimed.report.ts == T  # no tst: heard now


def test_measured_values_outside_physical_bounds_are_dropped_by_field() -> None:
    ping = Ping(T, 39.0, 117.0, acc=5.0, speed=1e300, heading=400.0, batt=80.0)
    kept, refused = bounded(ping)
    assert refused == ("speed", "heading")
    assert (kept.lat, kept.acc, kept.speed, kept.heading, kept.batt) == (39.0, 5.0, None, None,
                                                                        80.0)
    same, none = bounded(Ping(T, 39.0, 117.0, speed=1.2))
    assert none == () and same.speed == 1.2
    assert bounded(Ping(T, 39.0, 117.0, acc=-1.0, batt=250.0))[1] == ("acc", "batt")


def test_our_ping_reader_names_the_field() -> None:
    assert ping_from_json({"seq": 1, "ts": T, "lat": 1, "lon": 2}).lat == 1.0
    for bad, field in (({"ts": T, "lat": True, "lon": 2}, "p.lat"),
                       ({"ts": 1.5, "lat": 1, "lon": 2}, "p.ts"),
                       ({"ts": T, "lat": 1, "lon": 2, "seq": -1}, "p.seq"),
                       ({"lat": 1, "lon": 2}, "p.ts")):
        with pytest.raises(BadRequest) as exc:
            ping_from_json(bad, "p")
        assert exc.value.field == field


def test_local_days() -> None:
    days = LocalDays("Asia/Shanghai")
    start, end = days.bounds(date(2023, 11, 15))
    assert end - start == 24 * 3_600_000
    assert days.of(start) == "2023-11-15" and days.of(start - 1) == "2023-11-14"
    assert days.of(end - 1) == "2023-11-15" and days.of(start) == "2023-11-15"
    assert days.between(start - 1, start + 1) == ["2023-11-14", "2023-11-15"]
    dst = LocalDays("Europe/Berlin").bounds(date(2023, 3, 26))
    assert dst[1] - dst[0] == 23 * 3_600_000


def test_the_walk_stays_in_its_grid_at_walking_pace() -> None:
    grid = next(g for g in generate_street().grids if g.id == "050")
    ring = [list(p) for p in grid.polygon]
    lonlat = patrol_walk(ring, duration_s=1800, noise_m=0.0)
    assert len(lonlat) == 360
    polygon = shapely.Polygon(ring)
    assert shapely.contains_xy(polygon, lonlat[:, 0], lonlat[:, 1]).all()


class SlowScreens:
    """Where the coalescer emits: each event waits until the test lets it through."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.gate = asyncio.Event()
        self.waiting = asyncio.Event()

    async def emit(self, event: dict[str, Any]) -> int:
        self.waiting.set()
        await self.gate.wait()
        self.events.append(event)
        return len(self.events)


def test_positions_go_out_at_once_when_idle_and_share_an_event_under_load() -> None:
    async def scenario() -> list[dict[str, int]]:
        screens = SlowScreens()
        coalescer = PositionsCoalescer(screens, 50, Metrics())  # type: ignore[arg-type]
        coalescer.start()
        try:
            coalescer.offer({"worker": "gw001", "ts": 1})
            await screens.waiting.wait()  # the lone position is on its way, alone
            for n in range(2, 40):  # meanwhile (the screens are slow) 38 more arrive
                coalescer.offer({"worker": f"gw{n:03d}", "ts": n})
            coalescer.offer({"worker": "gw002", "ts": 99})  # replaces its earlier one
            screens.gate.set()
            while sum(len(e["items"]) for e in screens.events) < 39:
                await asyncio.sleep(0.01)
        finally:
            await coalescer.stop()
        return [{i["worker"]: i["ts"] for i in e["items"]} for e in screens.events]

    events = asyncio.run(scenario())
    assert events[0] == {"gw001": 1}
    assert len(events) == 2 and len(events[1]) == 38  # the burst shares one event
    assert events[1]["gw002"] == 99  # only a worker's newest position is sent


def as_ping(fix: Ping) -> Ping:
    """A decoded wire fix (a ``Ping`` subclass) as the plain ``Ping`` of its values."""
    return Ping(*(getattr(fix, name) for name in Ping.__struct_fields__))


def test_the_phones_fast_reader_agrees_with_the_general_one_or_leaves_it_the_message() -> None:
    good = [{"type": "ping", "seq": 3, "ts": T, "lat": 39, "lon": 117.5, "acc": 5,
             "batt": 80.0, "speed": None, "extra": [1]},
            {"type": "ping", "seq": 0, "ts": T, "lat": -1.5, "lon": 2.25, "heading": 359.9}]
    for message in good:
        fast = FAST.decode(orjson.dumps(message))
        assert isinstance(fast, WirePing)
        assert as_ping(fast) == ping_from_json(message)
    batch = {"type": "pings", "items": good}
    decoded = FAST.decode(orjson.dumps(batch))
    assert isinstance(decoded, WirePings)
    assert [as_ping(f) for f in decoded.items] == [ping_from_json(m) for m in good]
    wrong = [{"type": "ping", "seq": 1, "ts": float(T), "lat": 1.0, "lon": 1.0},
             {"type": "ping", "seq": 1, "ts": T, "lat": True, "lon": 1.0},
             {"type": "ping", "seq": -1, "ts": T, "lat": 1.0, "lon": 1.0},
             {"type": "ping", "seq": 1, "ts": T, "lat": "north", "lon": 1.0},
             {"type": "ping", "seq": 1, "ts": T, "lon": 1.0},
             {"type": "patrol.start"}]
    for message in wrong:  # each goes the general way, which names the field
        with pytest.raises(msgspec.ValidationError):
            FAST.decode(orjson.dumps(message))
