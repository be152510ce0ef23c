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
            # the hub reads one connection in order: once a later message reached another
            # socket, the earlier one would have reached ``a`` had it still been subscribed
            await publish(redis, keys.user_channel("gw002"), {"marker": True})
            assert orjson.loads(await asyncio.wait_for(other.queue.get(), 5)) == {
                "marker": True}
            assert a.queue.empty()
        finally:
            await hub.stop()
            await redis.aclose()

    asyncio.run(go())


def test_events_resume_and_trim(redis_url: str) -> None:
    from dispatch.realtime.events import Events
    from dispatch.scripts import Scripts

    async def go() -> None:
        redis = make_redis(redis_url)
        events = Events(Scripts(redis), Keys("jlc"), maxlen=5)
        try:
            seqs = [await events.emit({"type": "case", "n": n}) for n in range(3)]
            assert seqs == [1, 2, 3]
            after1 = await events.since(redis, 1, 100)
            assert [e["seq"] for e in after1] == [2, 3]
            assert after1[0] == {"seq": 2, "type": "case", "n": 1}
            assert await events.since(redis, 3, 100) == []
            for n in range(200):  # trimmed far past the bound
                await events.emit({"type": "case", "n": n})
            assert await events.since(redis, 1, 100) is None
        finally:
            await redis.aclose()

    asyncio.run(go())
