"""Pure GPS ping filter: judge each fix, and clean a track for distance and coverage."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import msgspec

from dispatch.clock import MS_PER_H, MS_PER_MIN, MS_PER_S
from dispatch.geo.projection import haversine_m

MAX_LAT = 90.0
MAX_LON = 180.0


class Ping(msgspec.Struct, frozen=True, gc=False):
    """One GPS fix from a worker's phone (WGS-84, timestamp in UTC milliseconds).

    A struct made in C (a tenth of a frozen dataclass's cost a fix) that the collector
    never tracks (it holds numbers only); a phone's decoded fix is one already."""

    ts: int
    lat: float
    lon: float
    acc: float | None = None
    speed: float | None = None
    heading: float | None = None
    batt: float | None = None
    seq: int | None = None


@dataclass(frozen=True, slots=True)
class FilterConfig:
    """Thresholds of the ping filter."""

    max_future_ms: int = 2 * MS_PER_MIN
    max_age_ms: int = 48 * MS_PER_H
    max_accuracy_m: float = 50.0
    max_speed_mps: float = 15.0
    #: Displacement (m) explained by GPS noise; it never makes a fix a jump.
    jump_slack_m: float = 20.0


class Verdict(StrEnum):
    """What the filter thinks of a fix."""

    OK = "ok"
    INVALID = "invalid"
    FUTURE = "future"
    TOO_OLD = "too_old"
    INACCURATE = "inaccurate"
    DUPLICATE = "duplicate"
    JUMP = "jump"


def is_invalid(ping: Ping) -> bool:
    """NaN/inf, out-of-range or exactly (0, 0) position, or a negative accuracy."""
    lat, lon, acc = ping.lat, ping.lon, ping.acc
    # a range check is false for NaN and the infinities too (one test per value, per fix)
    if (lat is None or lon is None or ping.ts <= 0
            or not (-MAX_LAT <= lat <= MAX_LAT and -MAX_LON <= lon <= MAX_LON)):
        return True
    if lat == 0.0 and lon == 0.0:
        return True
    return acc is not None and not (0.0 <= acc < math.inf)


def is_duplicate(ping: Ping, prev: Ping | None) -> bool:
    """Same timestamp and same position as the previous fix."""
    return prev is not None and ping.ts == prev.ts and ping.lat == prev.lat and ping.lon == prev.lon


def implied_speed_mps(ping: Ping, prev: Ping, slack_m: float = 0.0) -> float:
    """Speed needed to move from ``prev`` to ``ping``, ignoring ``slack_m`` of GPS noise."""
    excess_m = haversine_m(prev.lon, prev.lat, ping.lon, ping.lat) - slack_m
    if excess_m <= 0.0:
        return 0.0
    dt_s = abs(ping.ts - prev.ts) / MS_PER_S
    return math.inf if dt_s == 0.0 else excess_m / dt_s


def classify(ping: Ping, *, now_ms: int | None, prev: Ping | None, cfg: FilterConfig) -> Verdict:
    """Judge one fix against the clock (skipped when ``now_ms`` is None) and the previous fix.

    Checks run in order: invalid, future, too_old, duplicate, inaccurate, jump.
    """
    if is_invalid(ping):
        return Verdict.INVALID
    if now_ms is not None and ping.ts > now_ms + cfg.max_future_ms:
        return Verdict.FUTURE
    if now_ms is not None and ping.ts < now_ms - cfg.max_age_ms:
        return Verdict.TOO_OLD
    if is_duplicate(ping, prev):
        return Verdict.DUPLICATE
    if ping.acc is not None and ping.acc > cfg.max_accuracy_m:
        return Verdict.INACCURATE
    # (no speed limit, no distance: the web process leaves jumps to the ingest script)
    if (prev is not None and cfg.max_speed_mps < math.inf
            and implied_speed_mps(ping, prev, cfg.jump_slack_m) > cfg.max_speed_mps):
        return Verdict.JUMP
    return Verdict.OK


def _track_order(ping: Ping) -> tuple[int, int]:
    return ping.ts, -1 if ping.seq is None else ping.seq


def classify_track(
    pings: Iterable[Ping], cfg: FilterConfig, *, now_ms: int | None = None
) -> list[tuple[Ping, Verdict]]:
    """Sort by time and judge every fix; jumps and duplicates are judged against the
    last fix judged OK."""
    last_ok: Ping | None = None
    out: list[tuple[Ping, Verdict]] = []
    for ping in sorted(pings, key=_track_order):
        verdict = classify(ping, now_ms=now_ms, prev=last_ok, cfg=cfg)
        if verdict is Verdict.OK:
            last_ok = ping
        out.append((ping, verdict))
    return out


def clean_track(
    pings: Iterable[Ping], cfg: FilterConfig, *, now_ms: int | None = None
) -> list[Ping]:
    """The time-sorted fixes usable for distance and coverage (verdict OK only)."""
    return [p for p, verdict in classify_track(pings, cfg, now_ms=now_ms) if verdict is Verdict.OK]


def time_order(pings: Sequence[Ping]) -> list[int]:
    """The indexes of ``pings`` by (time, seq; an unknown seq first), ties in input order."""
    if len(pings) == 1:
        return [0]
    keyed = [(p.ts, -1 if p.seq is None else p.seq, i) for i, p in enumerate(pings)]
    keyed.sort()  # tuples, not a key function: no Python call per comparison
    return [k[2] for k in keyed]


def judge_without_jumps(pings: Sequence[Ping], order: Sequence[int], *, now_ms: int,
                        cfg: FilterConfig) -> list[Verdict]:
    """The verdicts (input order) that ``judge_batch`` gives with no speed limit
    (``cfg.max_speed_mps`` infinite: jumps are judged elsewhere), fixes taken in
    ``order`` (``time_order``): ``classify``'s checks inline, one loop, no call per fix."""
    assert cfg.max_speed_mps == math.inf, "jumps need judge_batch"
    verdicts = [Verdict.OK] * len(pings)
    future, oldest = now_ms + cfg.max_future_ms, now_ms - cfg.max_age_ms
    max_acc = cfg.max_accuracy_m
    invalid, too_new, too_old = Verdict.INVALID, Verdict.FUTURE, Verdict.TOO_OLD
    duplicate, inaccurate = Verdict.DUPLICATE, Verdict.INACCURATE
    prev: Ping | None = None
    for i in order:
        ping = pings[i]
        ts, lat, lon, acc = ping.ts, ping.lat, ping.lon, ping.acc
        if (lat is None or lon is None or ts <= 0
                or not (-MAX_LAT <= lat <= MAX_LAT and -MAX_LON <= lon <= MAX_LON)
                or (lat == 0.0 and lon == 0.0)
                or (acc is not None and not (0.0 <= acc < math.inf))):
            verdicts[i] = invalid
        elif ts > future:
            verdicts[i] = too_new
        elif ts < oldest:
            verdicts[i] = too_old
        elif prev is not None and ts == prev.ts and lat == prev.lat and lon == prev.lon:
            verdicts[i] = duplicate
        elif acc is not None and acc > max_acc:
            verdicts[i] = inaccurate
        else:
            prev = ping
    return verdicts
