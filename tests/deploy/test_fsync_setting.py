"""DISPATCH_FSYNC decides the embedded Redis's appendfsync, also for a server already running."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis

from dispatch.embedded_redis import EmbeddedRedis, EmbeddedRedisError
from dispatch.settings import Settings


def appendfsync(url: str) -> str:
    client = redis.Redis.from_url(url, decode_responses=True)
    try:
        return str(client.config_get("appendfsync")["appendfsync"])
    finally:
        client.close()


def test_always_then_everysec_on_attach(tmp_path: Path) -> None:
    settings = Settings.from_env({"DISPATCH_FSYNC": "always", "DISPATCH_DATA": str(tmp_path)})
    server = EmbeddedRedis(settings.redis_dir, settings.fsync)
    url, started = server.start()
    try:
        assert started and appendfsync(url) == "always"
        again, started_again = EmbeddedRedis(settings.redis_dir, "everysec").start()
        assert again == url and not started_again
        assert appendfsync(url) == "everysec"
    finally:
        server.stop()


def test_unknown_mode_is_refused(tmp_path: Path) -> None:
    with pytest.raises(EmbeddedRedisError, match="always, everysec, no"):
        EmbeddedRedis(tmp_path, "sometimes").start()
