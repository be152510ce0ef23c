"""``dispatch backup`` / ``dispatch restore`` on a Redis Cluster: a street backed up from the
cluster comes back in one plain Redis, and back again into the cluster, with the same cases,
photos, users and tracks read through the API; in a deployment of two streets, a backup of
the street that is not the home street restores that street alone."""

from __future__ import annotations

import dataclasses
import os
import tarfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import redis
from websockets.sync.client import connect

from dispatch.backup import DATA, read_records
from dispatch.cli import main
from dispatch.keys import Keys
from dispatch.org.model import OrgData, Street
from dispatch.org.seed import seed_org
from dispatch.scratch_cluster import ScratchCluster
from dispatch.settings import Settings
from tests.cases.helpers import Cases, Places
from tests.cluster.conftest import cluster_settings
from tests.conftest import PASSWORD, LiveServer, run_async, running
from tests.location.fixtures import inside, now_ms

HOME, OTHER = "jlc", "hd"
#: The plain Redis the cluster's backup is restored into (a database of the queue server).
PLAIN_DB = 3
RECV_S = 5.0
WORKER = "gw001"
FIXES = 5


@pytest.fixture
def plain_url(redis_server: str) -> Iterator[str]:
    url = f"{redis_server.rsplit('/', 1)[0]}/{PLAIN_DB}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


def dispatch(monkeypatch: pytest.MonkeyPatch, settings: Settings, *args: str) -> int:
    """``dispatch ARGS`` as an operator runs it, with ``settings``' store and data."""
    with monkeypatch.context() as env:
        for name in [k for k in os.environ if k.startswith(("DISPATCH_", "REDIS_"))]:
            env.delenv(name)
        env.setenv("REDIS_URL", str(settings.redis_url))
        env.setenv("DISPATCH_DATA", str(settings.data_dir))
        if settings.redis_queue_url:
            env.setenv("REDIS_QUEUE_URL", settings.redis_queue_url)
        if settings.streets:
            env.setenv("DISPATCH_STREETS", settings.streets)
        return main(list(args))


def stream_fixes(live: LiveServer, token: str, where: tuple[float, float]) -> list[int]:
    """A phone's fixes, each acknowledged; their times."""
    lon, lat = where
    start = now_ms() - FIXES * 1000
    times = [start + n * 1000 for n in range(FIXES)]
    with connect(f"{live.ws_url}/ws/phone?token={token}", open_timeout=RECV_S) as ws:
        for seq, ts in enumerate(times, 1):
            ws.send(orjson.dumps({"type": "ping", "seq": seq, "lat": lat,
                                  "lon": lon + seq * 1e-5, "ts": ts}).decode())
            while True:
                reply = orjson.loads(ws.recv(timeout=RECV_S))
                if reply.get("type") == "ack":
                    assert reply["seq"] == seq
                    break
                assert reply.get("type") != "error", reply
    return times


def what_users_see(live: LiveServer, case_id: str, photo: str) -> dict[str, Any]:
    """The case, its photo, the users and the worker's track, as a dispatcher reads them
    (logging in with the stored password)."""
    token = live.login("disp1")
    with live.client(token) as c:
        case = c.get(f"/api/v1/cases/{case_id}")
        image = c.get(f"/api/v1/media/{photo}")
        users = c.get("/api/v1/users")
        track = c.get(f"/api/v1/workers/{WORKER}/track",
                      params={"from": now_ms() - 3_600_000, "to": now_ms() + 60_000})
    assert case.status_code == image.status_code == users.status_code == 200
    assert track.status_code == 200, track.text
    body = case.json()
    times = track.json()["properties"].get("times") or track.json()["properties"].get("ts")
    return {"state": body["state"], "description": body["description"],
            "timeline": body["timeline"], "photo": image.content,
            "users": sorted(u["username"] for u in users.json()["items"]),
            "track": track.json()["geometry"], "times": times}


