"""Login, tokens, revocation, rate limits and passwords."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import redis

from dispatch.identity.passwords import hash_password, verify_password
from dispatch.keys import Keys
from tests.conftest import PASSWORD, LiveServer


def test_login_returns_token_and_user(live: LiveServer, seeded: Any) -> None:
    with live.client() as c:
        r = c.post("/api/v1/login", json={"username": "gw007", "password": PASSWORD})
    assert r.status_code == 200
    body = r.json()
    assert body["user"]["username"] == "gw007"
    assert body["user"]["role"] == "grid_worker"
    assert body["user"]["scope"] == "007"
    assert len(body["token"]) >= 40
    with live.client(body["token"]) as c:
        assert c.get("/api/v1/me").json()["username"] == "gw007"


def test_wrong_password_is_refused_in_the_error_shape(live: LiveServer, seeded: Any) -> None:
    with live.client() as c:
        r = c.post("/api/v1/login", json={"username": "gw007", "password": "nope"})
        unknown = c.post("/api/v1/login", json={"username": "ghost", "password": "nope"})
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "bad_credentials"
    assert unknown.status_code == 401
    assert unknown.json() == r.json()


def test_token_is_stored_hashed_with_expiry(live: LiveServer, seeded: Any,
                                            rdb: redis.Redis) -> None:
    token = live.login("disp1")
    keys = Keys("jlc")
    stored = list(rdb.scan_iter(keys.token("*")))
    assert len(stored) == 1
    assert token not in stored[0]
    assert 0 < rdb.ttl(stored[0]) <= live.settings.token_ttl_s


def test_logout_revokes_the_token(live: LiveServer, seeded: Any) -> None:
    token = live.login("disp1")
    with live.client(token) as c:
        assert c.post("/api/v1/logout").status_code == 200
        assert c.get("/api/v1/me").status_code == 401


def test_admin_revokes_every_token_of_a_user(live: LiveServer,
                                             tokens: Callable[[str], str]) -> None:
    first, second = live.login("dm005"), live.login("dm005")
    with live.client(tokens("admin")) as c:
        r = c.post("/api/v1/users/dm005/revoke")
    assert r.json()["revoked"] == 2
    for t in (first, second):
        with live.client(t) as c:
            assert c.get("/api/v1/me").json()["error"]["code"] == "invalid_token"


def test_passwords_are_scrypt_with_random_salt(rdb: redis.Redis, seeded: Any) -> None:
    a = rdb.hget(Keys("jlc").user("gw001"), "pw")
    b = rdb.hget(Keys("jlc").user("gw002"), "pw")
    assert a.startswith("scrypt$") and b.startswith("scrypt$")
    assert a != b
    assert verify_password(PASSWORD, a)
    assert not verify_password("other", a)
    assert not verify_password(PASSWORD, "garbage")
    assert verify_password("x" * 10, hash_password("x" * 10, n=16))


class TestRateLimit:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"login_limit_user": 3, "login_limit_addr": 5}

    def test_per_user(self, live: LiveServer, seeded: Any) -> None:
        with live.client() as c:
            codes = [c.post("/api/v1/login", json={"username": "gw001", "password": "bad"})
                     for _ in range(4)]
            right = c.post("/api/v1/login", json={"username": "gw001", "password": PASSWORD})
        assert [r.status_code for r in codes] == [401, 401, 401, 429]
        assert codes[-1].json()["error"]["code"] == "rate_limited"
        assert int(codes[-1].headers["retry-after"]) > 0
        assert right.status_code == 429  # even the right password waits out the window

    def test_per_address(self, live: LiveServer, seeded: Any) -> None:
        with live.client() as c:
            codes = [c.post("/api/v1/login", json={"username": f"gw00{i}", "password": "bad"})
                     .status_code for i in range(1, 7)]
        assert codes == [401] * 5 + [429]
