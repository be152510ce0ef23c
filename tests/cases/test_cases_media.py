"""GET /api/v1/media/{id}: the uploader, and whoever may see the case it is attached to."""

from __future__ import annotations

from collections.abc import Callable

from tests.cases.helpers import Cases
from tests.conftest import LiveServer


def status(cases: Cases, user: str, photo: str) -> int:
    return int(cases.call(user, "GET", f"/api/v1/media/{photo}").status_code)


def test_who_may_see_a_photo(live: LiveServer, tokens: Callable[[str], str]) -> None:
    cases = Cases(live, tokens)
    photo = cases.photo("gw001")
    r = cases.call("gw001", "GET", f"/api/v1/media/{photo}")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert r.content.startswith(b"\x89PNG")
    assert status(cases, "dm001", photo) == 403  # not attached to anything yet
    cases.report(media=[photo])
    for user in ("gw001", "dm001", "lead01", "disp1", "assess1", "screen1", "admin"):
        assert status(cases, user, photo) == 200, user
    for user in ("dm030", "gw002", "lead02"):
        assert status(cases, user, photo) == 403, user
    r = cases.call("gw001", "GET", "/api/v1/media/" + "0" * 64)
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_media"
    assert status(cases, "gw001", "nope") == 404
