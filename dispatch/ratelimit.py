"""Fixed-window rate limits counted in Redis, shared by every process."""

from __future__ import annotations

from dataclasses import dataclass

from dispatch.clock import MS_PER_S
from dispatch.errors import RateLimited
from dispatch.keys import Keys
from dispatch.scripts import RateLimitCall, Scripts


@dataclass(frozen=True)
class Limit:
    bucket: str
    count: int
    window_s: int


class RateLimiter:
    def __init__(self, scripts: Scripts, keys: Keys) -> None:
        self.scripts = scripts
        self.keys = keys

    async def hit(self, limit: Limit, subject: str) -> None:
        """Count one use by ``subject``; raise RateLimited past the limit."""
        counted = await self.scripts.run(RateLimitCall(
            self.keys.rate(limit.bucket, subject), limit.count, limit.window_s * MS_PER_S))
        if not counted.allowed:
            retry = max(1, -(-counted.reset_ms // MS_PER_S))
            raise RateLimited(
                f"too many attempts; try again in {retry} s", retry_after_s=retry
            )
