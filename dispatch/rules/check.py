"""Checking a rules file: every problem, with its line."""

from __future__ import annotations

from collections.abc import Sequence, Set
from dataclasses import dataclass
from types import MappingProxyType

from .analysis import analyse
from .catalogue import Catalogue
from .context import Context
from .errors import Level, Problem
from .model import Candidate, RuleSet
from .parse import ParsedRules, parse_document
from .resolve import Resolved, resolve_all
from .textpos import RulesText


@dataclass(frozen=True)
class Compiled:
    """The outcome of reading a rules file: the rule set (if no errors) and all problems."""

    ruleset: RuleSet | None
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.level is Level.ERROR)


def build_index(resolved: Sequence[Resolved]) -> dict[str, tuple[Candidate, ...]]:
    """Candidates of each item, best-ranked first."""
    index: dict[str, list[Candidate]] = {}
    for entry in sorted(resolved, key=lambda r: r.rule.rank):
        for code in entry.items:
            index.setdefault(code, []).append(Candidate(entry.rule.match, entry.decisions[code]))
    return {code: tuple(candidates) for code, candidates in index.items()}


def _ruleset(parsed: ParsedRules, resolved: Sequence[Resolved], source: str) -> RuleSet:
    index = MappingProxyType(build_index(resolved))
    return RuleSet(parsed.version, source, parsed.rules, parsed.defaults, index)


def compile_rules(
    text: str, *, source: str, catalogue: Catalogue, departments: Set[str]
) -> Compiled:
    """Read, resolve and cross-check a rules file."""
    ctx = Context(source, RulesText(text), catalogue, frozenset(departments))
    parsed = parse_document(ctx)
    ruleset = None
    if parsed is not None:
        resolved = resolve_all(parsed, ctx)
        analyse(resolved, ctx)
        ruleset = _ruleset(parsed, resolved, source)
    problems = tuple(sorted(ctx.problems, key=lambda p: p.line))
    has_errors = any(p.level is Level.ERROR for p in problems)
    return Compiled(None if has_errors else ruleset, problems)


def check_rules(
    text: str, *, source: str, catalogue: Catalogue, departments: Set[str]
) -> list[Problem]:
    """Every problem of a rules file (errors and warnings), by line."""
    compiled = compile_rules(text, source=source, catalogue=catalogue, departments=departments)
    return list(compiled.problems)
