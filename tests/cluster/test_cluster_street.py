"""One street served from a Redis Cluster: seed, serve, a ping reaching a screen, the refusal
of a cluster without a queue server, keys spread by street."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from redis.cluster import RedisCluster

from dispatch.keys import Keys
from dispatch.org.model import OrgData
from dispatch.scratch_cluster import ScratchCluster
from dispatch.settings import Settings
from tests.conftest import TEST_SCRYPT_N, LiveServer
from tests.location.fixtures import inside, now_ms, phone, ping, recv, send
from tests.test_screen_stream import recv as screen_recv
from tests.test_screen_stream import screen
from tests.waiting import wait_for

KEYS = Keys("jlc")
SEED_S = 60


def test_seeded_street_lives_in_one_slot_of_the_cluster(
        seeded: OrgData, rdb: RedisCluster, cluster: ScratchCluster) -> None:
    owner = cluster.master_of(KEYS.users())
    client = owner.client()
    try:
        here = client.execute_command("CLUSTER", "COUNTKEYSINSLOT",
                                      client.execute_command("CLUSTER", "KEYSLOT", KEYS.users()))
    finally:
        client.close()
    assert int(here) > len(seeded.people)
    assert rdb.zcard(KEYS.users()) == len(seeded.people)


def test_a_ping_reaches_a_screen_socket(live: LiveServer, seeded: OrgData,
                                        tokens: Callable[[str], str]) -> None:
    lon, lat = inside(seeded, "001")
    with screen(live, tokens("screen1")) as wall:
        assert screen_recv(wall)["type"] == "snapshot"
        with phone(live, tokens("gw001")) as ws:
            send(ws, ping(1, lon, lat, now_ms()))
            assert recv(ws) == {"type": "ack", "seq": 1}

        def moved() -> object:
            event = screen_recv(wall)
            if event["type"] != "positions":
                return None
            return next((p for p in event["items"] if p["worker"] == "gw001"), None)

        seen = wait_for(moved, "gw001 on the screen")
    assert seen["lat"] == lat  # type: ignore[index]


def test_dispatch_seed_on_the_cluster_and_again_with_force(
        settings: Settings, rdb: RedisCluster, street: OrgData, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS_", "DISPATCH_"))}
    env.update(REDIS_URL=settings.redis_url or "", REDIS_QUEUE_URL=settings.redis_queue_url or "",
               DISPATCH_DATA=str(tmp_path), DISPATCH_SCRYPT_N=str(TEST_SCRYPT_N))
    seed = [sys.executable, "-m", "dispatch", "seed", "--preset", "street",
            "--password", "seed-pass"]
    for extra in ([], ["--force"]):
        done = subprocess.run(seed + extra, env=env, capture_output=True, text=True,
                              timeout=SEED_S)
        assert done.returncode == 0, done.stderr
    assert rdb.zcard(KEYS.users()) == len(street.people)
    assert rdb.hlen(KEYS.org_grids()) == len(street.grids["features"])


def test_a_cluster_without_a_queue_server_is_refused_at_start(cluster: ScratchCluster) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS_", "DISPATCH_"))}
    env["REDIS_URL"] = cluster.url
    for command in ("serve", "worker", "clock", "seed"):
        done = subprocess.run([sys.executable, "-m", "dispatch", command], env=env,
                              capture_output=True, text=True, timeout=30)
        assert done.returncode == 1, done.stderr
        assert "RQ does not support Redis Cluster" in done.stderr
        assert "REDIS_QUEUE_URL" in done.stderr
