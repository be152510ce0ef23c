"""Fixes packed as fixed-size binary records, grouped in 5-minute buckets of a day's track.

A record is 20 bytes, big-endian: ms into its bucket (u32), latitude and longitude in
1e-7 degrees (i32, about 1 cm), accuracy in dm, speed in cm/s, heading in 0.1 degree
(u16 each, 0xFFFF unknown), battery percent (u8, 0xFF unknown) and the fix's flag
(u8). The Lua writer reads only the first four bytes (the time) to keep each bucket
in time order and the same timestamp stored once.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from numpy.typing import NDArray

from dispatch.patrol.filters import Ping, Verdict

BUCKET_MS = 5 * 60 * 1000
RECORD = struct.Struct(">IiiHHHBB")
RECORD_SIZE = RECORD.size
DEG_SCALE = 1e7
ACC_SCALE = 10.0
SPEED_SCALE = 100.0
HEADING_SCALE = 10.0
FULL_TURN_DEG = 360.0
UNKNOWN_16 = 0xFFFF
UNKNOWN_8 = 0xFF
MAX_16 = UNKNOWN_16 - 1
MAX_PERCENT = 100

DTYPE = np.dtype([
    ("dt", ">u4"), ("lat", ">i4"), ("lon", ">i4"), ("acc", ">u2"),
    ("speed", ">u2"), ("heading", ">u2"), ("batt", "u1"), ("flag", "u1"),
])
assert DTYPE.itemsize == RECORD_SIZE


class Flag(IntEnum):
    """Why a stored fix is or is not used for the map and coverage."""

    OK = 0
    INACCURATE = 1
    JUMP = 2


FLAG_OF = {Verdict.OK: Flag.OK, Verdict.INACCURATE: Flag.INACCURATE, Verdict.JUMP: Flag.JUMP}


def bucket_of(ts_ms: int) -> int:
    return ts_ms // BUCKET_MS


def pack(ping: Ping, flag: Flag) -> bytes:
    """The record of one fix (its bucket is ``bucket_of(ping.ts)``): an unknown or negative
    accuracy, speed or heading is UNKNOWN_16, a known one capped at MAX_16 (inline: a call
    per field and fix was a tenth of a batch's CPU)."""
    acc, speed, heading, batt = ping.acc, ping.speed, ping.heading, ping.batt
    if heading is not None:
        heading %= FULL_TURN_DEG
    return RECORD.pack(
        ping.ts % BUCKET_MS,
        round(ping.lat * DEG_SCALE),
        round(ping.lon * DEG_SCALE),
        UNKNOWN_16 if acc is None or acc < 0 else min(MAX_16, round(acc * ACC_SCALE)),
        UNKNOWN_16 if speed is None or speed < 0 else min(MAX_16, round(speed * SPEED_SCALE)),
        UNKNOWN_16 if heading is None or heading < 0
        else min(MAX_16, round(heading * HEADING_SCALE)),
        UNKNOWN_8 if batt is None else max(0, min(MAX_PERCENT, round(batt))),
        flag,
    )


#: From this many fixes on, a message's records are packed as columns (numpy), not one
#: ``RECORD.pack`` per fix: the columns' fixed cost is paid back past about a dozen fixes.
BULK_FROM = 12


def _measured(values: NDArray[np.float64], scale: float) -> NDArray[np.float64]:
    """As ``pack`` does per fix: unknown (given as -1) or negative is UNKNOWN_16, a known
    one rounded half to even (``round``'s rule, and ``rint``'s) and capped at MAX_16."""
    return np.where(values < 0, UNKNOWN_16, np.minimum(MAX_16, np.rint(values * scale)))


def pack_many(pings: Sequence[Ping], flags: Sequence[Flag]) -> bytes:
    """The records of ``pings`` (each with its flag) back to back: the same bytes as
    ``b"".join(pack(p, f) ...)``, built as columns when there are many."""
    n = len(pings)
    if n < BULK_FROM:
        return b"".join([pack(p, f) for p, f in zip(pings, flags, strict=True)])
    f64 = np.float64
    rows = np.empty(n, dtype=DTYPE)
    rows["dt"] = np.array([p.ts % BUCKET_MS for p in pings], dtype=np.int64)
    rows["lat"] = np.rint(np.array([p.lat for p in pings], dtype=f64) * DEG_SCALE)
    rows["lon"] = np.rint(np.array([p.lon for p in pings], dtype=f64) * DEG_SCALE)
    rows["acc"] = _measured(np.array([-1.0 if p.acc is None else p.acc for p in pings],
                                     dtype=f64), ACC_SCALE)
    rows["speed"] = _measured(np.array([-1.0 if p.speed is None else p.speed for p in pings],
                                       dtype=f64), SPEED_SCALE)
    rows["heading"] = _measured(np.array(
        [-1.0 if p.heading is None else p.heading % FULL_TURN_DEG for p in pings], dtype=f64),
        HEADING_SCALE)
    batt = np.array([p.batt for p in pings], dtype=f64)  # None becomes NaN
    rows["batt"] = np.where(batt != batt, UNKNOWN_8, np.clip(np.rint(batt), 0, MAX_PERCENT))
    rows["flag"] = flags
    return rows.tobytes()


@dataclass(frozen=True)
class Track:
    """A worker's stored fixes in time order, as columns."""

    ts: NDArray[np.int64]
    lat: NDArray[np.float64]
    lon: NDArray[np.float64]
    acc: NDArray[np.float64]
    speed: NDArray[np.float64]
    heading: NDArray[np.float64]
    batt: NDArray[np.float64]
    flag: NDArray[np.uint8]

    def __len__(self) -> int:
        return len(self.ts)

    def between(self, start_ms: int, end_ms: int) -> Track:
        keep = (self.ts >= start_ms) & (self.ts <= end_ms)
        return Track(self.ts[keep], self.lat[keep], self.lon[keep], self.acc[keep],
                     self.speed[keep], self.heading[keep], self.batt[keep], self.flag[keep])

    def pings(self, *, accurate_only: bool = True) -> list[Ping]:
        """The fixes as Pings; by default without those too inaccurate for coverage."""
        keep = self.flag != Flag.INACCURATE if accurate_only else np.ones(len(self), bool)
        rows = zip(self.ts[keep].tolist(), self.lat[keep].tolist(), self.lon[keep].tolist(),
                   self.acc[keep].tolist(), self.speed[keep].tolist(),
                   self.heading[keep].tolist(), self.batt[keep].tolist(), strict=True)
        return [Ping(ts, lat, lon, _known(acc), _known(speed), _known(heading), _known(batt))
                for ts, lat, lon, acc, speed, heading, batt in rows]


def _known(value: float) -> float | None:
    return None if value != value else value  # NaN marks unknown


def _scaled(raw: NDArray[np.generic], unknown: int, scale: float) -> NDArray[np.float64]:
    out = raw.astype(np.float64) / scale
    out[raw == unknown] = np.nan
    return out


def empty_track() -> Track:
    return unpack_buckets({})


def unpack_buckets(buckets: Mapping[bytes | str, bytes]) -> Track:
    """Decode the buckets of one or more days (field: bucket number, value: records)."""
    order = sorted(buckets, key=int)
    blobs = [buckets[b] for b in order]
    counts = np.array([len(blob) // RECORD_SIZE for blob in blobs], dtype=np.int64)
    rows = np.frombuffer(b"".join(blobs), dtype=DTYPE)
    bases = np.repeat(np.array([int(b) for b in order], dtype=np.int64) * BUCKET_MS, counts)
    return Track(
        ts=bases + rows["dt"].astype(np.int64),
        lat=rows["lat"].astype(np.float64) / DEG_SCALE,
        lon=rows["lon"].astype(np.float64) / DEG_SCALE,
        acc=_scaled(rows["acc"], UNKNOWN_16, ACC_SCALE),
        speed=_scaled(rows["speed"], UNKNOWN_16, SPEED_SCALE),
        heading=_scaled(rows["heading"], UNKNOWN_16, HEADING_SCALE),
        batt=_scaled(rows["batt"], UNKNOWN_8, 1.0),
        flag=rows["flag"].astype(np.uint8),
    )
