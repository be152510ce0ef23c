"""The whole street at play: grid workers, the disposal force, the desk and the screens.

People sign in a few at a time (the server hashes passwords slowly and limits sign-ins
per address) and start playing as soon as they are in: the screens and the desk first,
then a lead per department, the grid workers, the members.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from clients.simulator.api import LoginRefused
from clients.simulator.catalogue import Catalogue
from clients.simulator.config import STREET_SCREEN_USER
from clients.simulator.context import Ctx
from clients.simulator.desk import Desk
from clients.simulator.members import Department, Member
from clients.simulator.phones import PhoneKind
from clients.simulator.screens import Screen
from clients.simulator.stats import PEOPLE
from clients.simulator.street import GridShape, Street
from clients.simulator.worker import GridWorker

LOGIN_CONCURRENCY = 4
DESK_USER = "disp1"
SCREEN_USER = STREET_SCREEN_USER
WORKER_PREFIX = "gw"
WORKER_DIGITS = 3


class SetupFailed(Exception):
    pass


@dataclass(frozen=True)
class Person:
    username: str
    start: Callable[[str], Awaitable[None]]


def _phones_of(count: int, share: float) -> int:
    """Phones of a protocol of ``share``: at least one of a few (a small street's still
    speaks every protocol asked for)."""
    wanted = round(count * share)
    return max(wanted, 1) if share > 0 and count >= len(PhoneKind) else wanted


def protocols(count: int, ctx: Ctx) -> list[PhoneKind]:
    """Which phone each worker has: exact shares of OsmAnd and OwnTracks, the rest ours."""
    cfg = ctx.config
    osmand = min(count, _phones_of(count, cfg.osmand_share))
    owntracks = min(count - osmand, _phones_of(count, cfg.owntracks_share))
    kinds = ([PhoneKind.OSMAND] * osmand + [PhoneKind.OWNTRACKS] * owntracks
             + [PhoneKind.SOCKET] * (count - osmand - owntracks))
    ctx.rng.shuffle(kinds)
    return kinds


def pick_members(departments: list[dict[str, Any]], count: int) -> list[tuple[str, str]]:
    """(member, department) pairs taken round-robin over the departments."""
    queues = {str(d["id"]): list(d.get("members") or []) for d in departments}
    picked: list[tuple[str, str]] = []
    while len(picked) < count and any(queues.values()):
        for dept, names in queues.items():
            if names and len(picked) < count:
                picked.append((str(names.pop(0)), dept))
    return picked


async def _json(ctx: Ctx, what: str, path: str, token: str) -> Any:
    reply = await ctx.api.get(what, path, token)
    if not reply.ok:
        raise SetupFailed(f"{what}: {reply.describe()}")
    return reply.body


async def load_street(ctx: Ctx, token: str) -> list[dict[str, Any]]:
    """Grids and catalogue into the context; returns the departments."""
    ctx.street = Street.from_geojson(await _json(ctx, "grids", "/api/v1/grids", token))
    ctx.catalogue = Catalogue.from_json(await _json(ctx, "catalogue", "/api/v1/catalogue",
                                                    token))
    if not ctx.street.grids or not ctx.catalogue.items:
        raise SetupFailed("the server has no grids or no catalogue: is the street seeded?")
    body = await _json(ctx, "departments", "/api/v1/departments", token)
    return list(body.get("items", []))


async def own_grid(ctx: Ctx, username: str, token: str) -> GridShape | None:
    """What the worker's phone loads first: the grids, to find and draw its own."""
    reply = await ctx.api.get("grids", "/api/v1/grids", token)
    if not reply.ok or not isinstance(reply.body, dict):
        return None
    for feature in reply.body.get("features", []):
        if (feature.get("properties") or {}).get("worker") == username:
            return GridShape.from_feature(feature)
    ctx.stats.error("no own grid", f"{username} is no grid's worker")
    return None


