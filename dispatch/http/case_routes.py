"""Cases: report, list, read, every action of the lifecycle, photos of a case, the team socket."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from types import MappingProxyType

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute

from dispatch.access import DESK_ROLES, may_see_photo
from dispatch.authz import guard
from dispatch.cases.actions import INTERNAL_ACTIONS, Action
from dispatch.cases.commands import (
    MAX_TEXT,
    parse_command,
    parse_part_command,
    parse_report,
    parse_whistle,
)
from dispatch.cases.listing import parse_query
from dispatch.cases.parts import PartAction
from dispatch.cases.people import usernames
from dispatch.errors import Forbidden, NotFound
from dispatch.http.body import read_object
from dispatch.http.context import container
from dispatch.http.models.cases import (
    ACTION_BODIES,
    PART_BODIES,
    Case,
    CasePage,
    CasesQuery,
    CheckinBody,
    ReportBody,
)
from dispatch.http.models.media import IMAGE
from dispatch.http.responses import json
from dispatch.http.typed import op
from dispatch.identity.principal import Principal
from dispatch.identity.roles import Role
from dispatch.realtime.team import team_socket
from dispatch.validation import Fields

HTTP_CREATED = 201
OPEN311 = "open311"
MEDIA_CACHE = "private, max-age=86400"

GW, DM, DL = Role.GRID_WORKER, Role.DISPOSAL_MEMBER, Role.DEPT_LEAD
DISP, ASSESS, ADMIN = Role.DISPATCHER, Role.ASSESSOR, Role.ADMIN
SL = Role.STATION_LEAD
GA, INF = Role.GRID_ASSISTANT, Role.INFORMANT
#: Whoever may hold a case (simple tier: the grid worker, or a grid's helper who reported it).
HOLDERS = (GW, DM, DL, DISP, ADMIN, GA, INF)
#: Most departments one whistle summons (the street has 18).
MAX_SUMMONED = 18

#: Roles that reach each action's handler; the case's parties decide the rest (403).
ACTION_ROLES: Mapping[Action, tuple[Role, ...]] = MappingProxyType({
    Action.ACCEPT: (GW, DM, DL, DISP, ADMIN),
    Action.REJECT: (GW, DM, DL, DISP, ADMIN),
    Action.PROGRESS: HOLDERS,
    Action.RESOLVE: HOLDERS,
    Action.VERIFY: (GW, DISP, ADMIN),
    Action.REASSIGN: (DL, DISP, ADMIN),
    Action.EXTEND: (GW, DM, DL, DISP, ADMIN),
    Action.APPROVE_EXTENSION: (DISP, ADMIN),
    Action.SUSPEND: (DL, DISP, ADMIN),
    Action.RESUME: (DL, DISP, ADMIN),
    Action.RATE: (GW, ASSESS, DISP, ADMIN),
    Action.CANCEL: (GW, DISP, ADMIN),
    Action.DUPLICATE: (DISP, ADMIN),
    Action.ASSIGN: (DL, DISP, ADMIN),
    Action.SUPERVISE: (DISP, ADMIN),
    Action.RETURN: (DL, DISP, ADMIN),
    Action.REOPEN: (DISP, ADMIN),
    Action.ASSIST: (DL, DISP, ADMIN),
    Action.UNASSIST: (DL, DISP, ADMIN),
    Action.WHISTLE: (SL, DISP, ADMIN),
})
#: Roles that reach each step of an assisting department's part.
PART_ROLES: Mapping[PartAction, tuple[Role, ...]] = MappingProxyType({
    PartAction.ACCEPT: (DM, DL),
    PartAction.PROGRESS: (DM, DL),
    PartAction.RESOLVE: (DM, DL),
    PartAction.REWORK: (DM, DL, DISP, ADMIN),
})
PART_DOCS: Mapping[PartAction, str] = MappingProxyType({
    PartAction.ACCEPT: "Accept your department's part of a case (协办; one member wins).",
    PartAction.PROGRESS: "Report progress on the part you hold.",
    PartAction.RESOLVE: "Report your part's result with photos; its light stops.",
    PartAction.REWORK: "Send a reported part back to its holder (the lead's side, the desk).",
})
ACTION_DOCS: Mapping[Action, str] = MappingProxyType({
    Action.ACCEPT: "Accept a job offered to your department (one member wins).",
    Action.REJECT: "Return a job as not your department's (回退): it goes to triage.",
    Action.PROGRESS: "Report progress on a job you hold.",
    Action.RESOLVE: "Report the result with photos; the reporter is asked to verify.",
    Action.VERIFY: "Verify the result on site: ok closes it, not ok reopens it (返工).",
    Action.REASSIGN: "Send the case to another department or member (改派).",
    Action.EXTEND: "Ask for more time (延期).",
    Action.APPROVE_EXTENSION: "Approve (or refuse) the extension asked for.",
    Action.SUSPEND: "Suspend the case (挂账): its clock is paused.",
    Action.RESUME: "Resume a suspended case; its deadlines move by the pause.",
    Action.RATE: "Rate a closed case from 1 to 5 (党群评议).",
    Action.CANCEL: "Cancel the case.",
    Action.DUPLICATE: "Mark the case as a duplicate of another (判为重复): {of}.",
    Action.ASSIGN: "Assign the case to a named member (派单到人): {member}.",
    Action.SUPERVISE: "Supervise (督办): urge the handler and the lead, on record.",
    Action.RETURN: "Send the case back to triage (退回): {reason}.",
    Action.REOPEN: "Reopen a closed case to its last holder (重新办理): {reason}.",
    Action.ASSIST: "Add an assisting department (协办) with its own part: {department}.",
    Action.UNASSIST: "Remove an assisting department's part: {department, reason}.",
    Action.WHISTLE: "Blow the whistle (吹哨): summon {departments} on site within "
                    "{respond_min} minutes.",
})


async def optional_object(request: Request) -> Fields:
    """The JSON object of the body; an empty body is an empty object."""
    if not await request.body():
        return Fields({})
    return await read_object(request)


@guard(GW, DISP, ADMIN, GA, INF)
@op(body=ReportBody, responses={HTTP_CREATED: Case, 200: Case}, errors=(404, 409))
async def report_case(request: Request, principal: Principal) -> Response:
    """Report an event in the field; the same client_id again returns the first case."""
    body = await read_object(request)
    case, created = await container(request).cases.report(principal, parse_report(body))
    return json(case, status_code=HTTP_CREATED if created else 200)


@guard()
@op(query=CasesQuery, ok=CasePage)
async def list_cases(request: Request, principal: Principal) -> Response:
    """Cases in your scope, newest first: filter by state, department, grid, light, search
    words (q) and a time range (from, to), closed cases included."""
    c = container(request)
    query = parse_query(request.query_params, default_limit=c.settings.case_page_size,
                        max_limit=c.settings.page_size_max, tz=c.settings.tz)
    return json(await c.cases.listing(principal, query))


@guard()
@op(ok=Case)
async def get_case(request: Request, principal: Principal) -> Response:
    """One case with its whole timeline, the names of the people it mentions (``people``)
    and a citizen's contact details (for the desk only)."""
    c = container(request)
    case = await c.cases.get(principal, request.path_params["id"])
    if case.get("source") == OPEN311 and principal.role in DESK_ROLES:
        case["citizen"] = await c.open311.contact(case["id"])
    case["people"] = {u.username: u.name for u in await c.users.many(usernames(case))
                      if u.name}
    return json(case)


