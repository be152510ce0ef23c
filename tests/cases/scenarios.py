"""Cases in the state an action needs, for a given user: the authorization matrix's setup.

``prepared(action)`` is a callable ``(live, username) -> path`` that builds, through the
API, a case on which ``username`` may do ``action`` and returns the action's path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.cases.helpers import CGJ_ITEMS, HARD_ITEM, SIMPLE_ITEM, Cases
from tests.conftest import LiveServer

Prepare = Callable[[LiveServer, str], str]
DESK = frozenset({"disp1", "admin"})
MEMBER, HOLDER_REPORTER, DISPATCHER = "dm001", "gw001", "disp1"
#: The body each action's example sends.
ACTION_BODIES: dict[str, dict[str, Any]] = {
    "accept": {}, "reject": {"reason": "not ours"}, "progress": {"note": "on site"},
    "resolve": {"note": "done"}, "verify": {"ok": True}, "reassign": {"member": "dm002"},
    "extend": {"hours": 2, "reason": "parts"}, "approve_extension": {},
    "suspend": {"reason": "long works"}, "resume": {}, "rate": {"score": 5},
    "cancel": {"reason": "by mistake"}, "duplicate": {}, "assign": {"member": "dm002"},
    "supervise": {"note": "请今日内处置"}, "return": {"reason": "需中心重新分拨"},
    "reopen": {"reason": "群众反映问题仍在"},
}

_sessions: dict[str, tuple[Cases, list[int]]] = {}


def _cases(live: LiveServer) -> tuple[Cases, list[int]]:
    found = _sessions.get(live.url)
    if found is None:
        cache: dict[str, str] = {}

        def token(user: str) -> str:
            if user not in cache:
                cache[user] = live.login(user)
            return cache[user]

        found = (Cases(live, token), [0])
        _sessions.clear()
        _sessions[live.url] = found
    return found


def _new(live: LiveServer, item: str | None = None, **body: Any) -> tuple[Cases, str]:
    """A new report by gw001; items and grids rotate so that no report repeats another
    (a simple item stays in gw001's own grid, which its worker handles)."""
    cases, counter = _cases(live)
    counter[0] += 1
    chosen = item or CGJ_ITEMS[counter[0] % len(CGJ_ITEMS)]
    grid = "001" if chosen == SIMPLE_ITEM else f"{1 + counter[0] % 100:03d}"
    return cases, cases.report(HOLDER_REPORTER, chosen, grid=grid, **body)["id"]


def _handled_by(live: LiveServer, user: str) -> tuple[Cases, str]:
    """An accepted case that ``user`` holds or leads (grid worker: a simple case)."""
    if user == HOLDER_REPORTER:
        return _new(live, SIMPLE_ITEM)
    if user in DESK:
        cases, cid = _new(live, HARD_ITEM)
        cases.act(user, cid, "accept")
        return cases, cid
    cases, cid = _new(live)
    cases.act(MEMBER, cid, "accept")
    return cases, cid


def _offered(live: LiveServer, user: str) -> tuple[Cases, str]:
    """A dispatched case of ``user``'s team (or one offered back to the grid worker)."""
    if user == HOLDER_REPORTER:
        cases, cid = _new(live, SIMPLE_ITEM)
        cases.act(HOLDER_REPORTER, cid, "resolve", note="done")
        cases.act(DISPATCHER, cid, "verify", ok=False, note="still there")
        return cases, cid
    return _new(live, HARD_ITEM) if user in DESK else _new(live)


def _resolved(live: LiveServer, user: str) -> tuple[Cases, str]:
    cases, cid = _new(live)
    cases.act(MEMBER, cid, "accept")
    cases.act(MEMBER, cid, "resolve", note="done")
    return cases, cid


def _closed(live: LiveServer, user: str) -> tuple[Cases, str]:
    cases, cid = _resolved(live, user)
    cases.act(HOLDER_REPORTER, cid, "verify", ok=True)
    return cases, cid


def _extension_asked(live: LiveServer, user: str) -> tuple[Cases, str]:
    cases, cid = _handled_by(live, MEMBER)
    cases.act(MEMBER, cid, "extend", hours=2, reason="parts")
    return cases, cid


def _suspended(live: LiveServer, user: str) -> tuple[Cases, str]:
    cases, cid = _new(live)
    cases.act(DISPATCHER, cid, "suspend", reason="long works")
    return cases, cid


def _dispatched(live: LiveServer, user: str) -> tuple[Cases, str]:
    return _new(live)


SETUPS: dict[str, Callable[[LiveServer, str], tuple[Cases, str]]] = {
    "accept": _offered, "reject": _offered, "progress": _handled_by, "resolve": _handled_by,
    "verify": _resolved, "reassign": _dispatched, "extend": _handled_by,
    "approve_extension": _extension_asked, "suspend": _dispatched, "resume": _suspended,
    "rate": _closed, "cancel": _dispatched, "duplicate": _dispatched, "assign": _dispatched,
    "supervise": _dispatched, "return": _dispatched, "reopen": _closed,
}


def prepared(action: str) -> Callable[[LiveServer, str], str | tuple[str, dict[str, Any]]]:
    def prepare(live: LiveServer, user: str) -> str | tuple[str, dict[str, Any]]:
        _, cid = SETUPS[action](live, user)
        path = f"/api/v1/cases/{cid}/{action}"
        if action == "duplicate":  # the body names another case: the one reported first
            _, original = _dispatched(live, user)
            return path, {"of": original}
        return path

    return prepare


def prepared_case(live: LiveServer, user: str) -> str:
    _, cid = _new(live)
    return f"/api/v1/cases/{cid}"


def prepared_photo(live: LiveServer, user: str) -> str:
    cases, _ = _cases(live)
    photo = cases.photo(HOLDER_REPORTER)
    _new(live, media=[photo])
    return f"/api/v1/media/{photo}"


def examples() -> dict[tuple[str, str], dict[str, Any]]:
    """The matrix's examples of every case route."""
    found: dict[tuple[str, str], dict[str, Any]] = {
        ("POST", "/api/v1/cases"): {"json": {"client_id": "matrix", "item": "SS01",
                                             "lat": 39.03, "lon": 117.42}},
        ("GET", "/api/v1/cases"): {},
        ("GET", "/api/v1/cases/{id}"): {"prepare": prepared_case},
        ("GET", "/api/v1/media/{id}"): {"prepare": prepared_photo},
    }
    for action, body in ACTION_BODIES.items():
        found[("POST", f"/api/v1/cases/{{id}}/{action}")] = {"prepare": prepared(action),
                                                              "json": body}
    return found
