"""Routing rules: the item catalogue, rule files, routing, working calendar and lights."""

from .calendar import (
    WorkCalendar,
    add_working,
    deadline_ms,
    escalation_times,
    working_seconds_between,
    yellow_at_ms,
)
from .catalogue import Catalogue, Category, Item, load_catalogue, parse_catalogue
from .check import check_rules
from .durations import format_duration, parse_duration
from .engine import (
    DEFAULT_RULES_FILE,
    DEMO_RULES_FILE,
    load_packaged_rules,
    load_rules_file,
    packaged_rules_text,
    parse_rules,
    route,
)
from .errors import Level, Problem, RulesError, UnknownItem
from .light import Light, escalation_level_at, light_at
from .match import Match
from .model import Decision, Defaults, Escalation, LimitClock, Notify, Outcome, Rule, RuleSet, Tier
from .routing import Routing
from .vocab import (
    CENTRE,
    DEFAULT_SEVERITY,
    DEPARTMENT_IDS,
    DEPARTMENTS,
    GRIDS,
    SEVERITIES,
    STATIONS,
)

__all__ = [
    "CENTRE",
    "DEFAULT_RULES_FILE",
    "DEFAULT_SEVERITY",
    "DEMO_RULES_FILE",
    "DEPARTMENTS",
    "DEPARTMENT_IDS",
    "GRIDS",
    "SEVERITIES",
    "STATIONS",
    "Catalogue",
    "Category",
    "Decision",
    "Defaults",
    "Escalation",
    "Item",
    "Level",
    "Light",
    "LimitClock",
    "Match",
    "Notify",
    "Outcome",
    "Problem",
    "Routing",
    "Rule",
    "RuleSet",
    "RulesError",
    "Tier",
    "UnknownItem",
    "WorkCalendar",
    "add_working",
    "check_rules",
    "deadline_ms",
    "escalation_level_at",
    "escalation_times",
    "format_duration",
    "light_at",
    "load_catalogue",
    "load_packaged_rules",
    "load_rules_file",
    "packaged_rules_text",
    "parse_catalogue",
    "parse_duration",
    "parse_rules",
    "route",
    "working_seconds_between",
    "yellow_at_ms",
]
