"""Reports (daily / weekly / monthly) and scores, as JSON or CSV; the screen's figures."""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from dispatch.authz import guard
from dispatch.bootstrap import Container
from dispatch.errors import NotFound
from dispatch.http.context import container
from dispatch.http.models.common import CSV
from dispatch.http.models.reports import Report, ReportQuery, Scores, ScoresQuery
from dispatch.http.responses import json
from dispatch.http.typed import op
from dispatch.identity.principal import Principal
from dispatch.identity.roles import Role
from dispatch.realtime.snapshot import ScreenFilter
from dispatch.reports.live import screen_figures
from dispatch.reports.periods import Kind, parse_day, parse_period

READERS = (Role.DISPATCHER, Role.ASSESSOR, Role.ADMIN, Role.DEPT_LEAD, Role.SCREEN)
CSV_TYPE = "text/csv; charset=utf-8"
FIGURE_COLUMNS = ("reported", "dispatched", "closed", "closed_in_time", "overdue", "due",
                  "due_suspended", "reworks", "closure_rate", "on_time_rate",
                  "patrols_complete", "patrols_incomplete", "patrols_missed")
BOM = "\ufeff"  # spreadsheets open UTF-8 CSV with Chinese names correctly with it


@contextlib.asynccontextmanager
async def lifespan(c: Container) -> AsyncIterator[None]:
    async def section(screen: ScreenFilter) -> dict[str, Any]:
        return await screen_figures(c)

    c.snapshot.register("figures", section)
    yield


def _csv(rows: list[list[Any]]) -> Response:
    out = io.StringIO()
    out.write(BOM)
    csv.writer(out).writerows(rows)
    return Response(out.getvalue(), media_type=CSV_TYPE)


def report_csv(report: dict[str, Any]) -> Response:
    rows: list[list[Any]] = [["group", "name", *FIGURE_COLUMNS]]
    rows.append(["total", report["label"], *(report["totals"].get(k) for k in FIGURE_COLUMNS)])
    for group in ("stations", "departments"):
        for name, figs in report[group].items():
            rows.append([group[:-1], name, *(figs.get(k) for k in FIGURE_COLUMNS)])
    return _csv(rows)


def scores_csv(scores: dict[str, Any]) -> Response:
    rows: list[list[Any]] = [["kind", "rank", "subject", "score", "warned", "parts"]]
    for kind in ("workers", "departments"):
        for s in scores[kind]:
            parts = ";".join(f"{k}={v:.3f}" for k, v in s["parts"].items())
            rows.append([kind[:-1], s["rank"], s["subject"], s["score"], s["warned"], parts])
    return _csv(rows)


def _kind(raw: str) -> Kind:
    try:
        return Kind(raw)
    except ValueError as exc:
        raise NotFound(f"no report {raw!r}; daily, weekly or monthly",
                       code="unknown_report") from exc


def _limit_to(report: dict[str, Any], principal: Principal) -> dict[str, Any]:
    """A department lead sees the street's totals and their own department's row."""
    if principal.role is not Role.DEPT_LEAD:
        return report
    own = {k: v for k, v in report["departments"].items() if k == principal.scope}
    return {**report, "departments": own}


@guard(*READERS)
@op(query=ReportQuery, ok=Report, content=CSV)
async def report(request: Request, principal: Principal) -> Response:
    """A daily, weekly or monthly report (`?date=YYYY-MM-DD`, `?format=csv`)."""
    c = container(request)
    kind = _kind(request.path_params["kind"])
    day = parse_day(request.query_params.get("date"), c.reports.today())
    found = _limit_to(await c.reports.get(kind, day), principal)
    if request.query_params.get("format") == "csv":
        return report_csv(found)
    return json(found)


@guard(Role.DISPATCHER, Role.ASSESSOR, Role.ADMIN, Role.DEPT_LEAD)
@op(query=ScoresQuery, ok=Scores, content=CSV)
async def scores(request: Request, principal: Principal) -> Response:
    """Scores of grid workers and departments, ranked (`?period=2026-11|2026-W47|2026-11-21`)."""
    c = container(request)
    kind, day = parse_period(request.query_params.get("period"), c.reports.today())
    found = await c.reports.scores(kind, day)
    if request.query_params.get("format") == "csv":
        return scores_csv(found)
    return json(found)


routes: list[BaseRoute] = [
    Route("/api/v1/reports/{kind}", report, methods=["GET"]),
    Route("/api/v1/scores", scores, methods=["GET"]),
]
