"""Duration strings such as ``4h``, ``30m``, ``2d`` or ``1h30m``."""

from __future__ import annotations

import re

_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")
SECONDS_PER_MINUTE = 60
SECONDS_PER_HOUR = 3600
SECONDS_PER_DAY = 86400
_UNITS = (("d", SECONDS_PER_DAY), ("h", SECONDS_PER_HOUR), ("m", SECONDS_PER_MINUTE), ("s", 1))


def parse_duration(text: str) -> int:
    """Seconds in a duration string (units d, h, m, s in that order; ``d`` is 24 hours)."""
    found = _DURATION.fullmatch(text)
    if not text or found is None:
        raise ValueError(f"bad duration {text!r}: use e.g. 4h, 30m, 2d or 1h30m")
    return sum(int(g) * unit for g, (_, unit) in zip(found.groups(), _UNITS, strict=True) if g)


def format_duration(seconds: int) -> str:
    """The shortest duration string for a non-negative number of seconds."""
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    parts = []
    for name, unit in _UNITS:
        count, seconds = divmod(seconds, unit)
        if count:
            parts.append(f"{count}{name}")
    return "".join(parts) or "0s"
