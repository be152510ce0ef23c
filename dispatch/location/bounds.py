"""Physical bounds of a fix's measured values: a value outside them is refused by field.

A phone that reports a speed of 1e300 m/s or a battery of 250 % still has a position
worth keeping: the fix is kept with that field unknown. A bad position (out of range,
NaN, exactly 0,0) is the filter's business: the whole fix is dropped there.
"""

from __future__ import annotations

import math
from typing import Any

import msgspec

from dispatch.patrol.filters import Ping

#: Faster than any vehicle a grid worker rides (a high-speed train is ~97 m/s).
MAX_SPEED_MPS = 120.0
#: A cell-tower fix is rarely worse than a few kilometres.
MAX_ACCURACY_M = 100_000.0
MAX_HEADING_DEG = 360.0
MAX_BATTERY_PERCENT = 100.0
#: Below the Dead Sea shore, above any place a phone walks to.
MIN_ALTITUDE_M = -500.0
MAX_ALTITUDE_M = 9_000.0

#: Fields of a Ping that are measured values, with their bounds (inclusive).
PING_BOUNDS: tuple[tuple[str, float, float], ...] = (
    ("acc", 0.0, MAX_ACCURACY_M),
    ("speed", 0.0, MAX_SPEED_MPS),
    ("heading", 0.0, MAX_HEADING_DEG),
    ("batt", 0.0, MAX_BATTERY_PERCENT),
)


def within(value: float | None, lo: float, hi: float) -> bool:
    """A known value is within its bounds (None is always acceptable)."""
    return value is None or (math.isfinite(value) and lo <= value <= hi)


def bounded(ping: Ping) -> tuple[Ping, tuple[str, ...]]:
    """The fix with every out-of-bounds field made unknown, and the fields refused.

    Allocates only when a field is refused (the common fix comes back as it is).
    """
    acc, speed, heading, batt = ping.acc, ping.speed, ping.heading, ping.batt
    if ((acc is None or 0.0 <= acc <= MAX_ACCURACY_M)  # the common fix: four comparisons
            and (speed is None or 0.0 <= speed <= MAX_SPEED_MPS)
            and (heading is None or 0.0 <= heading <= MAX_HEADING_DEG)
            and (batt is None or 0.0 <= batt <= MAX_BATTERY_PERCENT)):
        return ping, ()  # (NaN compares false: it takes the general way below)
    refused: tuple[str, ...] = ()
    for name, lo, hi in PING_BOUNDS:
        if not within(getattr(ping, name), lo, hi):
            refused += (name,)
    if not refused:
        return ping, refused
    cleared: dict[str, Any] = dict.fromkeys(refused)
    return msgspec.structs.replace(ping, **cleared), refused


def bounded_value(value: float | None, lo: float, hi: float) -> float | None:
    """``value`` when within bounds, else None."""
    return value if within(value, lo, hi) else None
