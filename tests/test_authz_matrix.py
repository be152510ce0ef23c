"""The authorization matrix: every route and socket x every role, against a table written
from the contract (docs/contract.md: "Who is calling" and each area's section),
checked in both directions.

A cell says what the role may do there:

- ``yes``: allowed, whatever the thing (tried on one outside the caller's own scope: 2xx);
- ``own``: allowed in the caller's scope only (tried on one inside it: 2xx; on one outside
  it: 403, or, where the answer is a view, a 2xx that shows nothing of the other scope);
- ``no``: refused by role (403).

A row ``PUBLIC`` is open to anyone, signed in or not; every other route answers 401
without a token and with a bad one. A route or socket missing from the table fails the
test, so the table stays complete; review it like the contract it restates.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import os
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
import orjson
import pytest
from starlette.routing import Mount, Route, WebSocketRoute
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from dispatch.alerts import AlertKind, Subject
from dispatch.alerts import Scope as AlertScope
from dispatch.app import create_app
from dispatch.authz import policy_of
from dispatch.bootstrap import Container, bootstrap
from dispatch.cases.actions import INTERNAL_ACTIONS, Action
from dispatch.cases.commands import Command, ReportCommand
from dispatch.cases.parts import PartAction
from dispatch.identity.principal import Principal
from dispatch.identity.roles import Role
from dispatch.location.members import MemberFixCall
from dispatch.org.model import OrgData
from dispatch.patrol.filters import Ping
from dispatch.settings import Settings
from tests.cases.helpers import Places
from tests.conftest import PASSWORD, PNG_1PX, LiveServer, running
from tests.location.fixtures import ALL_DAY_WINDOWS, now_ms
from tests.open311.scenarios import examples as open311_examples

GW, DM, DL = Role.GRID_WORKER, Role.DISPOSAL_MEMBER, Role.DEPT_LEAD
DISP, ASSESS, SCREEN, ADMIN = Role.DISPATCHER, Role.ASSESSOR, Role.SCREEN, Role.ADMIN
SL, GA, INF = Role.STATION_LEAD, Role.GRID_ASSISTANT, Role.INFORMANT
#: The table's columns, and the seeded user playing each role.
COLUMNS = (GW, DM, DL, DISP, ASSESS, SCREEN, ADMIN, SL, GA, INF)
ROLE_USERS = {GW: "gw001", DM: "dm001", DL: "lead01", DISP: "disp1", ASSESS: "assess1",
              SCREEN: "screen1", ADMIN: "admin", SL: "sl01", GA: "ga001", INF: "inf001-1"}
#: The people of a grid besides its worker (一格多员): they report in their grid only.
GRID_HELPERS = ("ga001", "inf001-1")
#: The station lead's station (grids 001..010), and a grid of another one.
SL_STATION = "S01"
PUBLIC = "public"

#: Route (method, path) -> one cell per column:        gw  dm  dl  dsp asr scr adm sl  ga  inf
TABLE: dict[tuple[str, str], str] = {
    # operations and the pages
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/asyncapi.json"): PUBLIC,
    ("GET", "/"): PUBLIC,
    ("GET", "/app"): PUBLIC,
    ("GET", "/reports"): PUBLIC,
    ("GET", "/district"): PUBLIC,
    ("GET", "/app/sw.js"): PUBLIC,
    ("GET", "/app/manifest.webmanifest"): PUBLIC,
    ("GET", "/static"): PUBLIC,
    # identity
    ("POST", "/api/v1/login"): PUBLIC,
    ("POST", "/api/v1/logout"):                       "yes yes yes yes yes yes yes yes yes yes",
    ("GET", "/api/v1/me"):                            "yes yes yes yes yes yes yes yes yes yes",
    ("GET", "/api/v1/users"):                         "no  no  no  yes yes no  yes no  no  no",
    ("POST", "/api/v1/users/{username}/revoke"):      "no  no  no  no  no  no  yes no  no  no",
    # organisation
    ("GET", "/api/v1/street"):                        "yes yes yes yes yes yes yes yes yes yes",
    ("GET", "/api/v1/grids"):                         "yes yes yes yes yes yes yes yes yes yes",
    ("GET", "/api/v1/stations"):                      "yes yes yes yes yes yes yes yes yes yes",
    ("GET", "/api/v1/departments"):                   "yes yes yes yes yes yes yes yes yes yes",
    ("GET", "/api/v1/departments/{dept}"):            "yes yes yes yes yes yes yes yes yes yes",
    # rules and catalogue (reload: the administrator only)
    ("GET", "/api/v1/catalogue"):                     "yes yes yes yes yes yes yes yes yes yes",
    ("GET", "/api/v1/rules"):                         "yes yes yes yes yes yes yes yes yes yes",
    ("POST", "/api/v1/rules/dry-run"):                "yes yes yes yes yes yes yes yes yes yes",
    ("POST", "/api/v1/rules/reload"):                 "no  no  no  no  no  no  yes no  no  no",
    # photos: whoever handles cases uploads; a photo is seen with its case
    ("POST", "/api/v1/media"):                        "yes yes yes yes no  no  yes no  yes yes",
    ("GET", "/api/v1/media/{id}"):                    "own own own yes yes yes yes own own own",
    # cases: reported by grid workers and the desk; seen by scope; each action by relation
    ("POST", "/api/v1/cases"):                        "yes no  no  yes no  no  yes no  own own",
    ("GET", "/api/v1/cases"):                         "own own own yes yes yes yes own own own",
    ("GET", "/api/v1/cases/{id}"):                    "own own own yes yes yes yes own own own",
    ("POST", "/api/v1/cases/{id}/accept"):            "own own own own no  no  own no  no  no",
    ("POST", "/api/v1/cases/{id}/reject"):            "own own own own no  no  own no  no  no",
    ("POST", "/api/v1/cases/{id}/progress"):          "own own own own no  no  own no  own own",
    ("POST", "/api/v1/cases/{id}/resolve"):           "own own own own no  no  own no  own own",
    ("POST", "/api/v1/cases/{id}/verify"):            "own no  no  yes no  no  yes no  no  no",
    ("POST", "/api/v1/cases/{id}/reassign"):          "no  no  own yes no  no  yes no  no  no",
    ("POST", "/api/v1/cases/{id}/extend"):            "own own own own no  no  own no  no  no",
    ("POST", "/api/v1/cases/{id}/approve_extension"): "no  no  no  yes no  no  yes no  no  no",
    ("POST", "/api/v1/cases/{id}/suspend"):           "no  no  own yes no  no  yes no  no  no",
    ("POST", "/api/v1/cases/{id}/resume"):            "no  no  own yes no  no  yes no  no  no",
    ("POST", "/api/v1/cases/{id}/rate"):              "own no  no  yes yes no  yes no  no  no",
    ("POST", "/api/v1/cases/{id}/cancel"):            "own no  no  yes no  no  yes no  no  no",
    ("POST", "/api/v1/cases/{id}/duplicate"):         "no  no  no  yes no  no  yes no  no  no",
    ("POST", "/api/v1/cases/{id}/assign"):            "no  no  own yes no  no  yes no  no  no",
    ("POST", "/api/v1/cases/{id}/supervise"):         "no  no  no  yes no  no  yes no  no  no",
    ("POST", "/api/v1/cases/{id}/return"):            "no  no  own yes no  no  yes no  no  no",
    ("POST", "/api/v1/cases/{id}/reopen"):            "no  no  no  yes no  no  yes no  no  no",
    # joint handling (协办): the desk and the lead department's lead add and remove
    # assisting departments; each part is accepted by its department's members, handled
    # by its holder (or its department's lead), sent back by the lead department's side
    ("POST", "/api/v1/cases/{id}/assist"):            "no  no  own yes no  no  yes no  no  no",
    ("POST", "/api/v1/cases/{id}/unassist"):          "no  no  own yes no  no  yes no  no  no",
    ("POST", "/api/v1/cases/{id}/parts/{department}/accept"):
        "no  own own no  no  no  no  no  no  no",
    ("POST", "/api/v1/cases/{id}/parts/{department}/progress"):
        "no  own own no  no  no  no  no  no  no",
    ("POST", "/api/v1/cases/{id}/parts/{department}/resolve"):
        "no  own own no  no  no  no  no  no  no",
    ("POST", "/api/v1/cases/{id}/parts/{department}/rework"):
        "no  own own yes no  no  yes no  no  no",
    # the whistle (吹哨报到): the desk summons departments; a summoned member checks in
    ("POST", "/api/v1/cases/{id}/whistle"):           "no  no  no  yes no  no  yes own no  no",
    ("POST", "/api/v1/cases/{id}/checkin"):           "no  own own no  no  no  no  no  no  no",
    # alerts: the screens' roles see them (a lead the department's own); the desk and the
    # department's lead acknowledge and resolve
    ("GET", "/api/v1/alerts"):                        "no  no  own yes yes yes yes no  no  no",
    ("GET", "/api/v1/alerts/{id}"):                   "no  no  own yes yes yes yes no  no  no",
    ("POST", "/api/v1/alerts/{id}/ack"):              "no  no  own yes no  no  yes no  no  no",
    ("POST", "/api/v1/alerts/{id}/resolve"):          "no  no  own yes no  no  yes no  no  no",
    # phones: a worker sends only their own location; the apps authenticate their own way
    ("POST", "/api/v1/locations"):                    "own own own no  no  no  no  no  own no",
    ("GET", "/osmand"): PUBLIC,
    ("POST", "/osmand"): PUBLIC,
    ("PUT", "/osmand"): PUBLIC,
    ("GET", "/osmand/"): PUBLIC,
    ("POST", "/osmand/"): PUBLIC,
    ("PUT", "/osmand/"): PUBLIC,
    ("POST", "/owntracks"): PUBLIC,
    ("POST", "/owntracks/"): PUBLIC,
    ("GET", "/api/v1/me/tracking"):                   "yes no  no  no  no  no  no  no  no  no",
    # workers and patrols: a worker sees their own; the centre, screens and leads everyone's
    ("GET", "/api/v1/workers"):                       "no  no  yes yes yes yes yes no  no  no",
    ("GET", "/api/v1/workers/{username}/track"):      "own no  yes yes yes yes yes no  own no",
    ("POST", "/api/v1/patrols/start"):                "yes no  no  no  no  no  no  no  yes no",
    ("POST", "/api/v1/patrols/{id}/end"):             "own no  no  no  no  no  no  no  own no",
    ("GET", "/api/v1/patrols"):                       "own no  yes yes yes yes yes no  own no",
    ("GET", "/api/v1/patrols/{id}"):                  "own no  yes yes yes yes yes no  own no",
    ("GET", "/api/v1/patrols/{id}/track"):            "own no  yes yes yes yes yes no  own no",
    # reports: a department lead sees the totals and their own department's row
    ("GET", "/api/v1/reports/{kind}"):                "no  no  own yes yes yes yes no  no  no",
    ("GET", "/api/v1/reports/{kind}/figures/{figure}"):"no  no  own yes yes yes yes no  no  no",
    ("GET", "/api/v1/scores"):                        "no  no  yes yes yes no  yes no  no  no",
    # the district centre: every street's figures for the district's users; a street's
    # users see their own street's row (here, a one-street deployment: theirs)
    ("GET", "/api/v1/district"):                      "no  no  no  yes yes yes yes no  no  no",
    ("GET", "/api/v1/district/map"):                  "no  no  no  yes yes yes yes no  no  no",
    # citizens (Open311 GeoReport v2 and the public report page): open to anyone, the API
    # key or the request's token deciding the rest
    **{route: PUBLIC for route in open311_examples()},
}
#: Socket path -> cells, as above (a lead's screen follows their own department).
SOCKETS: dict[str, str] = {
    "/ws/phone":                                      "yes no  no  no  no  no  no  no  yes no",
    "/ws/team":                                       "no  yes yes yes no  no  yes no  no  no",
    "/ws/screen":                                     "no  no  own yes yes yes yes own no  no",
    # the district screen's stream: the district centre's users only (a street's users,
    # here every user of the one-street deployment, are refused by scope: see below)
    "/ws/district":                                   "no  no  no  own own own own no  no  no",
}
#: Sockets whose ``own`` is the district centre's: a street's users are refused them.
DISTRICT_SOCKETS = frozenset({"/ws/district"})

CGJ_ITEM, HW_ITEM = "SS01", "SR01"  # routed to city management (cgj) and sanitation (hw)
SIMPLE_ITEM, HARD_ITEM = "SR04", "ZA20"  # handled by the grid's worker; by the centre
NO_CASE = "/api/v1/cases/C0"


def cells(row: str) -> dict[Role, str]:
    found = row.split()
    assert len(found) == len(COLUMNS) and set(found) <= {"yes", "own", "no"}, row
    return dict(zip(COLUMNS, found, strict=True))


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # patrols may start whenever the test runs; no report is taken for a duplicate
    return {"patrol_windows": ALL_DAY_WINDOWS, "duplicate_radius_m": 0.0}


# --- the things a call is made on -----------------------------------------------------------

@dataclass(frozen=True)
class Side:
    """Who and where a case of one scope concerns: reporter, grid, item, who handles it."""

    reporter: str
    grid: str
    item: str
    holder: str


#: (user, "own" | "other") -> the side of cases inside or outside that user's scope.
SIDES: dict[tuple[str, str], Side] = {
    ("gw001", "own"): Side("gw001", "001", CGJ_ITEM, "dm001"),
    ("gw001", "other"): Side("gw002", "002", CGJ_ITEM, "dm001"),
    ("dm001", "own"): Side("gw003", "003", CGJ_ITEM, "dm001"),
    ("dm001", "other"): Side("gw004", "004", HW_ITEM, "dm073"),
    ("lead01", "own"): Side("gw008", "008", CGJ_ITEM, "dm001"),
    ("lead01", "other"): Side("gw009", "009", HW_ITEM, "dm073"),
    ("disp1", "own"): Side("gw005", "005", HARD_ITEM, "disp1"),
    ("disp1", "other"): Side("gw006", "006", CGJ_ITEM, "dm001"),
    ("admin", "own"): Side("gw010", "010", HARD_ITEM, "admin"),
    ("admin", "other"): Side("gw011", "011", CGJ_ITEM, "dm001"),
    ("assess1", "other"): Side("gw007", "007", CGJ_ITEM, "dm001"),
    ("screen1", "other"): Side("gw012", "012", CGJ_ITEM, "dm001"),
    ("sl01", "own"): Side("gw003", "003", CGJ_ITEM, "dm001"),
    ("sl01", "other"): Side("gw013", "013", CGJ_ITEM, "dm001"),
    ("ga001", "own"): Side("ga001", "001", CGJ_ITEM, "dm001"),
    ("ga001", "other"): Side("gw002", "002", CGJ_ITEM, "dm001"),
    ("inf001-1", "own"): Side("inf001-1", "001", CGJ_ITEM, "dm001"),
    ("inf001-1", "other"): Side("gw002", "002", CGJ_ITEM, "dm001"),
}
DESK = "disp1"


@dataclass
class Call:
    """One request of a probe; ``shows_other`` tells from a 2xx body whether it showed
    something of another scope (for answers that are views rather than refusals)."""

    path: str
    json: Any = None
    files: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    token: str | None = None
    shows_other: Callable[[Any], bool] | None = None
    data: Any = None  # a form body


class World:
    """The seeded street, a container on its Redis to prepare things, and one HTTP client."""

    def __init__(self, live: LiveServer, c: Container, http: httpx.AsyncClient) -> None:
        self.live = live
        self.c = c
        self.http = http
        self.places: Places | None = None
        self._points: dict[str, Iterator[tuple[float, float]]] = {}
        self.ids = itertools.count(1)
        self._principals: dict[str, Principal] = {}
        self._tokens: dict[str, str] = {}

    async def login(self, username: str) -> str:
        r = await self.http.post("/api/v1/login",
                                 json={"username": username, "password": PASSWORD})
        assert r.status_code == 200, r.text
        return str(r.json()["token"])

    async def token(self, username: str) -> str:
        if username not in self._tokens:
            self._tokens[username] = await self.login(username)
        return self._tokens[username]

    async def principal(self, username: str) -> Principal:
        if username not in self._principals:
            u = await self.c.users.get(username)
            self._principals[username] = Principal(u.username, u.role, u.scope, u.name)
        return self._principals[username]

    async def report(self, side: Side, item: str | None = None,
                     media: tuple[str, ...] = ()) -> str:
        if self.places is None:
            self.places = Places(await self.c.org.grids())
        if side.grid not in self._points:  # no duplicates here: a place may come again
            first = [self.places.point(side.grid) for _ in range(4)]
            self._points[side.grid] = itertools.cycle(first)
        lat, lon = next(self._points[side.grid])
        cmd = ReportCommand(f"matrix-{next(self.ids)}", item or side.item, lat, lon, "矩阵",
                            None, media, None)
        case, _ = await self.c.cases.report(await self.principal(side.reporter), cmd)
        return str(case["id"])

    async def act(self, user: str, cid: str, action: Action, **kw: Any) -> None:
        await self.c.cases.act(await self.principal(user), cid, Command(action, **kw))

    async def case(self, side: Side, state: str, *, simple: bool = False,
                   media: tuple[str, ...] = ()) -> str:
        """A case of ``side`` in ``state`` (``simple``: one the grid's worker holds)."""
        holder = side.reporter if simple else side.holder
        cid = await self.report(side, SIMPLE_ITEM if simple else None, media)
        if state == "dispatched":
            return cid
        if state == "suspended":
            await self.act(DESK, cid, Action.SUSPEND, note="long works")
            return cid
        if state == "assisted":
            await self.act(DESK, cid, Action.ASSIST, department="zhzf")
            return cid
        if not simple:
            await self.act(holder, cid, Action.ACCEPT)
        if state == "extension":
            await self.act(holder, cid, Action.EXTEND, note="parts", hours=2)
        if state in ("accepted", "extension"):
            return cid
        await self.act(holder, cid, Action.RESOLVE, note="done")
        if state == "reopened":
            await self.act(DESK, cid, Action.VERIFY, ok=False, note="still there")
        elif state == "closed":
            await self.act(DESK, cid, Action.VERIFY, ok=True)
        return cid

    async def part_case(self, side: Side, department: str, part_state: str) -> str:
        """A case of ``side`` its holder accepted, assisted by ``department`` whose part is
        ``part_state`` (offered, accepted by its member, or resolved)."""
        cid = await self.case(side, "accepted")
        await self.act(DESK, cid, Action.ASSIST, department=department)
        member = PART_MEMBERS[department]
        for step in ("accept", "resolve")[:PART_STEPS[part_state]]:
            await self.c.cases.act_part(await self.principal(member), cid, department,
                                        Command(Action.PART, note="done", part_action=step))
        return cid

    async def photo(self, username: str) -> str:
        meta = await self.c.media.save(PNG_1PX + os.urandom(16), username)
        return meta.id

    async def alert(self, department: str) -> str:
        """A fresh open alert of ``department`` (an escalated case)."""
        done = await self.c.alerts.raise_alert(
            AlertKind.CASE_ESCALATED, subject=Subject(case=f"C9{next(self.ids)}"),
            scope=AlertScope(station="S01", department=department), data={"level": 1})
        return str(done.id)

    async def patrol(self, worker: str) -> str:
        ref = await self.c.location.directory.by_name(worker)
        assert ref is not None
        record, _ = await self.c.patrols.start(ref)
        return record.id


Scope = Literal["own", "other", "none"]
Probe = Callable[[World, str, Scope], Awaitable[Call]]


def fixed(path: str, **kw: Any) -> Probe:
    async def probe(world: World, user: str, scope: Scope) -> Call:
        return Call(path, **kw)

    return probe


#: What each case action needs: the state its case is in, and whether a grid worker's own
#: case is one they hold (the simple tier) rather than one they reported.
ACTIONS: dict[Action, tuple[str, dict[str, Any]]] = {
    Action.ACCEPT: ("reopened", {}), Action.REJECT: ("reopened", {"reason": "not ours"}),
    Action.PROGRESS: ("accepted", {"note": "on site"}),
    Action.RESOLVE: ("accepted", {"note": "done"}), Action.VERIFY: ("resolved", {"ok": True}),
    Action.REASSIGN: ("dispatched", {"member": "dm002"}),
    Action.EXTEND: ("accepted", {"hours": 2, "reason": "parts"}),
    Action.APPROVE_EXTENSION: ("extension", {}),
    Action.SUSPEND: ("dispatched", {"reason": "long works"}),
    Action.RESUME: ("suspended", {}), Action.RATE: ("closed", {"score": 5}),
    Action.CANCEL: ("dispatched", {"reason": "by mistake"}),
    Action.DUPLICATE: ("dispatched", {}), Action.ASSIGN: ("dispatched", {"member": "dm002"}),
    Action.SUPERVISE: ("dispatched", {"note": "请今日内处置"}),
    Action.RETURN: ("dispatched", {"reason": "需中心重新分拨"}),
    Action.REOPEN: ("closed", {"reason": "群众反映问题仍在"}),
    Action.ASSIST: ("dispatched", {"department": "zhzf"}),
    Action.UNASSIST: ("assisted", {"department": "zhzf", "reason": "无需协办"}),
    Action.WHISTLE: ("dispatched", {"departments": ["zhzf"], "respond_min": 30}),
}
#: A member of each assisting department the matrix uses, and the steps to each part state.
PART_MEMBERS = {"cgj": "dm001", "zhzf": "dm025"}
PART_STEPS = {"offered": 0, "accepted": 1, "resolved": 2}
#: Each part step: the part's state first, and its body.
PART_ACTIONS: dict[PartAction, tuple[str, dict[str, Any]]] = {
    PartAction.ACCEPT: ("offered", {}), PartAction.PROGRESS: ("accepted", {"note": "到场"}),
    PartAction.RESOLVE: ("accepted", {"note": "已配合"}),
    PartAction.REWORK: ("resolved", {"reason": "照片不清"}),
}
HELD_BY_THE_WORKER = frozenset({Action.ACCEPT, Action.REJECT, Action.PROGRESS,
                                Action.RESOLVE, Action.EXTEND})


def case_action(action: Action) -> Probe:
    state, body = ACTIONS[action]

    async def probe(world: World, user: str, scope: Scope) -> Call:
        if scope == "none":
            return Call(f"{NO_CASE}/{action.value}", json=body)
        side = SIDES[user, scope]
        simple = side.reporter.startswith("gw") and user.startswith("gw") and (
            action in HELD_BY_THE_WORKER)
        if user in GRID_HELPERS and action in (Action.PROGRESS, Action.RESOLVE):
            simple = True  # a simple problem a grid's helper reported: theirs to solve
        # a team's offer is a dispatched case; a worker's, a job offered back (reopened)
        now_in = "dispatched" if not simple and state == "reopened" else state
        cid = await world.case(side, now_in, simple=simple)
        if action is Action.DUPLICATE:  # the body names the case it repeats
            return Call(f"/api/v1/cases/{cid}/{action.value}",
                        json={"of": await world.case(side, "dispatched")})
        return Call(f"/api/v1/cases/{cid}/{action.value}", json=body)

    return probe


def part_action(action: PartAction) -> Probe:
    """A step of an assisting part: the caller's own department's part of another
    department's case (accept, progress, resolve), or another department's part of a case
    the caller's side leads (rework); outside the scope, the part of a department that is
    none of the caller's business."""
    state, body = PART_ACTIONS[action]

    async def probe(world: World, user: str, scope: Scope) -> Call:
        if scope == "none":
            return Call(f"{NO_CASE}/parts/cgj/{action.value}", json=body)
        if action is PartAction.REWORK:
            side = SIDES[user, scope]
            cid = await world.part_case(side, "zhzf", state)
            return Call(f"/api/v1/cases/{cid}/parts/zhzf/{action.value}", json=body)
        department = "cgj" if scope == "own" else "zhzf"
        cid = await world.part_case(SIDES["dm001", "other"], department, state)
        return Call(f"/api/v1/cases/{cid}/parts/{department}/{action.value}", json=body)

    return probe


async def checkin(world: World, user: str, scope: Scope) -> Call:
    """A whistle summoning the caller's department (cgj), the caller on site; outside the
    scope, one summoning another department."""
    if scope == "none":
        return Call(f"{NO_CASE}/checkin")
    cid = await world.case(SIDES["dm001", "other"], "dispatched")
    department = "cgj" if scope == "own" else "zhzf"
    await world.c.cases.act(await world.principal(DESK), cid,
                            Command(Action.WHISTLE, departments=(department,), minutes=30))
    case = await world.c.cases.store.load(cid)
    assert case is not None
    fix = Ping(now_ms(), case.lat, case.lon, 5)  # newer than any fix of the other probes
    await world.c.scripts.run(MemberFixCall(world.c.keys.member_position(user), fix, 3600))
    return Call(f"/api/v1/cases/{cid}/checkin")


async def new_report(world: World, user: str, scope: Scope) -> Call:
    """A report; a grid's helper reports in their own grid (outside it: 403)."""
    body: dict[str, Any] = {"client_id": f"matrix-{next(world.ids)}", "item": "SR13",
                            "lat": 39.03, "lon": 117.42}
    if user in GRID_HELPERS and scope != "none":
        if world.places is None:
            world.places = Places(await world.c.org.grids())
        body["lat"], body["lon"] = world.places.point("001" if scope == "own" else "002")
    return Call("/api/v1/cases", json=body)


async def one_case(world: World, user: str, scope: Scope) -> Call:
    if scope == "none":
        return Call(NO_CASE)
    return Call(f"/api/v1/cases/{await world.case(SIDES[user, scope], 'dispatched')}")


async def one_photo(world: World, user: str, scope: Scope) -> Call:
    if scope == "none":
        return Call("/api/v1/media/none")
    side = SIDES[user, scope]
    photo = await world.photo(side.reporter)
    await world.case(side, "dispatched", media=(photo,))
    return Call(f"/api/v1/media/{photo}")


async def case_listing(world: World, user: str, scope: Scope) -> Call:
    if scope != "other":
        return Call("/api/v1/cases")
    if user == ROLE_USERS[SL]:
        await world.case(SIDES[user, "other"], "dispatched")
        return Call("/api/v1/cases", shows_other=lambda body: any(
            c["station"] != SL_STATION for c in body["items"]))
    return Call("/api/v1/cases?department=hw",
                shows_other=lambda body: any(c["department"] == "hw" for c in body["items"]))


def department_of(user: str, scope: Scope) -> str:
    """The department a call is about: the user's own (cgj), or another one (hw)."""
    return "cgj" if scope == "own" else "hw"


async def figure_members(world: World, user: str, scope: Scope) -> Call:
    return Call(f"/api/v1/reports/daily/figures/reported?department="
                f"{department_of(user, scope)}")


def alert(suffix: str, **body: Any) -> Probe:
    async def probe(world: World, user: str, scope: Scope) -> Call:
        if scope == "none":
            return Call(f"/api/v1/alerts/A0{suffix}", json=body or None)
        found = await world.alert(department_of(user, scope))
        return Call(f"/api/v1/alerts/{found}{suffix}", json=body or None)

    return probe


async def alert_listing(world: World, user: str, scope: Scope) -> Call:
    if scope != "other":
        return Call("/api/v1/alerts")
    return Call("/api/v1/alerts?department=hw", shows_other=lambda body: any(
        (a.get("scope") or {}).get("department") == "hw" for a in body["items"]))


async def daily_report(world: World, user: str, scope: Scope) -> Call:
    return Call("/api/v1/reports/daily",
                shows_other=lambda body: "hw" in body["departments"])


def worker_of(scope: Scope, user: str = "") -> str:
    """Whose track or patrol a call is about: the caller's own (a grid worker's: gw001),
    or another worker's."""
    own = user if user == ROLE_USERS[GA] else "gw001"
    return own if scope == "own" else "gw002"


async def track(world: World, user: str, scope: Scope) -> Call:
    return Call(f"/api/v1/workers/{worker_of(scope, user)}/track")


def patrol(suffix: str) -> Probe:
    async def probe(world: World, user: str, scope: Scope) -> Call:
        if scope == "none":
            return Call(f"/api/v1/patrols/0{suffix}")
        return Call(f"/api/v1/patrols/{await world.patrol(worker_of(scope, user))}{suffix}")

    return probe


async def patrol_listing(world: World, user: str, scope: Scope) -> Call:
    return Call(f"/api/v1/patrols?worker={worker_of(scope, user)}")


async def locations(world: World, user: str, scope: Scope) -> Call:
    body: dict[str, Any] = {"items": [{"lat": 39.03, "lon": 117.42, "ts": now_ms() - 1_000}]}
    if scope == "other":
        body["worker"] = "gw002"
    return Call("/api/v1/locations", json=body)


async def logout(world: World, user: str, scope: Scope) -> Call:
    return Call("/api/v1/logout", token=await world.login(user) if scope != "none" else None)


def example_probe(path: str, example: dict[str, Any]) -> Probe:
    """A probe from an area's own examples (``path`` and ``data``: values or callables of
    the live server, made in a thread: they prepare through a container of their own)."""

    async def probe(world: World, user: str, scope: Scope) -> Call:
        def made(value: Any) -> Any:
            return value(world.live) if callable(value) else value

        target = await asyncio.to_thread(made, example.get("path", path))
        data = await asyncio.to_thread(made, example.get("data"))
        return Call(target, data=data)

    return probe


def owntracks(path: str = "/owntracks") -> Probe:
    import base64

    basic = base64.b64encode(f"gw001:{PASSWORD}".encode()).decode()

    async def probe(world: World, user: str, scope: Scope) -> Call:
        fix = {"_type": "location", "lat": 39.03, "lon": 117.42, "tst": now_ms() // 1000,
               "acc": 5, "tid": "01"}
        return Call(path, json=fix, headers={"Authorization": f"Basic {basic}"})

    return probe


OSMAND = "/osmand?id=gw001&lat=39.03&lon=117.42&speed=1.0&bearing=90&accuracy=5&batt=80"
PROBES: dict[tuple[str, str], Probe] = {
    ("GET", "/static"): fixed("/static/common/api.js"),
    ("POST", "/api/v1/login"): fixed("/api/v1/login",
                                     json={"username": "disp2", "password": PASSWORD}),
    ("POST", "/api/v1/logout"): logout,
    ("POST", "/api/v1/users/{username}/revoke"): fixed("/api/v1/users/disp3/revoke"),
    ("GET", "/api/v1/departments/{dept}"): fixed("/api/v1/departments/cgj"),
    ("POST", "/api/v1/rules/dry-run"): fixed(
        "/api/v1/rules/dry-run", json={"item": "SR01", "lat": 39.03, "lon": 117.42}),
    ("POST", "/api/v1/media"): fixed(
        "/api/v1/media", files={"file": ("p.png", PNG_1PX, "image/png")}),
    ("GET", "/api/v1/media/{id}"): one_photo,
    ("POST", "/api/v1/cases"): new_report,
    ("GET", "/api/v1/cases"): case_listing,
    ("GET", "/api/v1/cases/{id}"): one_case,
    **{("POST", f"/api/v1/cases/{{id}}/{a.value}"): case_action(a) for a in Action
       if a not in INTERNAL_ACTIONS},
    **{("POST", f"/api/v1/cases/{{id}}/parts/{{department}}/{a.value}"): part_action(a)
       for a in PartAction},
    ("POST", "/api/v1/locations"): locations,
    ("POST", "/api/v1/cases/{id}/checkin"): checkin,
    ("GET", "/osmand"): fixed(OSMAND),
    ("POST", "/osmand"): fixed(OSMAND),
    ("PUT", "/osmand"): fixed(OSMAND),
    ("POST", "/owntracks"): owntracks(),
    ("GET", "/osmand/"): fixed(OSMAND.replace("/osmand", "/osmand/")),
    ("POST", "/osmand/"): fixed(OSMAND.replace("/osmand", "/osmand/")),
    ("PUT", "/osmand/"): fixed(OSMAND.replace("/osmand", "/osmand/")),
    ("POST", "/owntracks/"): owntracks("/owntracks/"),
    **{route: example_probe(route[1], example) for route, example in open311_examples().items()},
    ("GET", "/api/v1/workers/{username}/track"): track,
    ("POST", "/api/v1/patrols/{id}/end"): patrol("/end"),
    ("GET", "/api/v1/patrols"): patrol_listing,
    ("GET", "/api/v1/patrols/{id}"): patrol(""),
    ("GET", "/api/v1/patrols/{id}/track"): patrol("/track"),
    ("GET", "/api/v1/reports/{kind}"): daily_report,
    ("GET", "/api/v1/reports/{kind}/figures/{figure}"): figure_members,
    ("GET", "/api/v1/alerts"): alert_listing,
    ("GET", "/api/v1/alerts/{id}"): alert(""),
    ("POST", "/api/v1/alerts/{id}/ack"): alert("/ack", note="收到"),
    ("POST", "/api/v1/alerts/{id}/resolve"): alert("/resolve", note="已处理"),
}


# --- the routes of the app ---------------------------------------------------------------------

def http_routes() -> list[tuple[str, str, Any]]:
    out = []
    for route in create_app().routes:
        if isinstance(route, Route):
            for method in sorted((route.methods or set()) - {"HEAD"}):
                out.append((method, route.path, policy_of(route.endpoint)))
        elif isinstance(route, Mount):
            out.append(("GET", route.path, policy_of(route.app)))
    return out


def ws_routes() -> list[tuple[str, Any]]:
    return [(r.path, policy_of(r.endpoint)) for r in create_app().routes
            if isinstance(r, WebSocketRoute)]


def test_the_table_has_a_row_for_every_route_and_socket() -> None:
    routes = {(m, p) for m, p, _ in http_routes()}
    assert sorted(routes - set(TABLE)) == [], "add these routes to TABLE"
    assert sorted(set(TABLE) - routes) == [], "these rows of TABLE have no route"
    assert sorted({p for p, _ in ws_routes()} ^ set(SOCKETS)) == [], "SOCKETS is not complete"
    assert all(policy is not None for _, _, policy in http_routes())


def test_the_table_and_the_role_guards_agree() -> None:
    """A quick first look (the matrix below is the proof): a role the table lets in at
    all is a role the route's guard admits, and no other."""
    rows = [(f"{m} {p}", TABLE[m, p], policy) for m, p, policy in http_routes()]
    rows += [(p, SOCKETS[p], policy) for p, policy in ws_routes()]
    for name, row, policy in rows:
        if row == PUBLIC:
            assert policy.public, name
            continue
        admitted = {r for r, cell in cells(row).items() if cell != "no"}
        assert set(policy.roles) == admitted, name


# --- the matrix ------------------------------------------------------------------------------

PARALLEL = 12


async def _send(world: World, method: str, call: Call, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    headers.update(call.headers)
    r = await world.http.request(method, call.path, json=call.json, files=call.files,
                                 data=call.data, headers=headers)
    if r.status_code >= 400:
        assert "error" in r.json(), r.text
    return r


async def _route(world: World, method: str, path: str) -> list[str]:
    """Every check of one route; the failures, described."""
    row = TABLE[method, path]
    probe = PROBES.get((method, path), fixed(path))
    failures: list[str] = []

    def expect(what: str, got: httpx.Response, ok: bool) -> None:
        if not ok:
            ctype = got.headers.get("content-type", "")
            shown = got.text[:120] if "json" in ctype else ctype
            failures.append(f"{method} {path} {what}: {got.status_code} {shown}")

    anonymous = await _send(world, method, await probe(world, "gw001", "none"), None)
    if row == PUBLIC:
        expect("anonymous", anonymous, 200 <= anonymous.status_code < 300)
        for role, user in ROLE_USERS.items():
            got = await _send(world, method, await probe(world, user, "none"),
                              await world.token(user))
            expect(f"as {role.value}", got, 200 <= got.status_code < 300)
        return failures
    expect("anonymous", anonymous, anonymous.status_code == 401)
    bad = await _send(world, method, await probe(world, "gw001", "none"), "not-a-real-token")
    expect("with a bad token", bad, bad.status_code == 401)
    for role, cell in cells(row).items():
        user = ROLE_USERS[role]
        token = await world.token(user)
        if cell == "no":
            got = await _send(world, method, await probe(world, user, "none"), token)
            expect(f"as {role.value} (no)", got, got.status_code == 403)
            continue
        if cell == "own":
            call = await probe(world, user, "own")
            got = await _send(world, method, call, call.token or token)
            expect(f"as {role.value} in own scope", got, 200 <= got.status_code < 300)
        call = await probe(world, user, "other")
        got = await _send(world, method, call, call.token or token)
        ok = 200 <= got.status_code < 300
        shown = ok and (call.shows_other is None or call.shows_other(got.json()))
        if cell == "yes":
            expect(f"as {role.value} outside own scope", got, shown)
        else:
            expect(f"as {role.value} outside own scope (must not see it)", got,
                   got.status_code == 403 or (ok and not shown))
    return failures


async def _socket_status(world: World, path: str, token: str | None) -> tuple[int, Any]:
    query = "?department=hw" + (f"&token={token}" if token else "")
    try:
        async with connect(world.live.ws_url + path + query, open_timeout=5) as ws:
            first = orjson.loads(await asyncio.wait_for(ws.recv(), 5)) \
                if path == "/ws/screen" else None
            return 101, first
    except InvalidStatus as exc:
        return int(exc.response.status_code), None


async def _socket_by_message(world: World, path: str, token: str) -> str:
    """The first-message form: "auth.ok", or the error code the socket closed with."""
    async with connect(world.live.ws_url + path, open_timeout=5) as ws:
        await ws.send(orjson.dumps({"type": "auth", "token": token}).decode())
        reply = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
        if reply["type"] == "auth.ok" and path in DISTRICT_SOCKETS:  # then the scope's say
            reply = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
            return "auth.ok" if reply["type"] == "snapshot" else str(reply.get("code"))
        return "auth.ok" if reply["type"] == "auth.ok" else str(reply["code"])


async def _socket(world: World, path: str) -> list[str]:
    failures = []
    if (got := await _socket_by_message(world, path, "bogus")) != "invalid_token":
        failures.append(f"{path} by message with a bogus token: {got}")
    # Without a token on the URL the socket opens for a first {"type":"auth"} message
    # (checked above with a bogus token); a bad token on the URL is refused at once.
    status, _ = await _socket_status(world, path, "bogus")
    if status != 401:
        failures.append(f"{path} with a bogus token: {status}")
    for role, cell in cells(SOCKETS[path]).items():
        token = await world.token(ROLE_USERS[role])
        outside = path in DISTRICT_SOCKETS and cell == "own"  # a street's user: no district
        by_message = await _socket_by_message(world, path, token)
        wanted = "role_forbidden" if cell == "no" else "district_only" if outside else "auth.ok"
        if by_message != wanted:
            failures.append(f"{path} by message as {role.value}: {by_message}")
        status, first = await _socket_status(world, path, token)
        if status != (403 if cell == "no" or outside else 101):
            failures.append(f"{path} as {role.value}: {status}")
        elif first is not None and role is SL:  # a station's lead watches their station
            if first["filter"]["station"] != SL_STATION:
                failures.append(f"{path} as {role.value} follows {first['filter']}")
        elif first is not None:  # a screen asked to follow hw, a department not the lead's
            followed = first["filter"]["department"]
            if followed != ("hw" if cell == "yes" else "cgj"):
                failures.append(f"{path} as {role.value} follows {followed}")
    return failures


def test_every_route_and_socket_against_the_table(live: LiveServer,
                                                  seeded: OrgData) -> None:
    async def go() -> list[str]:
        c = bootstrap(live.settings)
        limit = asyncio.Semaphore(PARALLEL)
        try:
            async with httpx.AsyncClient(base_url=live.url, timeout=20) as http:
                world = World(live, c, http)
                for side in (SIDES["dm001", "own"], SIDES["dm001", "other"]):
                    await world.case(side, "dispatched")  # rows of cgj and hw in reports
                for department in ("cgj", "hw"):
                    await world.alert(department)  # alerts of both in the listings

                async def bounded(work: Awaitable[list[str]]) -> list[str]:
                    async with limit:
                        return await work

                found = await asyncio.gather(
                    *(bounded(_route(world, m, p)) for m, p, _ in http_routes()),
                    *(bounded(_socket(world, p)) for p, _ in ws_routes()))
        finally:
            await c.aclose()
        return [f for group in found for f in group]

    failures = asyncio.run(go())
    assert failures == [], "\n".join(failures)


# --- the district centre's scope (a deployment of streets and their district) ------------------

#: The district's routes and sockets, for the centre's users and a street's: the centre's
#: see every street, a street's users their own street (routes) or nothing (sockets).
DISTRICT_ROUTES = ("/api/v1/district", "/api/v1/district/map")


def test_the_district_centre_sees_every_street_and_a_street_its_own(
        settings: Settings) -> None:
    from dispatch.org.district_preset import CENTRE
    from tests.districts import seed_small_district

    streets = [s.street.code for s in seed_small_district(settings)]
    deployment = dataclasses.replace(settings, streets=",".join(streets), district=CENTRE)
    centre = {DISP: "district.disp1", ASSESS: "district.assess", SCREEN: "district.screen",
              ADMIN: "district.admin"}
    street = {role: f"{streets[0]}.{name}" for role, name in
              ((DISP, "disp1"), (ASSESS, "assess"), (SCREEN, "screen"), (ADMIN, "admin"))}

    async def socket(live: LiveServer, token: str) -> int | str:
        try:
            async with connect(f"{live.ws_url}/ws/district?token={token}", open_timeout=5) as ws:
                return str(orjson.loads(await asyncio.wait_for(ws.recv(), 5))["type"])
        except InvalidStatus as exc:
            return int(exc.response.status_code)

    failures = []
    with running(deployment) as live:
        for users, seen, opened in ((centre, streets, "snapshot"), (street, streets[:1], 403)):
            for role, user in users.items():
                token = live.login(user)
                with live.client(token) as c:
                    for path in DISTRICT_ROUTES:
                        got = [r["street"] for r in c.get(path).json()["streets"]]
                        if got != seen:
                            failures.append(f"{path} as {user}: {got}")
                if (found := asyncio.run(socket(live, token))) != opened:
                    failures.append(f"/ws/district as {user} ({role.value}): {found}")
    assert failures == [], "\n".join(failures)
