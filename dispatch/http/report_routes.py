"""Reports (daily / weekly / monthly) and scores, as JSON, CSV or XLSX; the cases behind
each report figure; the screen's figures."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from dispatch.access import check_report_department, report_view
from dispatch.authz import guard
from dispatch.bootstrap import Container
from dispatch.errors import BadRequest, NotFound
from dispatch.http.context import container
from dispatch.http.models.reports import (
    DOWNLOADS,
    FigureMembers,
    FigureQuery,
    Report,
    ReportQuery,
    Scores,
    ScoresQuery,
)
from dispatch.http.responses import json
from dispatch.http.typed import op
from dispatch.identity.principal import Principal
from dispatch.identity.roles import Role
from dispatch.reports import export
from dispatch.reports.figures import CASE_NAMES, DEPARTMENT, DEPARTMENT_NAMES, PATROL_NAMES
from dispatch.reports.periods import Kind, parse_period, report_day
from dispatch.reports.service import UnknownFigure

READERS = (Role.DISPATCHER, Role.ASSESSOR, Role.ADMIN, Role.DEPT_LEAD, Role.SCREEN)
SCORE_READERS = (Role.DISPATCHER, Role.ASSESSOR, Role.ADMIN, Role.DEPT_LEAD)
FORMATS = ("json", "csv", "xlsx")
PAGE_PATH = "reports"


def _kind(raw: str) -> Kind:
    try:
        return Kind(raw)
    except ValueError as exc:
        raise NotFound(f"no report {raw!r}; daily, weekly or monthly",
                       code="unknown_report") from exc


def _format(request: Request) -> str:
    found = request.query_params.get("format") or "json"
    if found not in FORMATS:
        raise BadRequest("format is json, csv or xlsx", code="invalid_field", field="format")
    return found


def _download(body: bytes, media_type: str, name: str) -> Response:
    return Response(body, media_type=media_type,
                    headers={"Content-Disposition": export.disposition(name)})


async def _lists(c: Container, report: dict[str, Any]) -> dict[tuple[str, str, str], list[str]]:
    """(group, id, figure) -> the ids behind every count of ``report``."""
    kind = Kind(report["kind"])
    t = await c.reports.tally(kind, _first_day(c, report), report["at"] - 1)
    out: dict[tuple[str, str, str], list[str]] = {}
    groups = [("total", "")] + [("station", s) for s in report["stations"]] + [
        (DEPARTMENT, d) for d in report["departments"]]
    for group, ident in groups:
        key = ("total", "") if group == "total" else (group, ident)
        for figure in (*CASE_NAMES, *PATROL_NAMES):
            if group == DEPARTMENT and figure not in DEPARTMENT_NAMES:
                continue
            out[(group, ident, figure)] = [i for i, _ in t.ids(figure, key)]
    return out


def _first_day(c: Container, report: dict[str, Any]) -> Any:
    return c.reports.today(report["start"])


@guard(*READERS)
@op(query=ReportQuery, ok=Report, content=DOWNLOADS, errors=(404,))
async def report(request: Request, principal: Principal) -> Response:
    """A daily, weekly or monthly report (`?date=YYYY-MM-DD` or `?period=day|week|month|
    label`, `?format=csv|xlsx`)."""
    c = container(request)
    kind = _kind(request.path_params["kind"])
    q = request.query_params
    fmt = _format(request)
    day = report_day(kind, q.get("period"), q.get("date"), c.reports.today())
    found = report_view(principal, await c.reports.get(kind, day))
    name = export.file_name(c.settings.street, kind.value, found["label"], fmt)
    if fmt == "csv":
        return _download(export.report_csv(found), export.CSV_TYPE, name)
    if fmt == "xlsx":
        page = str(request.base_url) + PAGE_PATH
        street = (await c.org.meta()).get("name") or c.settings.street
        body = export.report_xlsx(found, await _lists(c, found), street=street,
                                  tz=c.settings.tz, page_url=page)
        return _download(body, export.XLSX_TYPE, name)
    return json(found)


@guard(*READERS)
@op(query=FigureQuery, ok=FigureMembers, errors=(404,))
async def figure_members(request: Request, principal: Principal) -> Response:
    """The cases (or patrols) a report figure counts: `?station=` or `?department=` for a
    group's figure, else the street's total."""
    c = container(request)
    kind = _kind(request.path_params["kind"])
    q = request.query_params
    day = report_day(kind, q.get("period"), q.get("date"), c.reports.today())
    station, department = q.get("station"), q.get("department")
    if station and department:
        raise BadRequest("one of station or department", code="invalid_field",
                         field="department")
    check_report_department(principal, department)
    group, name = ("station", station) if station else (
        (DEPARTMENT, department) if department else ("total", ""))
    try:
        found = await c.reports.members(kind, day, request.path_params["figure"], group,
                                        name or "")
    except UnknownFigure as exc:
        raise NotFound(f"no figure {exc}", code="unknown_figure") from exc
    return json(found)


@guard(*SCORE_READERS)
@op(query=ScoresQuery, ok=Scores, content=DOWNLOADS)
async def scores(request: Request, principal: Principal) -> Response:
    """Scores of grid workers and departments, ranked (`?period=day|week|month` or a label:
    2026-11, 2026-W47, 2026-11-21; `?format=csv|xlsx`)."""
    c = container(request)
    fmt = _format(request)
    kind, day = parse_period(request.query_params.get("period"), c.reports.today())
    found = await c.reports.scores(kind, day)
    name = export.file_name(c.settings.street, "scores", found["label"], fmt)
    if fmt == "csv":
        return _download(export.scores_csv(found), export.CSV_TYPE, name)
    if fmt == "xlsx":
        names = await c.reports.names()
        street = (await c.org.meta()).get("name") or c.settings.street
        return _download(export.scores_xlsx(found, names, street=street,
                                            tz=c.settings.tz), export.XLSX_TYPE, name)
    return json(found)


routes: list[BaseRoute] = [
    Route("/api/v1/reports/{kind}", report, methods=["GET"]),
    Route("/api/v1/reports/{kind}/figures/{figure}", figure_members, methods=["GET"]),
    Route("/api/v1/scores", scores, methods=["GET"]),
]
