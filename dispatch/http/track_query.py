"""What a track request asks: a time range (or a local day) and a simplification tolerance.

``GET /api/v1/workers/{id}/track?from=&to=&tolerance_m=`` (or ``?date=``); the range and
the tolerance are bounded by settings, and every bad value is a 400 naming its field.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from dispatch.errors import BadRequest
from dispatch.settings import Settings

MS_PER_H = 3600 * 1000
FROM, TO, DATE, TOLERANCE = "from", "to", "date", "tolerance_m"


@dataclass(frozen=True, slots=True)
class TrackQuery:
    start_ms: int
    end_ms: int
    tolerance_m: float


def _ms(params: Mapping[str, str], name: str) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isdigit():
        raise BadRequest(f"{name} is a time in Unix milliseconds", code="invalid_field",
                         field=name)
    return int(raw)


def _day(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadRequest("date is YYYY-MM-DD", code="invalid_field", field=DATE) from None


def tolerance(params: Mapping[str, str], settings: Settings) -> float:
    """The tolerance asked (m), within the configured bounds; the default one without."""
    low, high = settings.track_tolerance_min_m, settings.track_tolerance_max_m
    raw = params.get(TOLERANCE)
    if raw is None or raw == "":
        return min(high, max(low, settings.track_simplify_m))
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise BadRequest("tolerance_m is a number of metres", code="invalid_field",
                         field=TOLERANCE)
    if not low <= value <= high:
        raise BadRequest(f"tolerance_m is between {low:g} and {high:g} m", code="out_of_range",
                         field=TOLERANCE, min=low, max=high)
    return value


def track_query(params: Mapping[str, str], settings: Settings, *, now_ms: int, today: date,
                day_bounds: Callable[[date], tuple[int, int]]) -> TrackQuery:
    """The range asked: ``from`` .. ``to`` (default now) of at most the configured longest
    range, or a local ``date`` (default today), which is always one whole day."""
    start, end = _ms(params, FROM), _ms(params, TO)
    if params.get(DATE) and (start is not None or end is not None):
        raise BadRequest("ask for a date or for from/to, not both", code="invalid_field",
                         field=DATE)
    if start is None and end is not None:
        raise BadRequest("to needs from", code="missing_field", field=FROM)
    if start is None:  # a whole local day, whatever the longest range
        start, end = day_bounds(_day(params[DATE]) if params.get(DATE) else today)
        return TrackQuery(start, end - 1, tolerance(params, settings))  # midnight: next day
    if end is None:
        end = max(start, now_ms)
    if end < start:
        raise BadRequest("to is before from", code="invalid_range", field=TO)
    longest = settings.track_range_max_h * MS_PER_H
    if end - start > longest:
        raise BadRequest(f"a track covers at most {settings.track_range_max_h} h",
                         code="range_too_long", field=TO, max_ms=longest)
    return TrackQuery(start, end, tolerance(params, settings))