def action_endpoint(action: Action) -> Callable[[Request], Awaitable[Response]]:
    async def handler(request: Request, principal: Principal) -> Response:
        c = container(request)
        body = await optional_object(request)
        s = c.settings
        if action is Action.WHISTLE:
            cmd = parse_whistle(body, default_min=s.whistle_respond_min,
                                max_min=s.whistle_max_min, max_departments=MAX_SUMMONED)
        else:
            cmd = parse_command(action, body, max_extension_hours=s.max_extension_hours,
                                max_parts=s.case_max_parts, max_part_hours=s.part_max_hours)
        return json(await c.cases.act(principal, request.path_params["id"], cmd))

    handler.__name__ = f"case_{action.value}"
    handler.__qualname__ = handler.__name__
    handler.__doc__ = ACTION_DOCS[action]
    typed = op(body=ACTION_BODIES.get(action.value), body_optional=True, ok=Case,
               errors=(404, 409))(handler)
    return guard(*ACTION_ROLES[action])(typed)


def part_endpoint(action: PartAction) -> Callable[[Request], Awaitable[Response]]:
    async def handler(request: Request, principal: Principal) -> Response:
        c = container(request)
        cmd = parse_part_command(action.value, await optional_object(request))
        return json(await c.cases.act_part(principal, request.path_params["id"],
                                           request.path_params["department"], cmd))

    handler.__name__ = f"case_part_{action.value}"
    handler.__qualname__ = handler.__name__
    handler.__doc__ = PART_DOCS[action]
    typed = op(body=PART_BODIES[action.value], body_optional=True, ok=Case,
               errors=(404, 409))(handler)
    return guard(*PART_ROLES[action])(typed)


