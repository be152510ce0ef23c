"""Reading a rules file into ``Rule`` objects, collecting every problem.

Rules file format (TOML)::

    version = "2024.06"            # required, reported in every decision

    [defaults]                     # optional file-level defaults
    clock = "working"              # "clock" (calendar time, the default) or "working"
    yellow_share = 0.75            # or yellow_lead = "1h"; built-in default share 0.75
    escalation = [                 # levels, "after" = time past the deadline
      { after = "2h", notify = "lead", name_zh = "科室督办", name_en = "Lead reminded" },
    ]

    [[rule]]
    id = "gas-leak"                # required, unique
    priority = 50                  # required integer, higher wins
    match = { items = ["AQ06"], hours = ["22:00-06:00"] }
    department = "rq"              # result fields; each may be omitted
    tier = "complex"
    limit = "1h"
    clock = "clock"
    yellow_lead = "20m"            # or yellow_share = 0.5 (not both)
    escalation = [{ after = "15m", notify = "dispatcher", name_zh = "…", name_en = "…" }]
    assist = ["zhzf", "cgj"]       # assisting departments (协办), each with its own part
    note = "free text"

Match keys (all optional, all must hold; an empty match matches everything):
``items`` and ``categories`` (catalogue codes), ``stations`` (S01..S11), ``grids``
(001..108), ``severity`` (low, normal, high, critical) and ``hours`` (local time-of-day
windows ``HH:MM-HH:MM``, start inclusive, end exclusive, crossing midnight when the end
is not after the start). Each takes a string or a list of strings.

Omitted results default from the item (department, tier, limit) and from ``[defaults]``
(clock, yellow, escalation). A department implies tier complex, ``centre`` implies hard;
tier simple has no department and tier hard always goes to ``centre``.
Durations: ``4h``, ``30m``, ``2d`` (24 hours), ``1h30m``; they are counted in the
decision's clock, escalation ``after`` too.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .context import Context
from .match import Match
from .model import DEFAULT_YELLOW_SHARE, Defaults, LimitClock, Outcome, Rule
from .readers import RESULT_READERS, RULE_READERS, read_table
from .textpos import toml_error_line

_TOP_KEYS = frozenset({"version", "defaults", "rule"})
_REQUIRED_RULE_KEYS = ("id", "priority")


@dataclass(frozen=True)
class ParsedRules:
    """The readable part of a rules file (rules with problems are left out)."""

    version: str
    defaults: Defaults
    rules: tuple[Rule, ...]


def _rule(index: int, table: Any, ctx: Context) -> Rule | None:
    span = ctx.text.rule_span(index)
    if not isinstance(table, dict):
        ctx.error(span.first, f"rule #{index + 1} must be a table")
        return None
    rule_id = table.get("id")
    label = f"rule {rule_id!r}" if isinstance(rule_id, str) else f"rule #{index + 1}"
    missing = [key for key in _REQUIRED_RULE_KEYS if key not in table]
    for key in missing:
        ctx.error(span.first, f"{label}: missing {key!r}")
    values = read_table(table, RULE_READERS, span, label, ctx)
    if values is None or missing:
        return None
    outcome = Outcome(
        department=values.get("department"),
        tier=values.get("tier"),
        limit_s=values.get("limit"),
        clock=values.get("clock"),
        yellow_share=values.get("yellow_share"),
        yellow_lead_s=values.get("yellow_lead"),
        escalation=values.get("escalation"),
        assist=values.get("assist"),
    )
    match = values.get("match", Match())
    return Rule(values["id"], values["priority"], match, outcome, index, span.first)


def _defaults(table: Any, ctx: Context) -> Defaults:
    span = ctx.text.defaults
    if table is None:
        return Defaults()
    if not isinstance(table, dict):
        ctx.error(span.first, "defaults must be a table")
        return Defaults()
    values = read_table(table, RESULT_READERS, span, "defaults", ctx) or {}
    lead = values.get("yellow_lead")
    return Defaults(
        clock=values.get("clock", LimitClock.CLOCK),
        yellow_share=None if lead is not None else values.get("yellow_share", DEFAULT_YELLOW_SHARE),
        yellow_lead_s=lead,
        escalation=values.get("escalation", ()),
    )


def _duplicate_ids(rules: list[Any], ctx: Context) -> None:
    first: dict[str, int] = {}
    for index, table in enumerate(rules):
        rule_id = table.get("id") if isinstance(table, dict) else None
        if not isinstance(rule_id, str):
            continue
        line = ctx.text.rule_span(index).first
        if rule_id in first:
            ctx.error(line, f"duplicate rule id {rule_id!r} (first at line {first[rule_id]})")
        else:
            first[rule_id] = line


def _version(data: Mapping[str, Any], ctx: Context) -> str:
    version = data.get("version")
    if not isinstance(version, str) or not version.strip():
        ctx.error(ctx.text.locate(ctx.text.top, "version"), "version must be a non-empty string")
        return ""
    return version


def _rule_tables(data: Mapping[str, Any], ctx: Context) -> list[Any]:
    tables = data.get("rule", [])
    if not isinstance(tables, list):
        ctx.error(ctx.text.locate(ctx.text.whole, "rule"), "rules must be [[rule]] tables")
        return []
    return tables


def parse_document(ctx: Context) -> ParsedRules | None:
    """Read the text of ``ctx``; ``None`` on a TOML syntax error. Problems go to ``ctx``."""
    try:
        data = tomllib.loads(ctx.text.raw)
    except tomllib.TOMLDecodeError as exc:
        ctx.error(toml_error_line(str(exc)), f"TOML syntax: {exc}")
        return None
    for key in data:
        if key not in _TOP_KEYS:
            ctx.error(ctx.text.locate(ctx.text.top, key), f"unknown key {key!r}")
    version = _version(data, ctx)
    defaults = _defaults(data.get("defaults"), ctx)
    tables = _rule_tables(data, ctx)
    _duplicate_ids(tables, ctx)
    rules = [_rule(index, table, ctx) for index, table in enumerate(tables)]
    return ParsedRules(version, defaults, tuple(r for r in rules if r is not None))
