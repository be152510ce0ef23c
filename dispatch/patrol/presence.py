"""Presence of a worker's phone: online, signal lost (on patrol) or offline."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from dispatch.clock import MS_PER_MIN


class Presence(StrEnum):
    ONLINE = "online"
    SIGNAL_LOST = "signal_lost"
    OFFLINE = "offline"


@dataclass(frozen=True, slots=True)
class PresenceConfig:
    signal_lost_ms: int = 5 * MS_PER_MIN
    offline_ms: int = 15 * MS_PER_MIN
    out_of_grid_ms: int = 5 * MS_PER_MIN


def presence_at(
    now_ms: int, *, seen_ms: int | None, patrol_since_ms: int | None, cfg: PresenceConfig
) -> Presence:
    """The state at ``now_ms``: on patrol (``patrol_since_ms`` set) a silence longer than
    ``signal_lost_ms`` (counted from the patrol's start when no fix came since) is signal
    lost; off patrol a silence longer than ``offline_ms`` is offline."""
    if patrol_since_ms is not None:
        heard = max(seen_ms or 0, patrol_since_ms)
        return Presence.ONLINE if now_ms - heard < cfg.signal_lost_ms else Presence.SIGNAL_LOST
    if seen_ms is None or now_ms - seen_ms >= cfg.offline_ms:
        return Presence.OFFLINE
    return Presence.ONLINE


def out_of_grid_due(now_ms: int, *, out_since_ms: int | None, cfg: PresenceConfig) -> bool:
    """Outside the own grid for at least ``out_of_grid_ms``."""
    return out_since_ms is not None and now_ms - out_since_ms >= cfg.out_of_grid_ms
