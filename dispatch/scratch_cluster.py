"""A throwaway Redis Cluster (3 masters, 1 replica each, or more) from the embedded binary:
tests, benchmarks.

Six (or, with ``replicas=2``, nine) ``redis-server --cluster-enabled yes`` on free loopback
ports, joined by the
``redis-cli --cluster create`` shipped beside the binary (or, without it, by
``CLUSTER ADDSLOTS`` / ``MEET`` / ``REPLICATE`` sent from here). A short node timeout
makes a replica take over a killed master within a few seconds.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import redis
from redis.crc import REDIS_CLUSTER_HASH_SLOTS

from dispatch.embedded_redis import (
    LOOPBACK,
    POLL_S,
    EmbeddedRedisError,
    find_binary,
    free_port,
    port_available,
)

MASTERS = 3
REPLICAS_PER_MASTER = 1
#: A second replica per master keeps one when the other is down (``DISPATCH_WAIT_REPLICAS``).
MAX_REPLICAS_PER_MASTER = 2
#: A master unreachable this long is failed over by its replica (ms).
NODE_TIMEOUT_MS = 1000
START_TIMEOUT_S = 30.0
#: A node's cluster bus listens on its port plus this.
BUS_PORT_OFFSET = 10000
HIGHEST_PORT = 65535
STOP_TIMEOUT_S = 10.0


@dataclass
class ClusterNode:
    port: int
    process: subprocess.Popen[bytes]
    args: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"redis://{LOOPBACK}:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(LOOPBACK, self.port, decode_responses=True, socket_timeout=2.0)

    def alive(self) -> bool:
        return self.process.poll() is None


@dataclass
class ScratchCluster:
    nodes: list[ClusterNode] = field(default_factory=list)

    @property
    def url(self) -> str:
        """``redis+cluster://`` naming every node (any that answers gives the map)."""
        return "redis+cluster://" + ",".join(f"{LOOPBACK}:{n.port}" for n in self.nodes)

    def node(self, port: int) -> ClusterNode:
        return next(n for n in self.nodes if n.port == port)

    def master_of(self, key: str) -> ClusterNode:
        """The node that serves ``key``'s slot now (asked of a live node)."""
        for n in self.nodes:
            if not n.alive():
                continue
            with contextlib.suppress(redis.RedisError):
                c = n.client()
                try:
                    slot = int(c.execute_command("CLUSTER", "KEYSLOT", key))
                    for start, end, master, *_ in c.execute_command("CLUSTER", "SLOTS"):
                        if int(start) <= slot <= int(end):
                            return self.node(int(master[1]))
                finally:
                    c.close()
        raise EmbeddedRedisError("no live cluster node answers")

    def replicas_of(self, master: ClusterNode) -> list[ClusterNode]:
        c = master.client()
        try:
            info = c.info("replication")
        finally:
            c.close()
        ports = [int(v["port"]) for k, v in info.items()
                 if k.startswith("slave") and isinstance(v, dict)]
        return [self.node(p) for p in ports]

    def kill(self, node: ClusterNode) -> None:
        """``kill -9``: no chance to hand anything over."""
        os.kill(node.process.pid, signal.SIGKILL)
        node.process.wait(STOP_TIMEOUT_S)

    def restart(self, node: ClusterNode) -> None:
        """Start a killed node again on its port and files: it rejoins the cluster (as a
        replica of whoever took its slots over)."""
        node.process = subprocess.Popen(node.args, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        _wait(lambda: node.client().ping(), f"node {node.port} again")

    def healthy(self) -> bool:
        """Every live node sees the whole cluster as ok."""
        for n in self.nodes:
            if not n.alive():
                continue
            try:
                c = n.client()
                try:
                    if c.cluster("info").get("cluster_state") != "ok":
                        return False
                finally:
                    c.close()
            except redis.RedisError:
                return False
        return True

    def flush(self) -> None:
        for n in self.nodes:
            if n.alive():
                c = n.client()
                try:
                    if c.info("replication").get("role") == "master":
                        c.flushall()
                finally:
                    c.close()


def node_port() -> int:
    """A free port whose cluster bus port (+10000) is free too."""
    while True:
        port = free_port()
        if port + BUS_PORT_OFFSET <= HIGHEST_PORT and port_available(port + BUS_PORT_OFFSET):
            return port


def _node_args(binary: Path, directory: Path, port: int) -> list[str]:
    return [str(binary), "--port", str(port), "--bind", LOOPBACK, "--dir", str(directory),
            "--save", "", "--appendonly", "no", "--cluster-enabled", "yes",
            "--cluster-config-file", f"nodes-{port}.conf",
            "--cluster-node-timeout", str(NODE_TIMEOUT_MS),
            "--cluster-replica-validity-factor", "0", "--logfile", str(directory / "redis.log")]


def _wait(check: object, what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        with contextlib.suppress(redis.RedisError, OSError):
            if check():  # type: ignore[operator]
                return
        if time.monotonic() > deadline:
            raise EmbeddedRedisError(f"scratch cluster: timed out waiting for {what}")
        time.sleep(POLL_S)


def _create_by_commands(cluster: ScratchCluster) -> None:
    """Without redis-cli: slots to the masters, MEET, then each replica REPLICATEs (the
    masters in turn)."""
    masters, replicas = cluster.nodes[:MASTERS], cluster.nodes[MASTERS:]
    share = REDIS_CLUSTER_HASH_SLOTS // MASTERS
    for i, m in enumerate(masters):
        end = REDIS_CLUSTER_HASH_SLOTS if i == MASTERS - 1 else (i + 1) * share
        c = m.client()
        c.execute_command("CLUSTER", "ADDSLOTS", *range(i * share, end))
        c.close()
    first = cluster.nodes[0].client()
    for n in cluster.nodes[1:]:
        first.execute_command("CLUSTER", "MEET", LOOPBACK, n.port)
    first.close()

    def everyone_met() -> bool:
        return all(len(n.client().execute_command("CLUSTER", "NODES").splitlines())
                   == len(cluster.nodes) for n in cluster.nodes)

    _wait(everyone_met, "the nodes to meet")
    for i, r in enumerate(replicas):
        master_id = masters[i % MASTERS].client().execute_command("CLUSTER", "MYID")
        r.client().execute_command("CLUSTER", "REPLICATE", master_id)


@contextlib.contextmanager
def scratch_cluster(directory: Path, replicas: int = REPLICAS_PER_MASTER
                    ) -> Iterator[ScratchCluster]:
    """3 masters and ``replicas`` replicas of each on free ports under ``directory``; all
    killed on exit."""
    if not REPLICAS_PER_MASTER <= replicas <= MAX_REPLICAS_PER_MASTER:
        raise EmbeddedRedisError(f"a scratch cluster has {REPLICAS_PER_MASTER} to "
                                 f"{MAX_REPLICAS_PER_MASTER} replicas per master")
    binary = find_binary()
    cluster = ScratchCluster()
    try:
        for _ in range(MASTERS * (1 + replicas)):
            port = node_port()
            node_dir = directory / str(port)
            node_dir.mkdir(parents=True, exist_ok=True)
            args = _node_args(binary, node_dir, port)
            proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            cluster.nodes.append(ClusterNode(port, proc, args))
        for n in cluster.nodes:
            _wait(lambda n=n: n.client().ping(), f"node {n.port}")
        cli = binary.parent / "redis-cli"
        if cli.exists():
            subprocess.run([str(cli), "--cluster", "create",
                            *(f"{LOOPBACK}:{n.port}" for n in cluster.nodes),
                            "--cluster-replicas", str(replicas), "--cluster-yes"],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           timeout=START_TIMEOUT_S)
        else:
            _create_by_commands(cluster)
        _wait(cluster.healthy, "cluster_state:ok")

        def replicas_linked() -> bool:
            ups = 0
            for n in cluster.nodes:
                info = n.client().info("replication")
                ups += info.get("role") == "slave" and info.get("master_link_status") == "up"
            return ups == MASTERS * replicas

        _wait(replicas_linked, "the replicas to sync")
        yield cluster
    finally:
        for n in cluster.nodes:
            if n.alive():
                n.process.kill()
                n.process.wait(STOP_TIMEOUT_S)
