"""Reports and scores."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import Meta, Struct

from dispatch.http.models.common import Day, Ms

Figures = dict[str, Any]


class Report(Struct, kw_only=True, forbid_unknown_fields=False):
    kind: str
    label: str
    start: Ms
    end: Ms
    totals: Figures
    stations: dict[str, Figures]
    departments: dict[str, Figures]


class Score(Struct, kw_only=True, forbid_unknown_fields=False):
    rank: int | None
    subject: str
    score: float | None
    warned: bool
    parts: dict[str, Any]


class Scores(Struct, kw_only=True, forbid_unknown_fields=False):
    label: str
    start: Ms
    end: Ms
    workers: list[Score]
    departments: list[Score]


Format = Literal["json", "csv", "xlsx"]
Period = Annotated[str, Meta(description="day, week or month (the current one), or a label: "
                                         "2026-12-01, 2026-W49, 2026-12")]
#: The success answer's other media types: the spreadsheets (with a file name).
DOWNLOADS = {"text/csv": {"schema": {"type": "string"}},
             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
                 {"schema": {"type": "string", "format": "binary"}}}


class ReportQuery(Struct, kw_only=True, forbid_unknown_fields=False):
    date: Day | None = None
    period: Period | None = None
    format: Format | None = None


class ScoresQuery(Struct, kw_only=True, forbid_unknown_fields=False):
    period: Period | None = None
    format: Format | None = None


class FigureQuery(Struct, kw_only=True, forbid_unknown_fields=False):
    date: Day | None = None
    period: Period | None = None
    station: str | None = None
    department: str | None = None


class Counted(Struct):
    id: str
    n: int


class FigureMembers(Struct, kw_only=True, forbid_unknown_fields=False):
    kind: str
    label: str
    at: Ms
    figure: str
    group: str
    name: str | None
    subject: str
    count: int
    items: list[Counted]
