"""The pure patrol domain: windows, ping filtering, patrol metrics, track shapes, stops."""

from .filters import FilterConfig, Ping, Verdict, classify, classify_track, clean_track
from .metrics import PatrolMetrics, PatrolStatus, patrol_metrics, patrol_status
from .outside import outside_spans
from .replay import TrackView, track_feature
from .stops import Stop, find_stops
from .track import simplify_track
from .windows import DayWindow, PatrolWindow, WindowSpan, parse_windows, window_for, windows_of_day

__all__ = [
    "DayWindow",
    "FilterConfig",
    "PatrolMetrics",
    "PatrolStatus",
    "PatrolWindow",
    "Ping",
    "Stop",
    "TrackView",
    "Verdict",
    "WindowSpan",
    "classify",
    "classify_track",
    "clean_track",
    "find_stops",
    "outside_spans",
    "parse_windows",
    "patrol_metrics",
    "patrol_status",
    "simplify_track",
    "track_feature",
    "window_for",
    "windows_of_day",
]
