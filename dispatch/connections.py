"""Every Redis client of every process is made here: one plain server, or a Redis Cluster.

``REDIS_URL`` names the store. ``redis://host:port/db`` (or ``rediss://``, ``unix://``) is one
server; ``redis+cluster://h1:p1,h2:p2`` (or ``rediss+cluster://``, optionally with
``user:password@`` before the first node) is a Redis Cluster reached through any of the
nodes listed, and redis-py's cluster client is used. Every street's keys carry the street
as a hash tag (``dispatch/keys.py``), so a street's scripts and transactions stay in one
slot while different streets spread over the cluster.

A process makes its clients once (``dispatch.bootstrap.make_clients``) and every street it
serves uses them: its connections do not grow with the number of streets.

RQ cannot use a cluster (rq/rq#1942): the queues live on ``REDIS_QUEUE_URL``, a plain Redis.
On a cluster without it, :func:`queue_url` refuses at start with a message saying so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from redis import Redis as SyncRedis
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff

from dispatch.errors import DispatchError

CLUSTER_SCHEMES = {"redis+cluster": False, "rediss+cluster": True}
DEFAULT_PORT = 6379
#: How long a command waits to connect (s).
CONNECT_TIMEOUT_S = 2.0
#: Connections of one process's pool (shared by every street the process serves:
#: ``bootstrap.make_clients``), and how long a command waits for one when all are busy.
REDIS_MAX_CONNECTIONS = 128
REDIS_POOL_WAIT_S = 10.0
HEALTH_CHECK_S = 30
#: A cluster command that meets a dead node or a moved slot is retried this often, waiting
#: longer each time up to the cap (the client refreshes the slot map in between): a
#: replica promoted after a failover answers within a few seconds.
CLUSTER_RETRIES = 20
CLUSTER_BACKOFF_BASE_S = 0.05
CLUSTER_BACKOFF_CAP_S = 0.5


class RedisConfigError(DispatchError):
    """REDIS_URL / REDIS_QUEUE_URL cannot work as given."""

    status = 500
    code = "redis_config"


@dataclass(frozen=True)
class ClusterAddress:
    """What a ``redis+cluster://`` URL names."""

    nodes: tuple[tuple[str, int], ...]
    username: str | None
    password: str | None
    tls: bool


def is_cluster(url: str) -> bool:
    return url.split("://", 1)[0].lower() in CLUSTER_SCHEMES


def parse_cluster_url(url: str) -> ClusterAddress:
    """The nodes and credentials of ``redis+cluster://[user:pass@]h1:p1,h2:p2``."""
    scheme, _, rest = url.partition("://")
    if scheme.lower() not in CLUSTER_SCHEMES:
        raise RedisConfigError(f"not a cluster URL: {scheme}://...")
    authority = rest.split("/", 1)[0].split("?", 1)[0]
    username = password = None
    if "@" in authority:
        credentials, authority = authority.rsplit("@", 1)
        user, sep, secret = credentials.partition(":")
        username, password = (unquote(user) or None, unquote(secret)) if sep else (
            None, unquote(user))
    nodes = []
    for part in authority.split(","):
        if not part:
            continue
        node = urlsplit(f"//{part}")
        nodes.append((node.hostname or "localhost", node.port or DEFAULT_PORT))
    if not nodes:
        raise RedisConfigError("a redis+cluster:// URL names at least one node (host:port)")
    return ClusterAddress(tuple(nodes), username, password,
                          CLUSTER_SCHEMES[scheme.lower()])


def redact(url: str) -> str:
    """``url`` without its password (for messages)."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest.split("/", 1)[0]:
        rest = "***@" + rest.split("@", 1)[1]
    return scheme + sep + rest


def make_async(url: str, *, decode_responses: bool = True) -> Redis:
    """The process's client of the store: a cluster client on a cluster URL, else one whose
    pool waits for a free connection instead of failing past its size (thousands of sockets
    may each have a command in flight)."""
    if is_cluster(url):
        return make_cluster(url, decode_responses=decode_responses)  # type: ignore[return-value]
    pool = BlockingConnectionPool.from_url(
        url, decode_responses=decode_responses, health_check_interval=HEALTH_CHECK_S,
        socket_connect_timeout=CONNECT_TIMEOUT_S, max_connections=REDIS_MAX_CONNECTIONS,
        timeout=REDIS_POOL_WAIT_S,
    )
    return Redis.from_pool(pool)


def make_cluster(url: str, *, decode_responses: bool = True) -> RedisCluster:
    address = parse_cluster_url(url)
    options: dict[str, Any] = {}
    if address.tls:
        options["ssl"] = True
    return RedisCluster(
        startup_nodes=[ClusterNode(host, port) for host, port in address.nodes],
        username=address.username, password=address.password,
        decode_responses=decode_responses, socket_connect_timeout=CONNECT_TIMEOUT_S,
        max_connections=REDIS_MAX_CONNECTIONS,
        retry=Retry(ExponentialBackoff(cap=CLUSTER_BACKOFF_CAP_S, base=CLUSTER_BACKOFF_BASE_S),
                    CLUSTER_RETRIES),
        **options,
    )


def make_sync(url: str, *, decode_responses: bool = False) -> SyncRedis:
    """A synchronous client of a plain server (RQ, the embedded server's checks)."""
    if is_cluster(url):
        raise RedisConfigError(f"{redact(url)} is a Redis Cluster; a synchronous client here "
                               "serves RQ, which needs a plain Redis (REDIS_QUEUE_URL)")
    return SyncRedis.from_url(url, decode_responses=decode_responses,
                              socket_connect_timeout=CONNECT_TIMEOUT_S)


def queue_url(redis_url: str, redis_queue_url: str | None) -> str:
    """Where RQ's queues live: ``REDIS_QUEUE_URL``, else the store when it is one server.
    A cluster store without ``REDIS_QUEUE_URL`` (or a cluster queue URL) is refused."""
    if redis_queue_url:
        if is_cluster(redis_queue_url):
            raise RedisConfigError(
                f"REDIS_QUEUE_URL={redact(redis_queue_url)} names a Redis Cluster; RQ does "
                "not support Redis Cluster (rq/rq#1942): give it a plain Redis server")
        return redis_queue_url
    if is_cluster(redis_url):
        raise RedisConfigError(
            f"REDIS_URL={redact(redis_url)} is a Redis Cluster, and RQ does not support "
            "Redis Cluster (rq/rq#1942): set REDIS_QUEUE_URL to a plain Redis server for "
            "the job queues (redis://host:port/db)")
    return redis_url


def node_urls(url: str) -> list[str]:
    """Plain ``redis://`` URLs of the nodes a cluster URL lists (with its credentials)."""
    address = parse_cluster_url(url)
    scheme = "rediss" if address.tls else "redis"
    auth = ""
    if address.password is not None:
        auth = f"{address.username or ''}:{address.password}@"
    return [f"{scheme}://{auth}{host}:{port}/0" for host, port in address.nodes]
