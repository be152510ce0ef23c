"""A job for the worker tests: marks a Redis key when it starts and when it ends."""

from __future__ import annotations

import os
import time

import redis


def slow_mark(url: str, key: str, seconds: float) -> str:
    client = redis.Redis.from_url(url)
    client.rpush(key, f"start:{os.getpid()}")
    time.sleep(seconds)
    client.rpush(key, f"done:{os.getpid()}")
    return "ok"
