"""A job for the worker tests: marks a Redis key when it starts, then holds until the test
releases it (a key appears), and marks it again when it ends."""

from __future__ import annotations

import os
import time

import redis

POLL_S = 0.05
HOLD_LIMIT_S = 60.0


def held_mark(url: str, key: str, release: str) -> str:
    client = redis.Redis.from_url(url)
    client.rpush(key, f"start:{os.getpid()}")
    deadline = time.monotonic() + HOLD_LIMIT_S
    while not client.exists(release):  # poll for the test's release
        if time.monotonic() > deadline:
            raise TimeoutError(f"{release} never came")
        time.sleep(POLL_S)
    client.rpush(key, f"done:{os.getpid()}")
    return "ok"
