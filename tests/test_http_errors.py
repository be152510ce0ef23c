"""Bad input never crashes: every failure comes back in the contract's error shape."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import LiveServer


def assert_error(r: Any, status: int, code: str, field: str | None = None) -> None:
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["code"] == code
    assert isinstance(err["message"], str) and err["message"]
    if field is not None:
        assert err["field"] == field


def test_malformed_json(live: LiveServer) -> None:
    with live.client() as c:
        r = c.post("/api/v1/login", content=b"{not json",
                   headers={"content-type": "application/json"})
    assert_error(r, 400, "malformed_json")


def test_empty_body(live: LiveServer) -> None:
    with live.client() as c:
        r = c.post("/api/v1/login", content=b"", headers={"content-type": "application/json"})
    assert_error(r, 400, "empty_body")


@pytest.mark.parametrize(("body", "field"), [
    ([1, 2], None),
    ({"username": 5, "password": "x"}, "username"),
    ({"username": "gw001"}, "password"),
    ({"username": "gw001", "password": ["x"]}, "password"),
    ({"username": "", "password": "x"}, "username"),
])
def test_wrong_types_name_the_field(live: LiveServer, body: Any, field: str | None) -> None:
    with live.client() as c:
        r = c.post("/api/v1/login", json=body)
    assert r.status_code == 400
    assert r.json()["error"].get("field") == field


def test_wrong_content_type(live: LiveServer) -> None:
    with live.client() as c:
        r = c.post("/api/v1/login", content=b"username=a", headers={
            "content-type": "application/x-www-form-urlencoded"})
    assert_error(r, 415, "unsupported_media_type")


def test_oversized_body_by_length(live: LiveServer) -> None:
    big = b'{"username": "' + b"x" * (live.settings.max_body_bytes + 10) + b'"}'
    with live.client() as c:
        r = c.post("/api/v1/login", content=big, headers={"content-type": "application/json"})
    assert_error(r, 413, "payload_too_large")


def test_oversized_body_streamed_without_length(live: LiveServer) -> None:
    chunk = b"x" * 65536
    count = live.settings.max_body_bytes // len(chunk) + 2

    def body() -> Any:
        yield b'{"username": "'
        for _ in range(count):
            yield chunk
        yield b'"}'

    with live.client() as c:
        r = c.post("/api/v1/login", content=body(), headers={"content-type": "application/json"})
    assert_error(r, 413, "payload_too_large")


def test_unknown_route_and_method(live: LiveServer) -> None:
    with live.client() as c:
        assert_error(c.get("/api/v1/nothing-here"), 404, "not_found")
        assert_error(c.delete("/api/v1/login"), 405, "method_not_allowed")


def test_unknown_department(live: LiveServer, tokens: Callable[[str], str]) -> None:
    with live.client(tokens("disp1")) as c:
        assert_error(c.get("/api/v1/departments/nope"), 404, "unknown_department")


def test_malformed_authorization_header(live: LiveServer) -> None:
    with live.client() as c:
        r = c.get("/api/v1/me", headers={"Authorization": "Basic Zm9vOmJhcg=="})
    assert_error(r, 401, "missing_token")
    assert r.headers["www-authenticate"] == "Bearer"
