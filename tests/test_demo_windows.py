"""The demo's patrol windows: the first opens a minute after the demo starts and closes
within ten minutes, so a fresh demo shows complete, incomplete and missed patrols."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from dispatch.demo import demo_windows
from dispatch.patrol.windows import parse_windows, window_for

TZ = "Asia/Shanghai"


def test_the_first_demo_window_closes_within_ten_minutes() -> None:
    for start in (datetime(2026, 12, 2, 9, 3, tzinfo=ZoneInfo(TZ)),
                  datetime(2026, 12, 2, 23, 57, tzinfo=ZoneInfo(TZ))):
        windows = parse_windows(demo_windows(start))  # valid: disjoint, named by range
        ms = int((start + timedelta(minutes=2)).timestamp() * 1000)
        span = window_for(ms, windows, TZ)
        assert span is not None
        assert span.start_ms > int(start.timestamp() * 1000)  # opens after the street exists
        assert span.end_ms - int(start.timestamp() * 1000) <= 10 * 60 * 1000
