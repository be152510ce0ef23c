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


def _env(name: str, default: Any, doc: str = "") -> Any:
    return field(default=default, metadata={"env": name, "doc": doc})


@dataclass(frozen=True)
class Settings:
    # Where things live
    redis_url: str | None = _env("REDIS_URL", None, "Redis server; unset starts the embedded one")
    redis_queue_url: str | None = _env("REDIS_QUEUE_URL", None, "Redis for RQ queues")
    data_dir: Path = _env("DISPATCH_DATA", Path("var"), "data directory (embedded Redis, media)")
    street: str = _env("DISPATCH_STREET", "jlc", "street code, the hash tag of every key")
    host: str = _env("DISPATCH_HOST", "127.0.0.1", "web server address")
    port: int = _env("DISPATCH_PORT", 8000, "web server port")
    public_url: str | None = _env("DISPATCH_PUBLIC_URL", None, "URL printed for people")

    # Time
    tz: str = _env("DISPATCH_TZ", "Asia/Shanghai", "the street's local time zone")
    work_hours: str = _env("DISPATCH_WORK_HOURS", "09:00-12:00,13:30-17:30", "working periods")
    weekend: str = _env("DISPATCH_WEEKEND", "sat,sun", "days off each week")
    holidays: str = _env("DISPATCH_HOLIDAYS", "", "comma-separated YYYY-MM-DD days off")
    workdays: str = _env("DISPATCH_WORKDAYS", "", "comma-separated make-up working days")
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
    ws_queue_len: int = _env("DISPATCH_WS_QUEUE", 1000, "outgoing messages queued per socket")
    page_size_max: int = _env("DISPATCH_PAGE_MAX", 200, "largest page of a listing")

    # Rules
    rules_file: Path | None = _env("DISPATCH_RULES", None, "routing rules file (default shipped)")

    # Logging
    log_level: str = _env("DISPATCH_LOG_LEVEL", "info", "log level")

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
