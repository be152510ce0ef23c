"""Open311 requests for the authorization matrix: every route is public, so every role
and an anonymous caller get 2xx. ``path`` and ``data`` are built per call from what is
made once per server (a key, requests, closed requests to rate once each)."""

from __future__ import annotations

import itertools
import os
from typing import Any

from dispatch.bootstrap import Container
from dispatch.cases.actions import Action
from dispatch.cases.commands import Command
from dispatch.identity.principal import Principal
from dispatch.identity.roles import Role
from dispatch.open311.forms import parse_request
from tests.conftest import PNG_1PX, LiveServer
from tests.location.fixtures import with_service

V2 = "/open311/v2"
#: A point inside the seeded street.
LAT, LON = 39.03, 117.42
GRIDS = itertools.count()
GRID_COUNT = 108


#: Calls of each example in the matrix: anonymous and one per role (and a spare).
CALLS = len(Role) + 2
#: What one server's matrix run uses, made in one go: {url: {"key", "open", "closed"}}.
_MADE: dict[str, dict[str, Any]] = {}


async def _filed(c: Container, key_value: str, closed: bool) -> tuple[str, str, str]:
    """(case id, token, photo id) of a request in a grid of its own (no duplicate)."""
    key = await c.open311.apikeys.check(key_value)
    assert key is not None
    grid = f"{next(GRIDS) % GRID_COUNT + 1:03d}"
    new = parse_request([("service_code", "SR17"), ("address_id", grid)], c.rules.catalogue)
    created = await c.open311.create(new, key, PNG_1PX + os.urandom(8))
    cid = created["service_request_id"]
    if closed:  # handled by a member of the department, verified by the grid's worker
        case = await c.cases.store.load(cid)
        assert case is not None and case.department and case.verifier
        member = Principal(sorted(await c.org.members(case.department))[0],
                           Role.DISPOSAL_MEMBER, case.department)
        await c.cases.act(member, cid, Command(Action.ACCEPT))
        await c.cases.act(member, cid, Command(Action.RESOLVE, note="已清理"))
        worker = Principal(case.verifier, Role.GRID_WORKER, case.grid)
        await c.cases.act(worker, cid, Command(Action.VERIFY, ok=True))
    extra = await c.redis.hgetall(c.keys.open311_request(cid))
    return cid, created["token"], str(extra["media_id"])


def _made(live: LiveServer) -> dict[str, Any]:
    if live.url not in _MADE:
        async def go(c: Container) -> dict[str, Any]:
            key, _ = await c.open311.apikeys.add("matrix", 10_000)
            return {"key": key,
                    "open": [await _filed(c, key, False) for _ in range(CALLS)],
                    "closed": [await _filed(c, key, True) for _ in range(CALLS)]}

        _MADE.clear()
        _MADE[live.url] = with_service(live.settings, go)
    return _MADE[live.url]


def _form(live: LiveServer) -> dict[str, str]:
    return {"api_key": _made(live)["key"], "service_code": "SS01", "lat": str(LAT),
            "long": str(LON), "description": "路灯不亮"}


def _request_path(live: LiveServer) -> str:
    return f"{V2}/requests/{_made(live)['open'][0][0]}.json"


def _token_path(live: LiveServer) -> str:
    return f"{V2}/tokens/{_made(live)['open'][0][1]}.json"


def _rating_path(live: LiveServer) -> str:
    _, token, _ = _made(live)["closed"].pop()  # each rating once
    return f"{V2}/tokens/{token}/rating.json"


def _media_path(live: LiveServer) -> str:
    return f"{V2}/media/{_made(live)['open'][0][2]}"


def examples() -> dict[tuple[str, str], dict[str, Any]]:
    return {
        ("GET", f"{V2}/discovery.{{fmt}}"): {"path": f"{V2}/discovery.json"},
        ("GET", f"{V2}/services.{{fmt}}"): {"path": f"{V2}/services.xml"},
        ("GET", f"{V2}/services/{{code}}.{{fmt}}"): {"path": f"{V2}/services/SS02.json"},
        ("GET", f"{V2}/requests.{{fmt}}"): {"path": f"{V2}/requests.json"},
        ("POST", f"{V2}/requests.{{fmt}}"): {"path": f"{V2}/requests.json", "data": _form},
        ("GET", f"{V2}/requests/{{id}}.{{fmt}}"): {"path": _request_path},
        ("GET", f"{V2}/tokens/{{token}}.{{fmt}}"): {"path": _token_path},
        ("POST", f"{V2}/tokens/{{token}}/rating.{{fmt}}"): {"path": _rating_path,
                                                            "data": {"score": "5"}},
        ("GET", f"{V2}/media/{{id}}"): {"path": _media_path},
        ("GET", "/report"): {},
        ("GET", "/report/config.json"): {},
    }
