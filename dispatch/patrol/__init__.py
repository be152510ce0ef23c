"""The pure patrol domain: windows, ping filtering, patrol metrics and track shapes."""

from .filters import FilterConfig, Ping, Verdict, classify, classify_track, clean_track
from .metrics import PatrolMetrics, PatrolStatus, patrol_metrics, patrol_status
from .track import simplify_track
from .windows import DayWindow, PatrolWindow, WindowSpan, parse_windows, window_for, windows_of_day

__all__ = [
    "DayWindow",
    "FilterConfig",
    "PatrolMetrics",
    "PatrolStatus",
    "PatrolWindow",
    "Ping",
    "Verdict",
    "WindowSpan",
    "classify",
    "classify_track",
    "clean_track",
    "parse_windows",
    "patrol_metrics",
    "patrol_status",
    "simplify_track",
    "window_for",
    "windows_of_day",
]
