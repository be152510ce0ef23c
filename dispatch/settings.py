"""One typed settings object, read from the environment.

Nothing else in the package reads ``os.environ``. Every limit the server
enforces is a field here, with the environment variable that overrides it.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

KIB = 1024
MIB = 1024 * KIB
MINUTE_S = 60
HOUR_S = 60 * MINUTE_S
#: Coordinate systems of base-map tiles: WGS-84 (OSM, Tianditu) or GCJ-02 (AMap, Tencent).
MAP_CRS = ("wgs84", "gcj02")
TILE_PLACEHOLDERS = ("{z}", "{x}", "{y}")


def _env(name: str, default: Any, doc: str = "") -> Any:
    return field(default=default, metadata={"env": name, "doc": doc})


@dataclass(frozen=True)
class Settings:
    # Where things live
    redis_url: str | None = _env("REDIS_URL", None, "Redis server; unset starts the embedded one")
    redis_queue_url: str | None = _env("REDIS_QUEUE_URL", None, "Redis for RQ queues")
    wait_replicas: int = _env("DISPATCH_WAIT_REPLICAS", 0,
                              "a case change is acknowledged only once this many replicas "
                              "have it (Redis WAIT; 0: on the master's answer)")
    wait_timeout_ms: int = _env("DISPATCH_WAIT_TIMEOUT", 1000,
                                "... within this long, else the change is answered 503 "
                                "not_replicated (ms)")
    data_dir: Path = _env("DISPATCH_DATA", Path("var"), "data directory (embedded Redis, media)")
    fsync: str = _env("DISPATCH_FSYNC", "everysec",
                      "embedded Redis's AOF fsync: always (every ack on disk), everysec, no")
    street: str = _env("DISPATCH_STREET", "jlc", "street code, the hash tag of every key")
    streets: str = _env("DISPATCH_STREETS", "",
                        "streets served by one deployment (comma-separated codes; empty: "
                        "DISPATCH_STREET alone)")
    district: str = _env("DISPATCH_DISTRICT", "",
                         "code of the district centre, served with the streets: its users see "
                         "every street and name one with ?street= (empty: no district centre)")
    host: str = _env("DISPATCH_HOST", "127.0.0.1", "web server address")
    port: int = _env("DISPATCH_PORT", 8000, "web server port")
    web_workers: int = _env("DISPATCH_WEB_WORKERS", 1,
                            "web processes on the port (uvicorn workers; each has its own "
                            "sockets, all share Redis)")
    public_url: str | None = _env("DISPATCH_PUBLIC_URL", None,
                                  "URL people and phones use (unset: the request's own)")
    trusted_proxies: str = _env("DISPATCH_TRUSTED_PROXIES", "",
                                "addresses/networks of reverse proxies whose X-Forwarded-For "
                                "and -Proto count (comma-separated; empty: none)")

    # Time
    tz: str = _env("DISPATCH_TZ", "Asia/Shanghai", "the street's local time zone")
    work_hours: str = _env("DISPATCH_WORK_HOURS", "09:00-12:00,13:30-17:30", "working periods")
    weekend: str = _env("DISPATCH_WEEKEND", "sat,sun", "days off each week")
    calendar: str = _env("DISPATCH_CALENDAR", "cn",
                         "official days off and make-up days: cn (chinese-calendar) or none")
    holidays: str = _env("DISPATCH_HOLIDAYS", "",
                         "comma-separated YYYY-MM-DD days off (on top of the official ones)")
    workdays: str = _env("DISPATCH_WORKDAYS", "",
                         "comma-separated make-up working days (on top of the official ones)")
    patrol_windows: str = _env("DISPATCH_PATROL_WINDOWS", "08:00-12:00,14:00-18:00", "windows")

    # Identity
    token_ttl_s: int = _env("DISPATCH_TOKEN_TTL", 12 * HOUR_S, "login token lifetime")
    scrypt_n: int = _env("DISPATCH_SCRYPT_N", 2**14, "scrypt cost (power of two)")
    login_limit_user: int = _env("DISPATCH_LOGIN_LIMIT_USER", 10, "login tries per user/window")
    login_limit_addr: int = _env("DISPATCH_LOGIN_LIMIT_ADDR", 60, "login tries per address/window")
    login_window_s: int = _env("DISPATCH_LOGIN_WINDOW", 5 * MINUTE_S, "login rate window")

    # Limits
    max_body_bytes: int = _env("DISPATCH_MAX_BODY", 1 * MIB, "largest JSON request body")
    max_media_bytes: int = _env("DISPATCH_MAX_MEDIA", 8 * MIB, "largest uploaded photo")
    max_ws_frame_bytes: int = _env("DISPATCH_MAX_WS_FRAME", 256 * KIB, "largest WebSocket frame")
    max_batch: int = _env("DISPATCH_MAX_BATCH", 1000, "most pings in one batch")
    ws_rate_per_s: int = _env("DISPATCH_WS_RATE", 50, "WebSocket messages per second per socket")
    ws_auth_timeout_s: float = _env("DISPATCH_WS_AUTH_TIMEOUT", 5.0,
                                    "a socket without a token on its URL authenticates "
                                    "within this long (s)")
    ws_queue_len: int = _env("DISPATCH_WS_QUEUE", 1000, "outgoing messages queued per socket")
    events_keep: int = _env("DISPATCH_EVENTS_KEEP", 5000,
                            "screen events kept for replay (older: a fresh snapshot)")
    page_size_max: int = _env("DISPATCH_PAGE_MAX", 200, "largest page of a listing")

    # Cases
    duplicate_radius_m: float = _env("DISPATCH_DUPLICATE_RADIUS", 50.0,
                                     "an open case of the same item this close is a duplicate (m)")
    duplicate_window_s: int = _env("DISPATCH_DUPLICATE_WINDOW", 2 * HOUR_S,
                                   "... and reported at most this long before it (s)")
    case_page_size: int = _env("DISPATCH_CASE_PAGE", 50, "cases per listing page by default")
    case_scan_max: int = _env("DISPATCH_CASE_SCAN", 5000, "most cases one listing page reads")
    max_extension_hours: int = _env("DISPATCH_MAX_EXTENSION_H", 720, "longest extension asked")
    case_max_parts: int = _env("DISPATCH_CASE_MAX_PARTS", 6,
                               "most assisting departments (协办) one case may have")
    part_max_hours: int = _env("DISPATCH_PART_MAX_H", 720,
                               "longest own limit given to an assisting department (h)")
    whistle_respond_min: int = _env("DISPATCH_WHISTLE_RESPOND_MIN", 30,
                                    "a whistle's default time to be on site (吹哨报到, min)")
    whistle_max_min: int = _env("DISPATCH_WHISTLE_MAX_MIN", 24 * 60,
                                "longest time to be on site a whistle may give (min)")
    checkin_radius_m: float = _env("DISPATCH_CHECKIN_RADIUS", 100.0,
                                   "a check-in counts within this distance of the case (m)")
    checkin_fix_age_s: int = _env("DISPATCH_CHECKIN_FIX_AGE", 120,
                                  "... judged from a fix at most this old (s)")
    member_position_ttl_s: int = _env("DISPATCH_MEMBER_POSITION_TTL", 12 * HOUR_S,
                                      "how long a member's latest fix is kept (s)")
    timer_late_ms: int = _env("DISPATCH_TIMER_LATE", 2000, "a timer firing later is marked late")
    timer_batch: int = _env("DISPATCH_TIMER_BATCH", 500, "most timers fired in one step")
    clock_lease_s: float = _env("DISPATCH_CLOCK_LEASE", 10.0,
                                "a clock leads for this long unless it renews; a second "
                                "clock takes over within it when the leader dies (s)")
    archive_after_s: int = _env("DISPATCH_ARCHIVE_AFTER", 7 * 24 * HOUR_S,
                                "a closed case untouched this long is compacted into the "
                                "archive (s; 0: at the clock's next pass after closing)")
    archive_every_s: float = _env("DISPATCH_ARCHIVE_EVERY", 60.0,
                                  "how often the clock compacts closed cases (s)")
    archive_batch: int = _env("DISPATCH_ARCHIVE_BATCH", 200,
                              "most closed cases looked at (and compacted) in one pass")

    # Location and patrols
    loc_max_future_s: int = _env("DISPATCH_LOC_MAX_FUTURE", 2 * MINUTE_S,
                                 "a fix further ahead of the server clock is refused (s)")
    loc_max_age_h: int = _env("DISPATCH_LOC_MAX_AGE", 48, "a fix older than this is refused (h)")
    loc_max_accuracy_m: float = _env("DISPATCH_LOC_MAX_ACCURACY", 50.0,
                                     "a less accurate fix is kept but not mapped or counted (m)")
    loc_max_speed_mps: float = _env("DISPATCH_LOC_MAX_SPEED", 15.0,
                                    "a fix implying a faster move is a jump (m/s)")
    loc_jump_slack_m: float = _env("DISPATCH_LOC_JUMP_SLACK", 20.0,
                                   "GPS noise that never makes a jump (m)")
    signal_lost_min: int = _env("DISPATCH_SIGNAL_LOST_MIN", 5,
                                "no fix for this long on patrol: signal lost (min)")
    offline_min: int = _env("DISPATCH_OFFLINE_MIN", 15,
                            "no fix for this long off patrol: offline (min)")
    out_of_grid_min: int = _env("DISPATCH_OUT_OF_GRID_MIN", 5,
                                "outside the own grid this long on patrol: alert (min)")
    patrol_min_duration_min: int = _env("DISPATCH_PATROL_MIN_DURATION", 30,
                                        "shortest complete patrol (min)")
    patrol_min_coverage: float = _env("DISPATCH_PATROL_MIN_COVERAGE", 0.6,
                                      "least share of the grid a complete patrol covers")
    patrol_extra_max_h: int = _env("DISPATCH_PATROL_EXTRA_MAX_H", 12,
                                   "an extra patrol (started outside the windows) ends "
                                   "after this long at the latest (h)")
    patrol_backdate_max_h: int = _env("DISPATCH_PATROL_BACKDATE_MAX_H", 12,
                                      "a patrol started or ended on a phone without signal "
                                      "may be sent this late (h)")
    cover_radius_m: float = _env("DISPATCH_COVER_RADIUS", 30.0,
                                 "a patrol covers this far either side of its track (m)")
    track_simplify_m: float = _env("DISPATCH_TRACK_SIMPLIFY", 5.0,
                                   "tolerance of tracks drawn on the screen (m)")
    track_retention_days: int = _env("DISPATCH_TRACK_RETENTION_DAYS", 35,
                                     "days a worker's track is kept")
    track_range_max_h: int = _env("DISPATCH_TRACK_RANGE_MAX", 48,
                                  "longest from/to range of one track request (h)")
    track_tolerance_min_m: float = _env("DISPATCH_TRACK_TOLERANCE_MIN", 0.5,
                                        "finest simplification a track request may ask (m)")
    track_tolerance_max_m: float = _env("DISPATCH_TRACK_TOLERANCE_MAX", 500.0,
                                        "coarsest simplification a track request may ask (m)")
    stop_radius_m: float = _env("DISPATCH_STOP_RADIUS", 30.0,
                                "a stop on a track: staying within this distance (m)")
    stop_min_min: int = _env("DISPATCH_STOP_MIN", 5, "... for at least this long (min)")
    positions_flush_ms: int = _env("DISPATCH_POSITIONS_FLUSH_MS", 50,
                                   "longest a position waits to share a positions event "
                                   "when the process is busy (ms; idle: sent at once)")
    device_auth_cache_s: int = _env("DISPATCH_DEVICE_AUTH_CACHE", 5 * MINUTE_S,
                                    "device ids and OwnTracks logins cached in-process (s)")
    ingest_pipe: bool = _env("DISPATCH_INGEST_PIPE", True,
                             "fixes go through the web process's own Redis connection "
                             "(false: through redis-py)")

    # Alerts
    alert_burst_s: int = _env("DISPATCH_ALERT_BURST", 10 * MINUTE_S,
                              "raises of one kind and scope this close are one alert (s)")
    alert_group_max: int = _env("DISPATCH_ALERT_GROUP_MAX", 200,
                                "most members a burst alert takes; more start another alert")
    alerts_keep: int = _env("DISPATCH_ALERTS_KEEP", 5000, "cleared alerts kept for the record")
    alert_log_max: int = _env("DISPATCH_ALERT_LOG_MAX", 200, "log entries kept per alert")
    rework_limit: int = _env("DISPATCH_REWORK_LIMIT", 2,
                             "a case reworked more often than this raises an alert")

    # Reports and scores
    worker_weights: str = _env("DISPATCH_WORKER_WEIGHTS", "patrol=0.5,reports=0.3,verify=0.2",
                               "weights of a grid worker's score")
    department_weights: str = _env(
        "DISPATCH_DEPARTMENT_WEIGHTS",
        "on_time=0.4,rework=0.15,overdue=0.15,handling=0.1,supervised=0.1,rating=0.1,"
        "checkin=0.1",
        "weights of a department's score")
    warn_last: int = _env("DISPATCH_WARN_LAST", 3, "the last N of a ranking are warned")
    stuck_hours: int = _env("DISPATCH_STUCK_HOURS", 72, "an open case untouched this long is stuck")
    figures_every_s: int = _env("DISPATCH_FIGURES_EVERY", 15, "screen figures refresh (s)")
    district_figures_every_s: float = _env("DISPATCH_DISTRICT_FIGURES_EVERY", 15.0,
                                           "the district screen's figures refresh (s)")

    # The command screen's map
    map_tiles_url: str = _env("DISPATCH_MAP_TILES", "",
                              "XYZ base-map tile URL ({z}/{x}/{y}, {s}); empty: grids only")
    map_tiles_crs: str = _env("DISPATCH_MAP_TILES_CRS", "wgs84",
                              "coordinate system of the tiles: wgs84 or gcj02")
    map_tiles_attribution: str = _env("DISPATCH_MAP_TILES_ATTRIBUTION", "",
                                      "attribution shown under the base map")
    map_tiles_subdomains: str = _env("DISPATCH_MAP_TILES_SUBDOMAINS", "abc",
                                     "the values {s} takes in the tile URL")
    map_tiles_max_zoom: int = _env("DISPATCH_MAP_TILES_MAX_ZOOM", 18,
                                   "deepest zoom the tile server has (deeper: scaled up)")

    # Citizens (Open311)
    open311_key_rate: int = _env("DISPATCH_OPEN311_KEY_RATE", 60,
                                 "requests a new Open311 API key may make per window")
    open311_window_s: int = _env("DISPATCH_OPEN311_WINDOW", 60, "Open311 rate window (s)")
    open311_page_rate_addr: int = _env("DISPATCH_OPEN311_PAGE_RATE_ADDR", 20,
                                       "public page's posts per address and window")
    open311_range_days: int = _env("DISPATCH_OPEN311_RANGE_DAYS", 90,
                                   "longest date range of a request search (days)")
    open311_contact: str = _env("DISPATCH_OPEN311_CONTACT", "",
                                "contact shown in the Open311 discovery document")

    # Rules
    rules_file: Path | None = _env("DISPATCH_RULES", None, "routing rules file (default shipped)")

    # Logging
    log_level: str = _env("DISPATCH_LOG_LEVEL", "info", "log level")
    access_log: bool = _env("DISPATCH_ACCESS_LOG", True,
                            "the web server logs every request (secrets redacted)")

    # Metrics (the web server's are at /metrics; the worker and the clock serve their own)
    metrics_host: str = _env("DISPATCH_METRICS_HOST", "127.0.0.1",
                             "address the worker's and the clock's metrics listen on")
    clock_metrics_port: int = _env("DISPATCH_CLOCK_METRICS_PORT", 9100,
                                   "the clock's metrics port (taken: the next free; 0: off)")
    worker_metrics_port: int = _env("DISPATCH_WORKER_METRICS_PORT", 9101,
                                    "a worker's metrics port (taken: the next free; 0: off)")
    metrics_every_s: float = _env("DISPATCH_METRICS_EVERY", 15.0,
                                  "how often the worker and clock refresh their gauges (s)")

    def __post_init__(self) -> None:
        if self.map_tiles_crs not in MAP_CRS:
            raise ValueError(f"setting map_tiles_crs: {self.map_tiles_crs!r} is not one of "
                             f"{', '.join(MAP_CRS)}")
        if self.map_tiles_url and not all(p in self.map_tiles_url for p in TILE_PLACEHOLDERS):
            raise ValueError("setting map_tiles_url: an XYZ URL has {z}, {x} and {y}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read every field from ``environ`` (default: the process environment)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = env.get(f.metadata["env"])
            if raw is not None and raw != "":
                values[f.name] = _parse(f.name, str(f.type), raw)
        values.update(overrides)
        return cls(**values)

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    @property
    def redis_dir(self) -> Path:
        return self.data_dir / "redis"

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    @classmethod
    def describe(cls) -> list[tuple[str, str, str]]:
        """(variable, default, meaning) for every setting: the README's table."""
        return [
            (f.metadata["env"], str(f.default), f.metadata["doc"]) for f in dataclasses.fields(cls)
        ]


def _parse(name: str, type_name: str, raw: str) -> Any:
    try:
        if "int" in type_name:
            return int(raw)
        if "float" in type_name:
            return float(raw)
        if "bool" in type_name:
            return raw.strip().lower() in {"1", "true", "yes", "on"}
        if "Path" in type_name:
            return Path(raw)
    except ValueError as exc:
        raise ValueError(f"setting {name}: cannot read {raw!r} as {type_name}") from exc
    return raw
