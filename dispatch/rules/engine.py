"""Loading rule sets and routing a report to a decision."""

from __future__ import annotations

from collections.abc import Set
from datetime import time
from importlib import resources
from pathlib import Path

from .catalogue import Catalogue
from .check import compile_rules
from .errors import RulesError, UnknownItem
from .hours import MINUTES_PER_HOUR
from .model import Decision, RuleSet
from .vocab import DEFAULT_SEVERITY, SEVERITIES

DEFAULT_RULES_FILE = "default_rules.toml"
DEMO_RULES_FILE = "demo_rules.toml"


def parse_rules(text: str, *, source: str, catalogue: Catalogue, departments: Set[str]) -> RuleSet:
    """A rule set from TOML text; raises ``RulesError`` carrying every error-level problem."""
    compiled = compile_rules(text, source=source, catalogue=catalogue, departments=departments)
    if compiled.ruleset is None:
        raise RulesError(f"invalid rules file {source}", compiled.errors)
    return compiled.ruleset


def load_rules_file(path: str | Path, *, catalogue: Catalogue, departments: Set[str]) -> RuleSet:
    """A rule set from a file on disk."""
    text = Path(path).read_text(encoding="utf-8")
    return parse_rules(text, source=str(path), catalogue=catalogue, departments=departments)


def packaged_rules_text(name: str) -> str:
    """The text of a rules file shipped with the package (``default_rules.toml``, …)."""
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def load_packaged_rules(name: str, *, catalogue: Catalogue, departments: Set[str]) -> RuleSet:
    """A rule set shipped with the package."""
    text = packaged_rules_text(name)
    return parse_rules(text, source=name, catalogue=catalogue, departments=departments)


def route(
    ruleset: RuleSet,
    catalogue: Catalogue,
    item: str,
    *,
    station: str | None = None,
    grid: str | None = None,
    severity: str = DEFAULT_SEVERITY,
    local_time: time,
) -> Decision | None:
    """The decision of the best-ranked matching rule, or ``None`` (the case goes to triage)."""
    if item not in catalogue:
        raise UnknownItem(item)
    if severity not in SEVERITIES:
        raise RulesError(f"unknown severity {severity!r}")
    minute = local_time.hour * MINUTES_PER_HOUR + local_time.minute
    for candidate in ruleset.index.get(item, ()):
        if candidate.match.accepts(station, grid, severity, minute):
            return candidate.decision
    return None