@guard(DM, DL)
@op(body=CheckinBody, body_optional=True, ok=Case, errors=(404, 409))
async def case_checkin(request: Request, principal: Principal) -> Response:
    """报到: a summoned member on site; judged from your latest fix (within
    DISPATCH_CHECKIN_RADIUS of the case), not from the tap."""
    c = container(request)
    body = await optional_object(request)
    note = body.text("note", "", max_len=MAX_TEXT)
    return json(await c.cases.checkin(principal, request.path_params["id"], note))


@guard()
@op(content=IMAGE)
async def get_media(request: Request, principal: Principal) -> Response:
    """A photo: to its uploaders, and to anyone who may see a case it is attached to."""
    c = container(request)
    media_id = request.path_params["id"]
    meta = await c.media.meta(media_id)
    archived = await c.archive.photo(media_id)  # kept with archived cases
    if meta is None:
        if archived is None:
            raise NotFound(f"no photo {media_id}", code="unknown_media")
        meta = archived.meta
    uploaded = (archived is not None and principal.username in archived.owners) or \
        await c.media.owned_by(media_id, principal.username)
    cases = [] if uploaded else [p for cid in meta.cases
                                 if (p := await c.cases.parties_of(cid)) is not None]
    if archived is not None:
        cases += archived.parties
    if not may_see_photo(principal, uploaded=uploaded, cases=cases):
        raise Forbidden("this photo is not in your scope", code="scope_forbidden")
    path = c.media.path(meta)
    if not path.exists():
        raise NotFound(f"the file of photo {media_id} is missing", code="unknown_media")
    return FileResponse(path, media_type=meta.type, headers={"Cache-Control": MEDIA_CACHE})


routes: list[BaseRoute] = [
    Route("/api/v1/cases", report_case, methods=["POST"]),
    Route("/api/v1/cases", list_cases, methods=["GET"]),
    Route("/api/v1/cases/{id}", get_case, methods=["GET"]),
    *(Route(f"/api/v1/cases/{{id}}/{action.value}", action_endpoint(action), methods=["POST"])
      for action in Action if action not in INTERNAL_ACTIONS),
    *(Route(f"/api/v1/cases/{{id}}/parts/{{department}}/{action.value}", part_endpoint(action),
            methods=["POST"]) for action in PartAction),
    Route("/api/v1/cases/{id}/checkin", case_checkin, methods=["POST"]),
    Route("/api/v1/media/{id}", get_media, methods=["GET"]),
    WebSocketRoute("/ws/team", team_socket),
]
