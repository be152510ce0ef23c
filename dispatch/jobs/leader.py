"""Leadership among clock processes: a lock in Redis with an expiry, renewed while alive."""

from __future__ import annotations

import uuid

from redis import Redis

# KEYS[1] the lock
# ARGV[1] this holder's id, ARGV[2] ttl in ms
# Takes the free lock or renews our own; returns 1 when we hold it.
ACQUIRE_OR_RENEW = """
local holder = redis.call('GET', KEYS[1])
if holder == false then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
"""

# KEYS[1] the lock
# ARGV[1] this holder's id
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class LeaderLock:
    def __init__(self, redis: Redis, key: str, ttl_ms: int, holder: str | None = None) -> None:
        self.redis = redis
        self.key = key
        self.ttl_ms = ttl_ms
        self.holder = holder or uuid.uuid4().hex
        self._acquire = redis.register_script(ACQUIRE_OR_RENEW)
        self._release = redis.register_script(RELEASE)

    def hold(self) -> bool:
        """Take or keep the lead; False when another process leads."""
        return bool(self._acquire(keys=[self.key], args=[self.holder, self.ttl_ms]))

    def release(self) -> None:
        self._release(keys=[self.key], args=[self.holder])
