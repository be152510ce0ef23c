"""Fixtures: a real redis-server (the embedded binary), the app under real uvicorn, the street."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import uvicorn

from dispatch.app import create_app
from dispatch.bootstrap import bootstrap
from dispatch.embedded_redis import free_port, scratch_redis
from dispatch.org.model import OrgData
from dispatch.org.preset import street_preset
from dispatch.org.seed import seed_org
from dispatch.settings import Settings

PASSWORD = "test-pass"
#: A valid 1x1 PNG image.
PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)
TEST_SCRYPT_N = 16
START_TIMEOUT_S = 10.0


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One redis-server for the whole run, from the same binary the product embeds."""
    with scratch_redis(tmp_path_factory.mktemp("redis")) as server:
        yield server.url


def emptied(url: str) -> str:
    """``url``'s server with nothing in it."""
    client = redis.Redis.from_url(url)
    client.flushall()
    client.close()
    return url


@pytest.fixture
def redis_url(redis_server: str) -> str:
    """A clean database for each test."""
    return emptied(redis_server)


@pytest.fixture
def rdb(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    yield client
    client.close()


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Override in a test module to change limits for its tests."""
    return {}


@pytest.fixture
def settings(redis_url: str, tmp_path: Path, settings_overrides: dict[str, Any]) -> Settings:
    base: dict[str, Any] = {
        "redis_url": redis_url,
        "data_dir": tmp_path / "data",
        "scrypt_n": TEST_SCRYPT_N,
        "login_limit_user": 1000,
        "login_limit_addr": 1000,
    }
    base.update(settings_overrides)
    return Settings.from_env({}, **base)


@pytest.fixture(scope="session")
def street() -> OrgData:
    return street_preset()


def run_async(coro: Any) -> Any:
    """Run ``coro`` to the end: here, or in a thread of its own when this thread already
    runs an event loop (Playwright's sync API does)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def emit(settings: Settings, *events: dict[str, Any]) -> None:
    """Emit screen events as the server's areas do."""

    async def go() -> None:
        c = bootstrap(settings)
        try:
            async with c.redis.pipeline(transaction=False) as pipe:
                for event in events:
                    await c.events.emit(event, pipeline=pipe)
                await pipe.execute()
        finally:
            await c.aclose()

    run_async(go())


#: The test street existed this long before the test (its recent patrol windows are owed).
SEEDED_DAYS_AGO = 3
DAY_MS = 24 * 3600 * 1000


@pytest.fixture
def seeded(settings: Settings, street: OrgData) -> OrgData:
    """The reference street stored, every user with password PASSWORD, as if seeded
    SEEDED_DAYS_AGO days ago."""

    async def go() -> None:
        c = bootstrap(settings)
        try:
            await seed_org(c.redis, c.keys, c.users, c.org, street, PASSWORD,
                           seeded_ms=int(time.time() * 1000) - SEEDED_DAYS_AGO * DAY_MS)
        finally:
            await c.aclose()

    run_async(go())
    return street


@dataclass
class LiveServer:
    url: str
    settings: Settings

    @property
    def ws_url(self) -> str:
        return "ws" + self.url[len("http"):]

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=10)

    def login(self, username: str, password: str = PASSWORD) -> str:
        with self.client() as c:
            r = c.post("/api/v1/login", json={"username": username, "password": password})
        assert r.status_code == 200, r.text
        return str(r.json()["token"])


@contextlib.contextmanager
def running(settings: Settings, clock: Callable[[], int] | None = None
            ) -> Iterator[LiveServer]:
    """The app under real uvicorn in a thread, on a free port (with ``clock`` for now)."""
    port = free_port()
    config = uvicorn.Config(create_app(settings=settings, clock=clock), host="127.0.0.1",
                            port=port,
                            lifespan="on", log_level="warning",
                            ws_max_size=settings.max_ws_frame_bytes, proxy_headers=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", settings)
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def live(settings: Settings) -> Iterator[LiveServer]:
    with running(settings) as server:
        yield server


@pytest.fixture
def tokens(live: LiveServer, seeded: OrgData) -> Callable[[str], str]:
    """``tokens("gw001")``: a token for a seeded user (cached per test)."""
    cache: dict[str, str] = {}

    def get(username: str) -> str:
        if username not in cache:
            cache[username] = live.login(username)
        return cache[username]

    return get
