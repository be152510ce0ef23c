"""Reports and scores."""

from __future__ import annotations

from typing import Any, Literal

from msgspec import Struct

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


class ReportQuery(Struct, kw_only=True, forbid_unknown_fields=False):
    date: Day | None = None
    format: Literal["json", "csv"] | None = None


class ScoresQuery(Struct, kw_only=True, forbid_unknown_fields=False):
    period: str | None = None
    format: Literal["json", "csv"] | None = None
