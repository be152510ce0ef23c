"""Pub/sub across the cluster: a message published on any node (master or replica) reaches
the sockets of a web process whose hub listens on another one."""

from __future__ import annotations

import asyncio

import orjson

from dispatch.bootstrap import make_redis
from dispatch.keys import Keys
from dispatch.metrics import Metrics
from dispatch.realtime.hub import Hub, encode
from dispatch.scratch_cluster import ScratchCluster

KEYS = Keys("jlc")
RECV_S = 5


def test_a_message_published_on_any_node_reaches_the_hub(redis_url: str,
                                                         cluster: ScratchCluster) -> None:
    async def go() -> list[dict[str, int]]:
        redis = make_redis(redis_url)
        hub = Hub(redis, KEYS.push_pattern(), Metrics())
        await hub.start()
        try:
            sub = hub.subscribe([KEYS.user_channel("gw001")], maxsize=len(cluster.nodes))
            for node in cluster.nodes:
                client = node.client()
                client.publish(KEYS.user_channel("gw001"), encode({"port": node.port}))
                client.close()
            return [orjson.loads(await asyncio.wait_for(sub.queue.get(), RECV_S))
                    for _ in cluster.nodes]
        finally:
            await hub.stop()
            await redis.aclose()

    got = asyncio.run(go())
    assert sorted(m["port"] for m in got) == sorted(n.port for n in cluster.nodes)
