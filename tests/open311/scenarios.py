"""Open311 requests for the authorization matrix: every route is public, so every role
and an anonymous caller get 2xx. ``path`` and ``data`` may be built per call (a fresh
key, a fresh closed request to rate)."""

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


async def _key(c: Container) -> str:
    key, _ = await c.open311.apikeys.add("matrix", 10_000)
    return key


def _form(live: LiveServer) -> dict[str, str]:
    return {"api_key": with_service(live.settings, _key), "service_code": "SS01",
            "lat": str(LAT), "long": str(LON), "description": "路灯不亮"}


async def _filed(c: Container, closed: bool = False) -> tuple[str, str]:
    key = await c.open311.apikeys.check(await _key(c))
    assert key is not None
    grid = f"{next(GRIDS) % GRID_COUNT + 1:03d}"  # a grid of its own: no duplicate
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
    return cid, created["token"]


def _request_path(live: LiveServer) -> str:
    cid, _ = with_service(live.settings, _filed)
    return f"{V2}/requests/{cid}.json"


def _token_path(live: LiveServer) -> str:
    _, token = with_service(live.settings, _filed)
    return f"{V2}/tokens/{token}.json"


def _rating_path(live: LiveServer) -> str:
    async def go(c: Container) -> tuple[str, str]:
        return await _filed(c, closed=True)

    _, token = with_service(live.settings, go)
    return f"{V2}/tokens/{token}/rating.json"


def _media_path(live: LiveServer) -> str:
    async def go(c: Container) -> str:
        cid, _ = await _filed(c)
        extra = await c.redis.hgetall(c.keys.open311_request(cid))
        return str(extra["media_id"])

    return f"{V2}/media/{with_service(live.settings, go)}"


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
