"""X-Forwarded-For and -Proto count only from DISPATCH_TRUSTED_PROXIES: for the login rate
limit (each client behind the proxy its own budget), HSTS and the public URL; from anyone
else they are ignored (a client cannot pick its own budget)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from dispatch.org.model import OrgData
from dispatch.settings import Settings
from tests.conftest import LiveServer, running

LIMIT = 3


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"login_limit_addr": LIMIT}


def login(c: httpx.Client, client_ip: str, **headers: str) -> int:
    r = c.post("/api/v1/login", json={"username": "gw001", "password": "wrong"},
               headers={"X-Forwarded-For": client_ip, **headers})
    return r.status_code


def public(c: httpx.Client, token: str, **headers: str) -> httpx.Response:
    return c.get("/api/v1/street", headers={"Authorization": f"Bearer {token}", **headers})


@pytest.fixture
def behind_proxy(settings: Settings, seeded: OrgData) -> Iterator[LiveServer]:
    with running(settings.replace(trusted_proxies="127.0.0.1, 10.0.0.0/8")) as server:
        yield server


def test_trusted_proxy_gives_each_client_its_budget(behind_proxy: LiveServer) -> None:
    token = behind_proxy.login("disp1")
    with behind_proxy.client() as c:
        assert [login(c, "203.0.113.5") for _ in range(LIMIT)] == [401] * LIMIT
        assert login(c, "203.0.113.5") == 429
        assert login(c, "203.0.113.6") == 401  # another phone behind the same proxy
        assert login(c, "203.0.113.7, 10.1.2.3") == 401  # the client before the proxies
        r = public(c, token, **{"X-Forwarded-Proto": "https", "Host": "grid.example.cn"})
    assert r.json()["public_url"] == "https://grid.example.cn"
    assert r.headers["strict-transport-security"].startswith("max-age=")


def test_forwarded_headers_from_anyone_else_are_ignored(live: LiveServer, seeded: OrgData,
                                                        ) -> None:
    token = live.login("disp1")  # one login from this address already
    with live.client() as c:
        codes = [login(c, f"203.0.113.{n}") for n in range(LIMIT)]
        r = public(c, token, **{"X-Forwarded-Proto": "https"})
    assert codes == [401] * (LIMIT - 1) + [429]  # one budget: this connection's address
    assert r.json()["public_url"].startswith("http://127.0.0.1:")
    assert "strict-transport-security" not in r.headers


def test_public_url_setting_wins(settings: Settings, seeded: OrgData) -> None:
    with running(settings.replace(public_url="https://grid.example.cn/")) as server:
        token = server.login("disp1")
        with server.client() as c:
            assert public(c, token).json()["public_url"] == "https://grid.example.cn"
