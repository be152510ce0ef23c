"""The hub: one listener fans pub/sub messages to bounded per-socket queues."""

from __future__ import annotations

import asyncio

import orjson

from dispatch.bootstrap import make_redis
from dispatch.keys import Keys
from dispatch.metrics import Metrics
from dispatch.realtime.hub import Hub, publish


def test_fan_out_and_overflow(redis_url: str) -> None:
    async def go() -> None:
        keys = Keys("jlc")
        redis = make_redis(redis_url)
        hub = Hub(redis, keys.push_pattern(), Metrics())
        await hub.start()
        try:
            a = hub.subscribe([keys.user_channel("gw001")], maxsize=10)
            b = hub.subscribe([keys.user_channel("gw001"), keys.dept_channel("hw")], maxsize=2)
            other = hub.subscribe([keys.user_channel("gw002")], maxsize=10)
            await publish(redis, keys.user_channel("gw001"), {"type": "alert", "n": 1})
            got = await asyncio.wait_for(a.queue.get(), 5)
            assert orjson.loads(got) == {"type": "alert", "n": 1}
            for n in range(2, 5):
                await publish(redis, keys.dept_channel("hw"), {"n": n})
            await asyncio.wait_for(b.overflowed.wait(), 5)
            assert b.dropped >= 1  # the slow one overflowed ...
            assert a.dropped == 0 and a.queue.empty()  # ... and nobody else noticed
            assert other.queue.empty()
            hub.unsubscribe(a)
            await publish(redis, keys.user_channel("gw001"), {"n": 9})
            await asyncio.sleep(0.2)
            assert a.queue.empty()
        finally:
            await hub.stop()
            await redis.aclose()

    asyncio.run(go())
