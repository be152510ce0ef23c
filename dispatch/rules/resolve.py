"""Turning a rule into a decision for each item it applies to."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from .catalogue import Catalogue, Item
from .context import Context
from .match import Match
from .model import Decision, Defaults, Rule, Tier
from .parse import ParsedRules
from .vocab import CENTRE


@dataclass(frozen=True)
class Resolved:
    """A rule with the items it applies to and its decision for each."""

    rule: Rule
    items: frozenset[str]
    decisions: Mapping[str, Decision]


class ResolveError(Exception):
    """A rule cannot give a valid decision; ``per_item`` if it depends on the item."""

    def __init__(self, message: str, key: str, *, per_item: bool) -> None:
        super().__init__(message)
        self.message, self.key, self.per_item = message, key, per_item


def effective_items(match: Match, catalogue: Catalogue) -> frozenset[str]:
    """Codes of the items a match can apply to (items and categories must both hold)."""
    codes = match.items if match.items is not None else catalogue.codes
    if match.categories is None:
        return codes
    return frozenset(c for c in codes if catalogue.item(c).category in match.categories)


def _target(rule: Rule, item: Item, departments: frozenset[str]) -> tuple[str | None, Tier]:
    given, tier = rule.outcome.department, rule.outcome.tier
    if tier is None:
        tier = Tier.HARD if given == CENTRE else Tier.COMPLEX if given else item.tier
    if tier is Tier.SIMPLE:
        if given is not None:
            raise ResolveError("tier simple has no department", "department", per_item=False)
        return None, tier
    if tier is Tier.HARD:
        if given not in (None, CENTRE):
            raise ResolveError(f"tier hard goes to {CENTRE!r}", "department", per_item=False)
        return CENTRE, tier
    if given == CENTRE:
        raise ResolveError(f"{CENTRE!r} is only for tier hard", "department", per_item=False)
    department = given or item.department
    if department is None or department == CENTRE:
        raise ResolveError("tier complex needs a department", "tier", per_item=True)
    if department not in departments:
        raise ResolveError(f"unknown default department {department!r}", "tier", per_item=True)
    return department, tier


def resolve(
    rule: Rule, item: Item, defaults: Defaults, version: str, departments: frozenset[str]
) -> Decision:
    """The decision of ``rule`` for ``item``; raises ``ResolveError``."""
    department, tier = _target(rule, item, departments)
    out = rule.outcome
    limit = out.limit_s if out.limit_s is not None else item.limit_s
    own_yellow = out.yellow_share is not None or out.yellow_lead_s is not None
    share = out.yellow_share if own_yellow else defaults.yellow_share
    lead = out.yellow_lead_s if own_yellow else defaults.yellow_lead_s
    assist = out.assist or ()
    if assist and tier is Tier.SIMPLE:
        raise ResolveError("tier simple has no assisting departments", "assist",
                           per_item=out.tier is None)
    if department in assist:
        raise ResolveError(f"{department!r} leads and cannot assist too", "assist",
                           per_item=rule.outcome.department is None)
    if lead is not None and lead >= limit:
        raise ResolveError(
            "yellow_lead must be shorter than the limit",
            "yellow_lead",
            per_item=out.limit_s is None,
        )
    return Decision(
        department=department,
        tier=tier,
        limit_s=limit,
        clock=out.clock or defaults.clock,
        yellow_share=share,
        yellow_lead_s=lead,
        escalation=out.escalation if out.escalation is not None else defaults.escalation,
        rule_id=rule.id,
        version=version,
        assist=assist,
    )


def _report(rule: Rule, failures: Mapping[tuple[str, str, bool], list[str]], ctx: Context) -> None:
    span = ctx.text.rule_span(rule.order)
    for (message, key, per_item), codes in failures.items():
        where = f" (items {', '.join(codes)})" if per_item else ""
        ctx.error(ctx.text.locate(span, key), f"rule {rule.id!r}: {message}{where}")


def _resolve_rule(rule: Rule, parsed: ParsedRules, ctx: Context) -> Resolved | None:
    codes = effective_items(rule.match, ctx.catalogue)
    if not codes:
        ctx.error(rule.line, f"rule {rule.id!r}: matches no item (items outside its categories)")
        return None
    decisions: dict[str, Decision] = {}
    failures: dict[tuple[str, str, bool], list[str]] = {}
    for code in sorted(codes):
        try:
            decisions[code] = resolve(
                rule, ctx.catalogue.item(code), parsed.defaults, parsed.version, ctx.departments
            )
        except ResolveError as exc:
            failures.setdefault((exc.message, exc.key, exc.per_item), []).append(code)
    _report(rule, failures, ctx)
    return None if failures else Resolved(rule, codes, MappingProxyType(decisions))


def resolve_all(parsed: ParsedRules, ctx: Context) -> list[Resolved]:
    """Resolve every readable rule; rules that fail are reported and left out."""
    resolved = (_resolve_rule(rule, parsed, ctx) for rule in parsed.rules)
    return [r for r in resolved if r is not None]