def _workers(ctx: Ctx) -> list[Person]:
    prefix = ctx.config.prefix
    names = [f"{prefix}{WORKER_PREFIX}{n:0{WORKER_DIGITS}d}"
             for n in range(1, ctx.config.workers + 1)]
    people = []
    for username, kind in zip(names, protocols(len(names), ctx), strict=True):
        grid = ctx.street.of_worker(username)
        if grid is None:
            continue

        async def start(token: str, username: str = username, kind: PhoneKind = kind,
                        grid: GridShape = grid) -> None:
            own = await own_grid(ctx, username, token)
            GridWorker(ctx, username, token, own or grid, kind).start()
            ctx.phones[username] = kind.value

        people.append(Person(username, start))
    return people


def _force(ctx: Ctx, departments: list[dict[str, Any]]) -> tuple[list[Person], list[Person]]:
    """(leads, members): a lead per department keeps every department able to take jobs."""
    if ctx.config.members <= 0:
        return [], []
    teams = {str(d["id"]): Department(ctx, str(d["id"])) for d in departments}
    leads: list[Person] = []
    for d in departments:
        if d.get("lead"):
            leads.append(_member(ctx, str(d["lead"]), teams[str(d["id"])], lead=True))
    if ctx.config.leads is not None:
        leads = leads[:max(0, ctx.config.leads)]
    members = [_member(ctx, name, teams[dept], lead=False)
               for name, dept in pick_members(departments, ctx.config.members)]
    return leads, members


def _member(ctx: Ctx, username: str, team: Department, *, lead: bool) -> Person:
    async def start(token: str) -> None:
        member = Member(ctx, username, token, team, lead=lead)
        team.people.append(member)
        member.start()

    return Person(username, start)


def _screens(ctx: Ctx) -> list[Person]:
    if ctx.config.screens <= 0:
        return []

    async def start(token: str) -> None:
        for n in range(ctx.config.screens):
            Screen(ctx, token, n, timing=n == 0).start()

    return [Person(ctx.config.prefix + ctx.config.screen_user, start)]


Gates = tuple[asyncio.Semaphore, ...]


async def _login(ctx: Ctx, username: str, gates: Gates) -> str:
    """A token, once through every gate (in order)."""
    async with contextlib.AsyncExitStack() as stack:
        for gate in gates:
            await stack.enter_async_context(gate)
        return await ctx.api.login(username, ctx.config.password)


async def _sign_in(ctx: Ctx, person: Person, gates: Gates) -> None:
    try:
        token = await _login(ctx, person.username, gates)
    except LoginRefused as exc:
        ctx.stats.error("login refused", str(exc))
        return
    await person.start(token)


@dataclass(frozen=True)
class Prepared:
    """A street read by its desk: what sizing and bringing its people in need."""

    desk: str
    desk_token: str
    departments: list[dict[str, Any]]


async def prepare_street(ctx: Ctx, gates: Gates = ()) -> Prepared:
    """Sign in the desk and read the street (grids, catalogue, departments)."""
    desk = ctx.config.prefix + DESK_USER
    try:
        desk_token = await _login(ctx, desk, gates or (asyncio.Semaphore(LOGIN_CONCURRENCY),))
    except LoginRefused as exc:
        raise SetupFailed(f"cannot sign in: {exc}") from exc
    return Prepared(desk, desk_token, await load_street(ctx, desk_token))


def populate(ctx: Ctx, street: Prepared, gates: Gates = ()) -> None:
    """Start the desk and bring everyone else in, a few sign-ins at a time. ``gates``:
    what limits the sign-ins at once (a district's streets pass one each, then a shared
    one, so that they take turns)."""
    gates = gates or (asyncio.Semaphore(LOGIN_CONCURRENCY),)
    Desk(ctx, street.desk, street.desk_token).start()
    leads, members = _force(ctx, street.departments)
    people = _screens(ctx) + leads + _workers(ctx) + members
    ctx.stats.add(PEOPLE, len(people) + 1)
    for person in people:
        ctx.spawn(_sign_in(ctx, person, gates), f"sign-in:{person.username}")


async def start_street(ctx: Ctx) -> None:
    """Sign in the desk, read the street, then bring everyone else in."""
    populate(ctx, await prepare_street(ctx))
