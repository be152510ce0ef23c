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
LATE_S = 0.2


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


def test_one_hub_hears_every_streets_channels_on_one_connection(
        redis_url: str, cluster: ScratchCluster) -> None:
    streets = [Keys(code) for code in ("jlc", "yuyang", "bieshan")]
    assert len({cluster.master_of(k.users()).port for k in streets}) > 1  # different slots

    async def go() -> tuple[dict[str, list[dict[str, str]]], int]:
        redis = make_redis(redis_url)
        hub = Hub(redis, [k.push_pattern() for k in streets], Metrics())
        await hub.start()
        try:
            subs = {k.street: hub.subscribe([k.user_channel("gw001")], maxsize=len(streets))
                    for k in streets}
            for node, k in zip(cluster.nodes, streets, strict=False):
                client = node.client()
                client.publish(k.user_channel("gw001"), encode({"street": k.street}))
                client.close()
            got = {street: [orjson.loads(await asyncio.wait_for(sub.queue.get(), RECV_S))]
                   for street, sub in subs.items()}
            await asyncio.sleep(LATE_S)  # (nothing else comes: not another street's)
            return got, sum(sub.queue.qsize() for sub in subs.values())
        finally:
            await hub.stop()
            await redis.aclose()

    got, more = asyncio.run(go())
    assert more == 0
    assert got == {k.street: [{"street": k.street}] for k in streets}