def test_a_cluster_backup_restores_into_one_redis_and_back(
        live: LiveServer, seeded: OrgData, tokens: Callable[[str], str], settings: Settings,
        cluster: ScratchCluster, plain_url: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    cases = Cases(live, tokens)
    photo = cases.photo(WORKER)
    case = cases.report(WORKER, media=[photo])
    cases.act("dm001", case["id"], "accept")
    stream_fixes(live, tokens(WORKER), inside(seeded, WORKER[2:]))
    before = what_users_see(live, case["id"], photo)
    assert before["times"] or before["track"]["coordinates"]

    from_cluster = tmp_path / "cluster.tar.gz"
    assert dispatch(monkeypatch, settings, "backup", "--out", str(from_cluster)) == 0
    node = cluster.master_of(Keys(HOME).users())
    on_node = node.client()
    try:  # the archive holds every key of the street, all on the node of its hash tag
        held = sum(1 for _ in on_node.scan_iter(match=Keys(HOME).pattern(), count=1000))
    finally:
        on_node.close()
    with tarfile.open(from_cluster) as tar:
        member = tar.extractfile(DATA)
        assert member is not None
        assert len(list(read_records(member.read()))) == held > 0

    plain = Settings.from_env({}, **{**_overrides(settings), "redis_url": plain_url,
                                     "data_dir": tmp_path / "plain"})
    assert dispatch(monkeypatch, plain, "restore", str(from_cluster)) == 0
    with running(plain) as on_plain:
        assert what_users_see(on_plain, case["id"], photo) == before

    from_plain = tmp_path / "plain.tar.gz"
    assert dispatch(monkeypatch, plain, "backup", "--out", str(from_plain)) == 0
    cluster.flush()
    back = dataclasses.replace(settings, data_dir=tmp_path / "cluster-again")
    assert dispatch(monkeypatch, back, "restore", str(from_plain)) == 0
    with running(back) as on_cluster:
        assert what_users_see(on_cluster, case["id"], photo) == before


def _overrides(settings: Settings) -> dict[str, Any]:
    return {f.name: getattr(settings, f.name) for f in dataclasses.fields(settings)}


def seed_two_streets(settings: Settings, street: OrgData) -> None:
    from dispatch.bootstrap import bootstrap

    async def go() -> None:
        for code in (HOME, OTHER):
            data = street if code == HOME else dataclasses.replace(street, street=Street(
                code=OTHER, name="华东街道", name_en="Huadong Street", district="东丽区"))
            c = bootstrap(dataclasses.replace(settings, street=code))
            try:
                await seed_org(c.redis, c.keys, c.users, c.org, data, PASSWORD,
                               seeded_ms=int(time.time() * 1000))
            finally:
                await c.aclose()

    run_async(go())


def test_the_backup_of_a_street_that_is_not_the_home_street_restores_that_street_only(
        redis_url: str, queue_url: str, street: OrgData, cluster: ScratchCluster,
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = cluster_settings(redis_url, queue_url, tmp_path / "data",
                                streets=f"{HOME},{OTHER}")
    seed_two_streets(settings, street)
    with running(settings) as live:
        home = StreetUser(live, HOME)
        other = StreetUser(live, OTHER)
        kept = other.report("kept")
        archive = tmp_path / "hd.tar.gz"
        assert dispatch(monkeypatch, settings, "backup", "--street", OTHER,
                        "--out", str(archive)) == 0
        with tarfile.open(archive) as tar:
            member = tar.extractfile(DATA)
            assert member is not None
            names = [name for name, _, _ in read_records(member.read())]
        assert names and all(n.startswith(Keys(OTHER).prefix.encode()) for n in names)

        gone = other.report("after the backup")
        stays = home.report("home, after the backup")
        assert dispatch(monkeypatch, settings, "restore", str(archive)) == 1  # has data
        assert dispatch(monkeypatch, settings, "restore", "--force", str(archive)) == 0

        assert other.descriptions() == {kept: "kept"}
        assert other.status(gone) == 404
        assert home.descriptions() == {stays: "home, after the backup"}


class StreetUser:
    """A reporter and a dispatcher of one street of a multi-street deployment."""

    def __init__(self, live: LiveServer, code: str) -> None:
        self.live = live
        self.reporter = live.login(f"{WORKER}@{code}")
        self.dispatcher = live.login(f"disp1@{code}")
        with live.client(self.dispatcher) as c:
            grids = c.get("/api/v1/grids").json()
        self.places = Places(grids)

    def report(self, description: str) -> str:
        lat, lon = self.places.point("001")
        with self.live.client(self.reporter) as c:
            r = c.post("/api/v1/cases", json={"item": "SS01", "lat": lat, "lon": lon,
                                               "description": description,
                                               "client_id": f"c-{time.monotonic_ns()}"})
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    def descriptions(self) -> dict[str, str]:
        with self.live.client(self.dispatcher) as c:
            ids = [i["id"] for i in c.get("/api/v1/cases").json()["items"]]
            return {i: c.get(f"/api/v1/cases/{i}").json()["description"] for i in ids}

    def status(self, case_id: str) -> int:
        with self.live.client(self.dispatcher) as c:
            return int(c.get(f"/api/v1/cases/{case_id}").status_code)

