"""Readers of rule tables and their nested values (match, escalation levels)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from itertools import pairwise
from typing import Any

from .context import Context
from .fields import (
    FieldError,
    Issue,
    checked,
    duration_value,
    enum_value,
    int_value,
    share_value,
    text_list,
    text_value,
)
from .hours import Window, parse_window
from .match import Match
from .model import Escalation, LimitClock, Notify, Tier
from .textpos import Span
from .vocab import CENTRE, GRIDS, SEVERITIES, STATIONS

Reader = Callable[[Any, Context], object]


def _match_problem(key: str, ctx: Context) -> Callable[[str], str | None]:
    def problem(value: str) -> str | None:
        if key == "items" and value not in ctx.catalogue:
            return f"unknown item {value!r}"
        if key == "categories" and value not in ctx.catalogue.category_codes:
            return f"unknown category {value!r}"
        if key == "stations" and value not in STATIONS:
            return f"bad station {value!r}: stations are {STATIONS[0]}..{STATIONS[-1]}"
        if key == "grids" and value not in GRIDS:
            return f"bad grid {value!r}: grids are {GRIDS[0]}..{GRIDS[-1]}"
        if key == "severity" and value not in SEVERITIES:
            return f"unknown severity {value!r}: use {', '.join(SEVERITIES)}"
        return None

    return problem


def _windows(values: tuple[str, ...]) -> tuple[Window, ...]:
    windows: list[Window] = []
    issues: list[Issue] = []
    for value in values:
        try:
            windows.append(parse_window(value))
        except ValueError as exc:
            issues.append(Issue(str(exc), key="hours", literal=value))
    if issues:
        raise FieldError(*issues)
    return tuple(windows)


def _match_value(key: str, value: object, ctx: Context) -> object:
    values = text_list(value)
    if key == "hours":
        return _windows(values)
    return frozenset(checked(values, _match_problem(key, ctx)))


def read_match(value: Any, ctx: Context) -> Match:
    if not isinstance(value, dict):
        raise FieldError(Issue(f"match must be a table, not {value!r}"))
    known = {name for name in Match.__dataclass_fields__}
    parsed: dict[str, Any] = {}
    issues: list[Issue] = []
    for key, item in value.items():
        if key not in known:
            issues.append(Issue(f"unknown match key {key!r}", key=key))
            continue
        try:
            parsed[key] = _match_value(key, item, ctx)
        except FieldError as exc:
            issues.extend(Issue(i.message, i.key or key, i.literal) for i in exc.issues)
    if issues:
        raise FieldError(*issues)
    return Match(**parsed)


_LEVEL_READERS: Mapping[str, Callable[[Any], object]] = {
    "after": lambda v: duration_value(v, allow_zero=True),
    "notify": lambda v: enum_value(v, Notify),
    "name_zh": text_value,
    "name_en": text_value,
}


def _level(value: Any, number: int) -> Escalation:
    where = f"escalation level {number}"
    if not isinstance(value, dict):
        raise FieldError(Issue(f"{where} must be a table"))
    issues = [Issue(f"{where}: unknown key {k!r}", key=k) for k in value if k not in _LEVEL_READERS]
    issues += [Issue(f"{where} lacks {k!r}") for k in _LEVEL_READERS if k not in value]
    values: dict[str, Any] = {}
    for key, read in _LEVEL_READERS.items():
        try:
            values[key] = read(value[key]) if key in value else None
        except FieldError as exc:
            issues.extend(
                Issue(f"{where}: {i.message}", i.key or key, i.literal) for i in exc.issues
            )
    if issues:
        raise FieldError(*issues)
    return Escalation(values["after"], values["notify"], values["name_zh"], values["name_en"])


def read_escalation(value: Any, ctx: Context) -> tuple[Escalation, ...]:
    if not isinstance(value, list):
        raise FieldError(Issue("escalation must be a list of levels"))
    levels: list[Escalation] = []
    issues: list[Issue] = []
    for number, entry in enumerate(value, start=1):
        try:
            levels.append(_level(entry, number))
        except FieldError as exc:
            issues.extend(exc.issues)
    afters = [level.after_s for level in levels]
    if not issues and any(b <= a for a, b in pairwise(afters)):
        issues.append(Issue("escalation levels must have increasing 'after'"))
    if issues:
        raise FieldError(*issues)
    return tuple(levels)


def read_department(value: Any, ctx: Context) -> str:
    department = text_value(value)
    if department != CENTRE and department not in ctx.departments:
        raise FieldError(Issue(f"unknown department {department!r}", literal=department))
    return department


def read_assist(value: Any, ctx: Context) -> tuple[str, ...]:
    """Assisting departments: known departments (not the centre), each once."""
    departments = text_list(value)
    issues = [Issue(f"unknown department {d!r}", literal=d) for d in departments
              if d == CENTRE or d not in ctx.departments]
    seen: set[str] = set()
    for d in departments:
        if d in seen:
            issues.append(Issue(f"department {d!r} named twice", literal=d))
        seen.add(d)
    if issues:
        raise FieldError(*issues)
    return departments


RESULT_READERS: Mapping[str, Reader] = {
    "clock": lambda v, _: enum_value(v, LimitClock),
    "yellow_share": lambda v, _: share_value(v),
    "yellow_lead": lambda v, _: duration_value(v),
    "escalation": read_escalation,
}
RULE_READERS: Mapping[str, Reader] = {
    "id": lambda v, _: text_value(v),
    "priority": lambda v, _: int_value(v),
    "note": lambda v, _: text_value(v),
    "match": read_match,
    "department": read_department,
    "tier": lambda v, _: enum_value(v, Tier),
    "limit": lambda v, _: duration_value(v),
    "assist": read_assist,
    **RESULT_READERS,
}


def read_table(
    table: Mapping[str, Any], readers: Mapping[str, Reader], span: Span, label: str, ctx: Context
) -> dict[str, Any] | None:
    """Read every key of a table; ``None`` if any problem was found (all are reported)."""
    before = len(ctx.problems)
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in readers:
            ctx.error(ctx.text.locate(span, key), f"{label}: unknown key {key!r}")
            continue
        try:
            values[key] = readers[key](value, ctx)
        except FieldError as exc:
            for issue in exc.issues:
                line = ctx.text.locate(span, issue.key or key, issue.literal)
                ctx.error(line, f"{label}: {key}: {issue.message}")
    if "yellow_share" in table and "yellow_lead" in table:
        line = ctx.text.locate(span, "yellow_lead")
        ctx.error(line, f"{label}: give yellow_share or yellow_lead, not both")
    return values if len(ctx.problems) == before else None
