"""The traffic light of a case: green, then yellow (临期), then red (overdue)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from enum import StrEnum


class Light(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


def light_at(now_ms: int, yellow_at_ms: int, deadline_ms: int) -> Light:
    """Green before ``yellow_at_ms``, yellow from it, red from the deadline on."""
    if now_ms >= deadline_ms:
        return Light.RED
    if now_ms >= yellow_at_ms:
        return Light.YELLOW
    return Light.GREEN


def escalation_level_at(now_ms: int, escalation_ms: Sequence[int]) -> int:
    """How many escalation levels have been reached (0 = none); times ascending."""
    return bisect_right(escalation_ms, now_ms)
