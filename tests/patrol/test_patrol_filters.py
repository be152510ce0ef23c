"""Each filter verdict, and cleaning a messy track."""

import math
from typing import Any

import pytest

from dispatch.geo.projection import LocalProjection
from dispatch.patrol.filters import (
    FilterConfig,
    Ping,
    Verdict,
    classify,
    classify_track,
    clean_track,
)

CFG = FilterConfig(
    max_future_ms=60_000, max_age_ms=3_600_000, max_accuracy_m=50.0, max_speed_mps=15.0
)
NOW = 1_700_000_000_000
LAT, LON = 39.03, 117.42
PROJ = LocalProjection(LAT, LON)


def _at(ts: int, x_m: float = 0.0, y_m: float = 0.0, **kw: Any) -> Ping:
    lon, lat = PROJ.to_lonlat(x_m, y_m)
    return Ping(ts=ts, lat=lat, lon=lon, **kw)


def _verdict(ping: Ping, prev: Ping | None = None) -> Verdict:
    return classify(ping, now_ms=NOW, prev=prev, cfg=CFG)


def test_ok() -> None:
    assert _verdict(_at(NOW, acc=5.0)) is Verdict.OK
    assert _verdict(_at(NOW), prev=_at(NOW - 5_000, 7.0)) == "ok"


@pytest.mark.parametrize(
    "ping",
    [
        Ping(NOW, math.nan, LON),
        Ping(NOW, LAT, math.inf),
        Ping(NOW, 91.0, LON),
        Ping(NOW, LAT, -180.5),
        Ping(NOW, 0.0, 0.0),
        Ping(NOW, LAT, LON, acc=-1.0),
    ],
)
def test_invalid(ping: Ping) -> None:
    assert _verdict(ping) is Verdict.INVALID


def test_future_and_too_old() -> None:
    assert _verdict(_at(NOW + 60_001)) is Verdict.FUTURE
    assert _verdict(_at(NOW + 60_000)) is Verdict.OK
    assert _verdict(_at(NOW - 3_600_001)) is Verdict.TOO_OLD
    assert classify(_at(NOW - 3_600_001), now_ms=None, prev=None, cfg=CFG) is Verdict.OK


def test_inaccurate() -> None:
    assert _verdict(_at(NOW, acc=80.0)) is Verdict.INACCURATE
    assert _verdict(_at(NOW, acc=50.0)) is Verdict.OK


def test_duplicate() -> None:
    prev = _at(NOW - 1000, 3.0)
    assert _verdict(_at(NOW - 1000, 3.0), prev=prev) is Verdict.DUPLICATE
    assert _verdict(_at(NOW - 1000, 3.0, acc=9.0), prev=prev) is Verdict.DUPLICATE


def test_jump() -> None:
    prev = _at(NOW - 10_000)
    assert _verdict(_at(NOW, 500.0), prev=prev) is Verdict.JUMP  # 50 m/s
    assert _verdict(_at(NOW, 100.0), prev=prev) is Verdict.OK  # 10 m/s
    # Same instant, different place: a jump unless within GPS noise.
    assert _verdict(_at(NOW - 10_000, 100.0), prev=prev) is Verdict.JUMP
    assert _verdict(_at(NOW - 10_000, 5.0), prev=prev) is Verdict.OK


def test_verdict_is_a_string() -> None:
    assert Verdict("too_old") is Verdict.TOO_OLD
    assert f"{Verdict.TOO_OLD}" == "too_old"
    assert isinstance(Verdict.JUMP, str)


def test_clean_track() -> None:
    walk = [_at(NOW - 60_000 + i * 5_000, i * 6.0) for i in range(10)]
    messy = [
        walk[3],
        walk[1],
        walk[0],
        walk[2],  # out of order
        walk[2],  # exact duplicate
        _at(walk[4].ts - 1_000, 2_000.0),  # teleport 2 km away
        walk[4],
        walk[5],
        walk[6],
        _at(walk[6].ts + 1_000, 60.0, acc=120.0),  # inaccurate: kept out of coverage
        Ping(walk[7].ts, 0.0, 0.0),  # invalid
        walk[7],
        walk[8],
        walk[9],
    ]
    assert clean_track(messy, CFG) == walk
    verdicts = [v for _, v in classify_track(messy, CFG)]
    assert verdicts.count(Verdict.DUPLICATE) == 1
    assert verdicts.count(Verdict.JUMP) == 1
    assert verdicts.count(Verdict.INACCURATE) == 1
    assert verdicts.count(Verdict.INVALID) == 1


def test_jump_judged_against_last_accepted_fix() -> None:
    start = _at(NOW - 30_000)
    away = _at(NOW - 25_000, 1_000.0)  # jump
    back = _at(NOW - 20_000, 10.0)  # fine relative to start, a jump relative to `away`
    assert clean_track([start, away, back], CFG) == [start, back]


def test_clean_track_uses_clock_when_given() -> None:
    old = _at(NOW - 7_200_000)
    fresh = _at(NOW)
    assert clean_track([old, fresh], CFG, now_ms=NOW) == [fresh]
    assert clean_track([old, fresh], CFG) == [old, fresh]


def test_sequence_breaks_timestamp_ties() -> None:
    a = _at(NOW, 0.0, seq=2)
    b = _at(NOW, 3.0, seq=1)
    assert clean_track([a, b], CFG) == [b, a]
