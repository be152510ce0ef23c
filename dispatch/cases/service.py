"""The case service: what HTTP, sockets and the clock call.

Each call reads the case, checks who may do what in which state (403, 409), computes
the change in Python and hands one plan to one atomic script; if the case changed in
between, it reads again and retries. Domain errors are raised; entry points turn them
into status codes or socket messages.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Protocol

import orjson

from dispatch.access import (
    Parties,
    allowed_sources,
    check_part_action,
    check_reassign,
    check_reporter,
    may_see_case,
    team_of,
)
from dispatch.cases.actions import TRANSITIONS, Action
from dispatch.cases.clock import CaseClock
from dispatch.cases.commands import Command, ReportCommand
from dispatch.cases.intake import intake
from dispatch.cases.lifecycle import Context, change_for, check_state
from dispatch.cases.listing import (
    Query,
    alternatives,
    cheapest,
    encode_cursor,
    predicate,
    scan,
)
from dispatch.cases.model import Case
from dispatch.cases.parts import YELLOW_TIMER, PartState, find, parse_part_timer
from dispatch.cases.plan import Planner
from dispatch.cases.search import ArchivePage, CaseArchive, merge
from dispatch.cases.states import CaseState
from dispatch.cases.store import CaseStore, Fired
from dispatch.cases.whistle import CheckIn, distance_m
from dispatch.clock import MS_PER_S, S_PER_H, Now, now_ms
from dispatch.errors import BadRequest, Conflict, Forbidden, NotFound
from dispatch.identity.principal import Principal
from dispatch.identity.roles import DEPARTMENT_ROLES, GRID_HELPERS, Role
from dispatch.identity.users import UserStore
from dispatch.keys import Keys
from dispatch.location.members import MemberPositions
from dispatch.media import MediaStore
from dispatch.org.store import OrgStore
from dispatch.rules import CENTRE, Light, Tier
from dispatch.rules.vocab import CENTRE_NAMES
from dispatch.rules_service import RulesService
from dispatch.settings import Settings

if TYPE_CHECKING:
    from dispatch.cases.archive import CaseArchiveStore

log = logging.getLogger("dispatch.cases")
#: Reads and retries when the case keeps changing under a transition.
MAX_ATTEMPTS = 5
OFFERED_STATES = frozenset({CaseState.DISPATCHED, CaseState.REOPENED})
#: The key of a pending offer's summary naming the assisting part offered (not the case).
OFFERED_PART = "offered_part"
#: Who the clock's own steps are recorded as.
SYSTEM_PRINCIPAL = Principal("system", Role.ADMIN)


class CaseObserver(Protocol):
    """Told after a change is stored (e.g. alerts follow a case's lights and states).
    Its failures are logged, never undo nor fail the change."""

    async def timers_fired(self, fired: Sequence[Fired], cases: Sequence[Case],
                           now_ms: int) -> None: ...

    async def case_changed(self, before: Case, after: Case, action: Action,
                           now_ms: int) -> None: ...


class CaseService:
    def __init__(self, settings: Settings, *, keys: Keys, store: CaseStore, planner: Planner,
                 org: OrgStore, rules: RulesService, media: MediaStore, users: UserStore,
                 clock: Now = now_ms, observers: Sequence[CaseObserver] = (),
                 positions: MemberPositions | None = None) -> None:
        #: Where the disposal force is (their latest fixes): judges check-ins.
        self.positions = positions
        self.keys = keys
        self.settings = settings
        self.org = org
        self.rules = rules
        self.media = media
        self.users = users
        self.clock = clock
        self.store = store
        self.planner = planner
        self.observers: list[CaseObserver] = list(observers)
        #: Where cases kept outside the live store are searched (none by default).
        self.archives: list[CaseArchive] = []
        #: Where closed cases are compacted (read like live ones, restored on a write).
        self.archive: CaseArchiveStore | None = None

    def use_archive(self, archive: CaseArchiveStore) -> None:
        self.archive = archive
        self.archives.append(archive)

    def now(self, now_ms: int | None = None) -> int:
        return self.clock() if now_ms is None else now_ms

    # --- report -------------------------------------------------------------
    async def report(self, actor: Principal, cmd: ReportCommand,
                     now_ms: int | None = None) -> tuple[dict[str, Any], bool]:
        """(the case, created?): a retry of the same report returns the first case."""
        now = self.now(now_ms)
        reporter = await self._reporter(actor, cmd.reporter)
        client_field = f"{reporter}|{cmd.client_id}"
        fingerprint = cmd.fingerprint()
        prior = await self.store.client_case(client_field)
        if prior is not None:
            return await self._replay(prior, fingerprint, now), False
        routing = await self.rules.route(cmd.item, cmd.lat, cmd.lon, cmd.severity, now)
        helper = actor.role in GRID_HELPERS
        if helper and routing.grid != actor.scope:
            raise Forbidden(f"you report in grid {actor.scope} only", code="outside_your_grid",
                            field="lat")
        await self._check_media(actor, cmd.media, None, reporter=reporter)
        worker = None
        if routing.decision is not None and routing.decision.tier is Tier.SIMPLE:
            # a grid's helper solves a simple problem on the spot; its worker verifies it
            worker = reporter if helper else await self._grid_worker(routing.grid)
        # a report from outside the field app (or a helper's) is verified on site by the
        # grid's worker
        verifier = await self._grid_worker(routing.grid) if cmd.source or helper else None
        cid = await self.store.next_id()
        new = intake(cid, cmd, reporter, actor, routing, worker, now, verifier)
        fresh, duplicate = self.planner.report(new)
        s = self.settings
        done = await self.store.report(
            cid, client_field, fingerprint, fresh, duplicate, item=new.item, lon=new.lon,
            lat=new.lat, radius_m=s.duplicate_radius_m,
            since_ms=now - s.duplicate_window_s * MS_PER_S, reporter=reporter)
        if not done.created:
            return await self._replay((done.case_id, done.fingerprint or ""), fingerprint,
                                      now), False
        return await self._detail(done.case_id, now), True

    async def _replay(self, prior: tuple[str, str], fingerprint: str, now: int) -> dict[str, Any]:
        cid, first = prior
        if first != fingerprint:
            raise Conflict("this client_id was used for another report",
                           code="client_id_reused", field="client_id")
        return await self._detail(cid, now)

    async def _reporter(self, actor: Principal, named: str | None) -> str:
        if named is None or not check_reporter(actor, named):
            return actor.username
        try:
            user = await self.users.get(named)
        except NotFound:
            user = None
        if user is None or user.role is not Role.GRID_WORKER:
            raise BadRequest(f"{named} is not a grid worker", code="unknown_user",
                             field="reporter")
        return user.username

    async def _grid_worker(self, grid: str) -> str | None:
        feature = await self.org.grid(grid)
        worker = feature.get("properties", {}).get("worker")
        return str(worker) if worker else None

    async def _check_media(self, actor: Principal, ids: Sequence[str], cid: str | None, *,
                           reporter: str | None = None) -> None:
        """Every photo exists and was uploaded by the caller. A report may share a photo with
        other reports of the same ``reporter`` (one picture, two problems); any other photo
        already on a case (a result shown as another case's, another reporter's picture)
        is refused with that case named."""
        for n, media_id in enumerate(ids):
            field = f"media.{n}"
            meta = await self.media.meta(media_id)
            if meta is None or not await self.media.owned_by(media_id, actor.username):
                raise BadRequest(f"no photo {media_id} of yours", code="unknown_media",
                                 field=field)
            for other in meta.cases:
                if other == cid or (reporter is not None
                                    and await self._reporter_of(other) == reporter):
                    continue
                raise BadRequest(f"photo {media_id} belongs to case {other}",
                                 code="media_in_use", field=field, case=other)

    async def _reporter_of(self, cid: str) -> str | None:
        case = await self.store.load(cid)
        return case.reporter if case is not None else None

    # --- actions ------------------------------------------------------------
    async def act(self, actor: Principal, cid: str, cmd: Command,
                  now_ms: int | None = None) -> dict[str, Any]:
        """Do ``cmd`` to case ``cid``; returns the case as it is afterwards."""
        for _ in range(MAX_ATTEMPTS):
            now = self.now(now_ms)
            case = await self._live_case(actor, cid, cmd)
            sources = allowed_sources(cmd.action, actor, case.parties)
            check_state(case, cmd.action, actor, sources)
            ctx = await self._context(actor, case, cmd, now)
            await self._check_media(actor, cmd.media, case.id)
            change = change_for(case, cmd, actor, now, ctx)
            plan = self.planner.transition(case, change, actor, now, sources)
            applied = await self.store.apply(case.id, plan)
            if applied.ok:
                return await self._changed(case, cmd.action, now)
            if applied.outcome == "missing":
                if self.archive is not None and await self.archive.restore(cid) == "restored":
                    continue  # archived since it was read: back, and again
                raise NotFound(f"no case {cid}", code="unknown_case")
            if (cmd.action is Action.ACCEPT and applied.state == CaseState.ACCEPTED.value
                    and applied.assignee != actor.username):
                raise Conflict(f"case {cid} was already taken by {applied.assignee}",
                               code="already_taken")
        raise Conflict(f"case {cid} keeps changing; try again", code="busy")

    async def _context(self, actor: Principal, case: Case, cmd: Command, now: int) -> Context:
        calendar = self.rules.calendar
        match cmd.action:
            case Action.REASSIGN | Action.ASSIGN:
                return await self._reassign_context(actor, case, cmd, now)
            case Action.DUPLICATE:
                return Context(calendar, original=await self._original(case, cmd.of or ""))
            case Action.SUPERVISE:
                return Context(calendar, lead=await self._lead(case.department))
            case Action.REOPEN:
                return Context(calendar, fresh_clock=await self._default_clock(case, now))
            case Action.ASSIST:
                return Context(calendar, fresh_clock=await self._part_clock(case, cmd, now))
            case Action.WHISTLE:
                known = await self.org.department_ids()
                for n, department in enumerate(cmd.departments):
                    if department == CENTRE or department not in known:
                        raise BadRequest(f"no department {department}",
                                         code="unknown_department", field=f"departments.{n}")
        return Context(calendar)

    # --- the whistle (吹哨报到) ------------------------------------------------------
    async def checkin(self, actor: Principal, cid: str, note: str = "",
                      now_ms: int | None = None) -> dict[str, Any]:
        """报到: a member of a summoned department on site. It counts only when the
        member's latest accepted fix is fresh and within the set distance of the case
        (409 ``no_position`` / ``not_on_site`` otherwise); the first on site checks the
        department in (late after the whistle's limit)."""
        s = self.settings
        for _ in range(MAX_ATTEMPTS):
            now = self.now(now_ms)
            case = await self._case(cid)
            whistle = case.whistle
            department = team_of(actor)
            if whistle is None or department not in whistle.departments:
                raise Forbidden(f"your department was not summoned to case {cid}",
                                code="not_summoned")
            if department in whistle.checkins:
                raise Conflict(f"{department} already checked in on case {cid}",
                               code="already_checked_in")
            if case.state not in TRANSITIONS[Action.CHECKIN].sources:
                raise Conflict(f"case {cid} is {case.state.value}", code="invalid_state")
            fix = await self.positions.latest(actor.username) if self.positions else None
            if fix is None or now - fix.ts > s.checkin_fix_age_s * MS_PER_S:
                raise Conflict("no recent position of yours: turn location on and wait for "
                               "a fix", code="no_position")
            away = distance_m(fix.lat, fix.lon, case.lat, case.lon)
            if away > s.checkin_radius_m:
                raise Conflict(f"you are {away:.0f} m from the case; check in within "
                               f"{s.checkin_radius_m:.0f} m", code="not_on_site",
                               distance_m=round(away), radius_m=s.checkin_radius_m)
            ctx = Context(self.rules.calendar,
                          checkin=CheckIn(actor.username, now, round(away, 1), now > whistle.due),
                          department_of_actor=department)
            change = change_for(case, Command(Action.CHECKIN, note=note), actor, now, ctx)
            plan = self.planner.transition(case, change, actor, now,
                                           TRANSITIONS[Action.CHECKIN].sources)
            if (await self.store.apply(case.id, plan)).ok:
                return await self._changed(case, Action.CHECKIN, now)
        raise Conflict(f"case {cid} keeps changing; try again", code="busy")

    async def fire_parts_due(self, now_ms: int | None = None) -> list[tuple[str, str, str]]:
        """Every assisting part at its yellow instant or past its own deadline while open on
        a working case: its light turns yellow (``part_near_limit``) or red
        (``part_overdue``) on the timeline, its holder is told and the observers raise the
        part's alert. A yellow timer due with the deadline passed is skipped (red follows).
        Returns (case, department, light) of each."""
        now = self.now(now_ms)
        fired: list[tuple[str, str, str]] = []
        for member in await self.store.parts_due(now, self.settings.timer_batch):
            parsed = parse_part_timer(member)
            if parsed is None:
                continue
            cid, department, deadline, light = parsed
            yellow = light == YELLOW_TIMER
            action = Action.PART_NEAR_LIMIT if yellow else Action.PART_OVERDUE
            sources = TRANSITIONS[action].sources
            for _ in range(MAX_ATTEMPTS):
                case = await self.store.load(cid)
                part = find(case.parts, department) if case else None
                if (case is None or part is None or not part.open or part.deadline != deadline
                        or case.state not in sources
                        or (yellow and (now >= deadline or part.light != Light.GREEN.value))):
                    break
                change = change_for(case, Command(action, department=department),
                                    SYSTEM_PRINCIPAL, now, Context(self.rules.calendar))
                plan = self.planner.transition(case, change, SYSTEM_PRINCIPAL, now, sources)
                if (await self.store.apply(case.id, plan)).ok:
                    fired.append((cid, department, light))
                    await self._changed(case, action, now)
                    break
        return fired

    async def fire_whistles(self, now_ms: int | None = None) -> list[tuple[str, list[str]]]:
        """Every whistle whose limit passed: its departments not on site are marked late
        on the case's timeline and raised as alerts (``checkin_late``). Returns (case, the
        departments late) of each."""
        now = self.now(now_ms)
        late: list[tuple[str, list[str]]] = []
        for cid, n in await self.store.whistles_due(now, self.settings.timer_batch):
            for _ in range(MAX_ATTEMPTS):
                case = await self.store.load(cid)
                whistle = case.whistle if case else None
                if (case is None or whistle is None or whistle.n != n or not whistle.waiting
                        or case.state not in TRANSITIONS[Action.CHECKIN_MISSED].sources):
                    break
                missing = whistle.waiting
                change = change_for(case, Command(Action.CHECKIN_MISSED,
                                                  departments=tuple(missing)),
                                    SYSTEM_PRINCIPAL, now, Context(self.rules.calendar))
                plan = self.planner.transition(case, change, SYSTEM_PRINCIPAL, now,
                                               TRANSITIONS[Action.CHECKIN_MISSED].sources)
                if (await self.store.apply(case.id, plan)).ok:
                    late.append((cid, missing))
                    await self._changed(case, Action.CHECKIN_MISSED, now)
                    break
        return late

    async def _part_clock(self, case: Case, cmd: Command, now: int) -> CaseClock | None:
        """An assisting department's clock from ``now``: the limit asked for, else the
        case's own limit (else the item's), counted as the case's clock counts; no
        escalation levels of its own (the case's escalate)."""
        department = cmd.department or ""
        if department in (CENTRE, case.department):
            raise BadRequest(f"{department} cannot assist its own case",
                             code="invalid_field", field="department")
        if department not in await self.org.department_ids():
            raise BadRequest(f"no department {department}", code="unknown_department",
                             field="department")
        most = self.settings.case_max_parts
        if find(case.parts, department) is None and len(case.parts) >= most:
            raise Conflict(f"a case has at most {most} assisting departments",
                           code="too_many_parts", field="department")
        base = case.clock or await self._default_clock(case, now)
        if base is None:
            return None
        limit_s = cmd.limit_hours * S_PER_H if cmd.limit_hours else base.limit_s
        return CaseClock(now, limit_s, base.clock, base.yellow_share, base.yellow_lead_s,
                         (), ())

    async def act_part(self, actor: Principal, cid: str, department: str, cmd: Command,
                       now_ms: int | None = None) -> dict[str, Any]:
        """A step of the part of assisting ``department`` (accept, progress, resolve,
        rework): the same atomic step as the case's own actions, checked against the case's
        version, so one member wins an accept."""
        sources = TRANSITIONS[Action.PART].sources
        for _ in range(MAX_ATTEMPTS):
            now = self.now(now_ms)
            case = await self._case(cid)
            part = find(case.parts, department)
            if part is None:
                if not may_see_case(actor, case.parties):
                    raise Forbidden(f"case {cid} is not in your scope", code="scope_forbidden")
                raise NotFound(f"{department} has no part of case {cid}", code="unknown_part")
            check_part_action(cmd.part_action or "", actor, case.parties, department,
                              part.assignee if part.state is not PartState.OFFERED else None)
            if case.state not in sources:
                raise Conflict(f"cannot act on a part of a case that is {case.state.value}",
                               code="invalid_state")
            await self._check_media(actor, cmd.media, case.id)
            change = change_for(case, replace(cmd, department=department), actor, now,
                                Context(self.rules.calendar))
            plan = self.planner.transition(case, change, actor, now, sources)
            applied = await self.store.apply(case.id, plan)
            if applied.ok:
                return await self._changed(case, Action.PART, now)
            if applied.outcome == "missing":
                raise NotFound(f"no case {cid}", code="unknown_case")
        raise Conflict(f"case {cid} keeps changing; try again", code="busy")

    async def _original(self, case: Case, of: str) -> str:
        """The case a duplicate repeats: ``of``, or the one ``of`` itself repeats."""
        found = await self._restored(of) if of != case.id else None
        if found is not None and found.state is CaseState.DUPLICATE and found.duplicate_of:
            found = await self._restored(found.duplicate_of)
        if found is None or found.id == case.id:
            raise BadRequest(f"no other case {of}", code="unknown_case", field="of")
        if found.state is CaseState.CANCELLED:
            raise Conflict(f"case {found.id} was cancelled", code="invalid_original",
                           field="of")
        return found.id

    async def _restored(self, cid: str) -> Case | None:
        """A case another case's change writes to (its timeline notes it): back from the
        archive first when it is there."""
        found = await self.store.load(cid)
        if found is None and self.archive is not None and \
                await self.archive.restore(cid) == "restored":
            found = await self.store.load(cid)
        return found

    async def _lead(self, department: str | None) -> str | None:
        if not department or department == CENTRE:
            return None
        try:
            lead = (await self.org.department(department)).get("lead")
        except NotFound:
            return None
        return str(lead) if lead else None

    async def _reassign_context(self, actor: Principal, case: Case, cmd: Command,
                                now: int) -> Context:
        calendar = self.rules.calendar
        department, member = await self._reassign_target(cmd)
        check_reassign(actor, department)
        fresh = None if case.clock is not None else await self._default_clock(case, now)
        return Context(calendar, department, member, fresh)

    async def _reassign_target(self, cmd: Command) -> tuple[str, str | None]:
        if cmd.member is not None:
            try:
                user = await self.users.get(cmd.member)
            except NotFound:
                user = None
            if user is None or user.role not in DEPARTMENT_ROLES or not user.scope:
                raise BadRequest(f"{cmd.member} is not a department member",
                                 code="unknown_member", field="member")
            return user.scope, user.username
        department = cmd.department or ""
        if department != CENTRE and department not in await self.org.department_ids():
            raise BadRequest(f"no department {department}", code="unknown_department",
                             field="department")
        return department, None

    async def _default_clock(self, case: Case, now: int) -> CaseClock | None:
        """The item's catalogue limit under the rules' defaults, from ``now``."""
        item = self.rules.catalogue.get(case.item)
        if item is None:
            return None
        d = (await self.rules.ruleset()).defaults
        return CaseClock(now, item.limit_s, d.clock, d.yellow_share, d.yellow_lead_s,
                         tuple(e.after_s for e in d.escalation),
                         tuple(e.notify.value for e in d.escalation))

    # --- reading ------------------------------------------------------------
    async def _case(self, cid: str) -> Case:
        case = await self.store.load(cid)
        if case is None:
            raise NotFound(f"no case {cid}", code="unknown_case")
        return case

    async def _live_case(self, actor: Principal, cid: str, cmd: Command) -> Case:
        """The live case; an archived one is restored first, once the caller may start
        the action from its state (403 and 409 leave it archived)."""
        case = await self.store.load(cid)
        if case is not None or self.archive is None:
            return case if case is not None else await self._case(cid)
        record = await self.archive.load(cid)
        if record is None:
            return await self._case(cid)
        archived = record.case
        check_state(archived, cmd.action, actor,
                    allowed_sources(cmd.action, actor, archived.parties))
        await self.archive.restore(cid)
        return await self._case(cid)

    async def read(self, cid: str) -> tuple[Case, list[dict[str, Any]]] | None:
        """A case and its timeline, live or archived."""
        found = await self.store.with_timeline(cid)
        if found is None and self.archive is not None:
            record = await self.archive.load(cid)
            if record is not None:
                return record.case, record.timeline
        return found

    async def _detail(self, cid: str, now: int) -> dict[str, Any]:
        found = await self.read(cid)
        if found is None:
            raise NotFound(f"no case {cid}", code="unknown_case")
        case, timeline = found
        return case.detail(now, timeline)

    async def _changed(self, before: Case, action: Action, now: int) -> dict[str, Any]:
        """The case's detail after ``action``, once the observers were told."""
        found = await self.store.with_timeline(before.id)
        if found is None:
            raise NotFound(f"no case {before.id}", code="unknown_case")
        after, timeline = found
        for observer in self.observers:
            try:
                await observer.case_changed(before, after, action, now)
            except Exception:
                log.exception("a case observer failed on %s %s", action.value, before.id)
        return after.detail(now, timeline)

    async def get(self, actor: Principal, cid: str, now_ms: int | None = None) -> dict[str, Any]:
        found = await self.read(cid)
        if found is None:
            raise NotFound(f"no case {cid}", code="unknown_case")
        case, timeline = found
        if not may_see_case(actor, case.parties):
            raise Forbidden(f"case {cid} is not in your scope", code="scope_forbidden")
        return case.detail(self.now(now_ms), timeline)

    async def visible(self, actor: Principal, cid: str) -> bool:
        parties = await self.parties_of(cid)
        return parties is not None and may_see_case(actor, parties)

    async def parties_of(self, cid: str) -> Parties | None:
        """Who and where a case concerns (what scope rules look at), or None."""
        case = await self.store.load(cid)
        if case is None and self.archive is not None:
            record = await self.archive.load(cid)
            case = record.case if record is not None else None
        return case.parties if case is not None else None

    async def listing(self, actor: Principal, query: Query,
                   now_ms: int | None = None) -> dict[str, Any]:
        """A page of the cases in ``actor``'s scope passing the filters and the search, from
        the live store and every archive, newest first."""
        now = self.now(now_ms)
        options = alternatives(actor, query, self.keys)
        sources = await cheapest(self.store, options)
        words = bool(query.search.words)
        keep = predicate(actor, query, now, await self._department_names() if words else None)
        page = await scan(self.store, sources, keep, query.below, query.limit,
                          self.settings.case_scan_max, texts=words)
        found = ArchivePage([c.summary(now) for c in page.items], page.next_below)
        if self.archives:
            pages = [found] + [await a.page(actor, query, query.below, query.limit, now)
                               for a in self.archives]
            found = merge(pages, query.limit)
        cursor = encode_cursor(found.next_below) if found.next_below is not None else None
        return {"items": found.items, "next_cursor": cursor}

    async def _department_names(self) -> dict[str, tuple[str, ...]]:
        """Each department's names (Chinese and English), for the search's words."""
        raw = await self.store.redis.hgetall(self.keys.org_departments())
        names: dict[str, tuple[str, ...]] = {CENTRE: tuple(CENTRE_NAMES)}
        for dept, body in raw.items():
            d = orjson.loads(body)
            names[str(dept)] = tuple(str(n) for n in (d.get("name"), d.get("name_en")) if n)
        return names

    async def open_summaries(self, limit: int,
                             now_ms: int | None = None) -> list[dict[str, Any]]:
        """Summaries of the open cases, newest first (the screen snapshot's section)."""
        now = self.now(now_ms)
        return [c.summary(now) for c in await self.store.load_many(
            await self.store.open_ids(limit))]

    async def pending_offers(self, actor: Principal,
                             now_ms: int | None = None) -> list[dict[str, Any]]:
        """Summaries of the jobs offered to ``actor``: the team's and those offered back."""
        now = self.now(now_ms)
        keys = [self.keys.case_user_offers(actor.username)]
        team = team_of(actor)
        if team is not None:
            keys.insert(0, self.keys.case_offers(team))
        cases = await self.store.load_many(await self.store.offered(keys))
        found = [c.summary(now) for c in cases if c.state in OFFERED_STATES]
        if team is not None:
            parts = await self.store.load_many(
                await self.store.offered([self.keys.case_part_offers(team)]))
            found += [{**c.summary(now), OFFERED_PART: team} for c in parts
                      if (p := find(c.parts, team)) is not None
                      and p.state is PartState.OFFERED]
        return found

    # --- timers -------------------------------------------------------------
    async def fire_due(self, now_ms: int | None = None, limit: int | None = None) -> list[Fired]:
        """Fire every timer due at ``now_ms`` (at most ``limit``), each exactly once, as
        ``Planner.fire`` says, in one atomic script (see lua.py ``FIRE_DUE``), then tell
        the observers."""
        now = self.now(now_ms)
        fired, cases = await self.fire_untold(now, limit)
        await self.tell_fired(fired, cases, now)
        return fired

    async def fire_untold(self, now_ms: int, limit: int | None = None
                          ) -> tuple[list[Fired], list[Case]]:
        """The firing of :meth:`fire_due` alone: the fired timers and their cases after
        the step (the script replies them). The observers are told by :meth:`tell_fired`,
        steps in the order they fired (the clock fires the next step meanwhile)."""
        step = await self.store.fire_step(now_ms, limit or self.settings.timer_batch,
                                          self.settings.timer_late_ms,
                                          with_cases=bool(self.observers))
        return step.fired, [Case.from_hash(raw) for raw in step.cases.values()]

    async def tell_fired(self, fired: Sequence[Fired], cases: Sequence[Case], now: int) -> None:
        """The observers learn which cases' lights or levels the batch changed."""
        if not cases or not self.observers:
            return
        for observer in self.observers:
            try:
                await observer.timers_fired(fired, cases, now)
            except Exception:
                log.exception("a case observer failed on %d fired timers", len(fired))
