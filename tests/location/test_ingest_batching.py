"""The ingest's bulk steps give what the per-fix steps give: verdicts, order and records."""

from __future__ import annotations

import math
import random
from dataclasses import replace

from starlette.datastructures import QueryParams

from dispatch.http.location_routes import query_dict
from dispatch.location.codec import BULK_FROM, RECORD_SIZE, Flag, pack, pack_many
from dispatch.patrol.filters import FilterConfig, Ping, judge_without_jumps, time_order
from dispatch.patrol.judge import judge_batch

T = 1_700_000_000_000
NO_JUMPS = replace(FilterConfig(), max_speed_mps=math.inf)


def _maybe(rng: random.Random, lo: float, hi: float) -> float | None:
    if rng.random() < 0.2:
        return None
    value = rng.uniform(lo, hi)
    return round(value * 2) / 2 if rng.random() < 0.3 else value  # halves: the rounding rule


def _messy_batch(rng: random.Random, n: int) -> list[Ping]:
    """Fixes out of order, repeated, some bad: what a phone's buffer can send."""
    pings: list[Ping] = []
    for _ in range(n):
        if pings and rng.random() < 0.15:
            pings.append(rng.choice(pings))  # the same fix again
            continue
        ts = T + rng.randint(-50, 50) * 60_000 * rng.choice((1, 1, 1, 60))
        lat = rng.choice((rng.uniform(-91, 91), 0.0, math.nan, 39.03))
        lon = rng.choice((rng.uniform(-181, 181), 0.0, math.inf, 117.42))
        seq = rng.choice((None, rng.randint(0, 5)))
        pings.append(Ping(ts, lat, lon, _maybe(rng, -1, 90), _maybe(rng, -1, 50),
                          _maybe(rng, -400, 800), _maybe(rng, -10, 150), seq))
    return pings


def test_judging_in_one_loop_gives_the_batch_judges_verdicts() -> None:
    rng = random.Random(7)
    for n in (1, 2, 5, 50, 200):
        for _ in range(40):
            pings = _messy_batch(rng, n)
            order = time_order(pings)
            assert order == sorted(range(n), key=lambda k: (
                pings[k].ts, -1 if pings[k].seq is None else pings[k].seq))
            assert judge_without_jumps(pings, order, now_ms=T, cfg=NO_JUMPS) == judge_batch(
                pings, last=None, now_ms=T, cfg=NO_JUMPS)


def test_records_packed_as_columns_are_the_records_packed_one_by_one() -> None:
    rng = random.Random(11)
    for n in (1, BULK_FROM - 1, BULK_FROM, 50, 500):
        pings = [Ping(T + rng.randint(0, 10**9), rng.uniform(-90, 90), rng.uniform(-180, 180),
                      _maybe(rng, -5, 9000), _maybe(rng, -1, 900), _maybe(rng, -720, 720),
                      _maybe(rng, -10, 150)) for _ in range(n)]
        pings[0] = Ping(T, 5e-8, -1.5e-7, 0.05, 0.005, 359.95, 50.5)  # every half at once
        flags = [rng.choice(list(Flag)) for _ in range(n)]
        packed = pack_many(pings, flags)
        assert len(packed) == n * RECORD_SIZE
        assert packed == b"".join(pack(p, f) for p, f in zip(pings, flags, strict=True))


def test_the_osmand_query_is_read_as_starlette_reads_it() -> None:
    rng = random.Random(3)
    pieces = ["a", "id", "lat", "=", "&", "&&", "%", "%2", "%20", "%41", "%C3%A9", "%zz", "+",
              "é", "1.5", "-", "=="]
    for _ in range(5000):
        raw = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 14))).encode()
        assert query_dict(raw) == dict(QueryParams(raw.decode("latin-1"))), raw
    assert query_dict(b"id=gw001&lat=39.1&lon=117.2&lat=39.2&valid") == {
        "id": "gw001", "lat": "39.2", "lon": "117.2", "valid": ""}
