"""Listing cases: filters, scope, an opaque cursor, and a bounded newest-first scan.

Every index is a sorted set scored by case number. A page reads the cheapest index (or
union of indexes) that holds every case the caller may get, newest first below the
cursor, and keeps the cases that pass every filter, reading at most a set number of
cases per page (the cursor then lets the caller go on).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from dispatch.access import STREET_WIDE_ROLES, check_listing_department, may_see_case
from dispatch.cases.model import Case
from dispatch.cases.search import Search, matches, parse_search
from dispatch.cases.states import OPEN_STATES, CaseState
from dispatch.cases.store import CaseStore
from dispatch.errors import BadRequest
from dispatch.identity.principal import Principal
from dispatch.identity.roles import DEPARTMENT_ROLES, GRID_HELPERS, Role
from dispatch.keys import Keys
from dispatch.patrol.windows import DEFAULT_TZ
from dispatch.rules import Light

OPEN = "open"  # every open state at once
CURSOR_TAG = "c1:"
MIN_BATCH = 50
MAX_FILTER = 64

#: Whether a case (and the text of its report, when the search needs it) is kept.
Predicate = Callable[[Case, str], bool]


@dataclass(frozen=True)
class Query:
    states: frozenset[str] = frozenset()
    department: str | None = None
    grid: str | None = None
    light: str | None = None
    assignee: str | None = None
    below: int | None = None
    limit: int = MIN_BATCH
    search: Search = field(default_factory=Search)


@dataclass(frozen=True)
class Page:
    items: list[Case]
    next_below: int | None


def encode_cursor(number: int) -> str:
    return base64.urlsafe_b64encode(f"{CURSOR_TAG}{number}".encode()).decode().rstrip("=")


def decode_cursor(raw: str) -> int:
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
        if text.startswith(CURSOR_TAG) and text[len(CURSOR_TAG):].isdigit():
            return int(text[len(CURSOR_TAG):])
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise BadRequest("the cursor is not one this server gave", code="invalid_cursor",
                     field="cursor")


def _param(params: Mapping[str, str], name: str) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if len(value) > MAX_FILTER:
        raise BadRequest(f"{name} is too long", code="invalid_field", field=name)
    return value


def _states(raw: str | None) -> frozenset[str]:
    if raw is None:
        return frozenset()
    states = frozenset(s.strip() for s in raw.split(",") if s.strip())
    known = {s.value for s in CaseState} | {OPEN}
    if not states <= known:
        raise BadRequest("state is one or more of " + ", ".join(sorted(known)),
                         code="invalid_field", field="state")
    return states


def _limit(raw: str | None, default: int, most: int) -> int:
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= most:
        raise BadRequest(f"limit is an integer from 1 to {most}", code="invalid_field",
                         field="limit")
    return int(raw)


def parse_query(params: Mapping[str, str], *, default_limit: int, max_limit: int,
                tz: str = DEFAULT_TZ) -> Query:
    light = _param(params, "light")
    if light is not None and light not in {v.value for v in Light}:
        raise BadRequest("light is green, yellow or red", code="invalid_field", field="light")
    cursor = _param(params, "cursor")
    return Query(
        states=_states(_param(params, "state")), department=_param(params, "department"),
        grid=_param(params, "grid"), light=light, assignee=_param(params, "assignee"),
        below=decode_cursor(cursor) if cursor else None,
        limit=_limit(_param(params, "limit"), min(default_limit, max_limit), max_limit),
        search=parse_search(params, tz),
    )


def _wanted_states(states: frozenset[str]) -> frozenset[str]:
    if OPEN in states:
        return (states - {OPEN}) | {s.value for s in OPEN_STATES}
    return states


def predicate(actor: Principal, query: Query, now_ms: int,
              department_names: Mapping[str, Sequence[str]] | None = None) -> Predicate:
    states = _wanted_states(query.states)
    names = department_names or {}

    def keep(case: Case, text: str) -> bool:
        return ((not states or case.state.value in states)
                and (query.department is None or case.department == query.department
                     or query.department in case.parties.assisting)
                and (query.grid is None or case.grid == query.grid)
                and (query.assignee is None or case.assignee == query.assignee)
                and (query.light is None or case.light(now_ms) == query.light)
                and may_see_case(actor, case.parties)
                and (not query.search.active
                     or matches(case, text, query.search, now_ms, names)))

    return keep


def alternatives(actor: Principal, query: Query, keys: Keys) -> list[list[str]]:
    """Index unions each holding every case the page may return; the caller picks one."""
    found: list[list[str]] = []
    if query.states:
        found.append([keys.cases_open()] if query.states == {OPEN} else
                     [keys.cases_in_state(s) for s in sorted(_wanted_states(query.states))])
    if query.department:
        found.append([keys.cases_in_department(query.department),
                      keys.cases_assisted_by(query.department)])
    if query.grid:
        found.append([keys.cases_in_grid(query.grid)])
    if query.assignee:
        found.append([keys.cases_held_by(query.assignee)])
    check_listing_department(actor, query.department)
    if actor.role in DEPARTMENT_ROLES:
        found.append([keys.cases_in_department(actor.scope or ""),
                      keys.cases_assisted_by(actor.scope or "")])
    elif actor.role in GRID_HELPERS:  # their own reports and what they hold
        found.append([keys.cases_reported_by(actor.username),
                      keys.cases_held_by(actor.username)])
    elif actor.role is Role.GRID_WORKER:
        found.append([keys.cases_in_grid(actor.scope or ""),
                      keys.cases_reported_by(actor.username), keys.cases_held_by(actor.username)])
    elif actor.role in STREET_WIDE_ROLES | {Role.STATION_LEAD} and not found:
        found.append([keys.cases_all()])  # a station's lead: its cases, kept by scope
    return found


async def cheapest(store: CaseStore, options: list[list[str]]) -> list[str]:
    costs = []
    for keys in options:
        costs.append(sum([await store.size(k) for k in keys]))
    return options[costs.index(min(costs))]


async def scan(store: CaseStore, sources: list[str], keep: Predicate, below: int | None,
               limit: int, budget: int, *, texts: bool = False) -> Page:
    """Cases passing ``keep`` from the union of ``sources``, newest first, below ``below``
    (with ``texts``, ``keep`` also gets the text of each case's report)."""
    found: list[Case] = []
    read = 0
    batch = max(MIN_BATCH, min(limit * 2, budget))
    while True:
        pages = [await store.page(key, below, batch) for key in sources]
        full = [page[-1][1] for page in pages if len(page) == batch]
        floor = max(full) if full else None
        numbers = {cid: n for page in pages for cid, n in page if floor is None or n >= floor}
        if not numbers:
            return Page(found, None)
        ordered = sorted(numbers, key=numbers.__getitem__, reverse=True)
        cases = {c.id: c for c in await store.load_many(ordered)}
        reports = await store.report_texts(ordered) if texts else {}
        for position, cid in enumerate(ordered):
            below = numbers[cid]
            read += 1
            case = cases.get(cid)
            if case is not None and keep(case, reports.get(cid, "")):
                found.append(case)
            more = floor is not None or position + 1 < len(ordered)
            if len(found) >= limit or read >= budget:
                return Page(found, below if more else None)
        if floor is None:
            return Page(found, None)
