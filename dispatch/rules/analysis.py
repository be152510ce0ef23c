"""Cross-rule checks: conflicting rules, unreachable rules and items no rule covers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from .context import Context
from .hours import MINUTES_PER_DAY, window_minutes
from .model import Decision
from .resolve import Resolved
from .vocab import GRIDS, SEVERITIES, STATIONS

#: The values each non-item match key ranges over: stations, grids, severity, hours.
#: A report may lack a station or grid (``None``), which no listed set can match.
_UNIVERSES: tuple[frozenset[object], ...] = (
    frozenset({*STATIONS, None}),
    frozenset({*GRIDS, None}),
    frozenset(SEVERITIES),
    frozenset(range(MINUTES_PER_DAY)),
)
_SHOWN_ITEMS = 5
#: Line for problems that belong to no rule.
_FILE_LINE = 1


@dataclass(frozen=True)
class Space:
    """The reports a rule matches: items, then one set per other key (``None`` = all)."""

    items: frozenset[str]
    dims: tuple[frozenset[object] | None, ...]

    @property
    def unconditional(self) -> bool:
        return all(d is None for d in self.dims)


def space_of(resolved: Resolved) -> Space:
    match = resolved.rule.match
    hours = window_minutes(match.hours) if match.hours is not None else None
    raw = (match.stations, match.grids, match.severity, hours)
    dims = tuple(None if d is None or d == u else d for d, u in zip(raw, _UNIVERSES, strict=True))
    return Space(resolved.items, dims)


def common_items(a: Space, b: Space) -> frozenset[str]:
    """Items on which both spaces can match the same report (empty if they cannot)."""
    pairs = zip(a.dims, b.dims, strict=True)
    if any(x is not None and y is not None and x.isdisjoint(y) for x, y in pairs):
        return frozenset()
    return a.items & b.items


def covers(a: Space, b: Space) -> bool:
    """Whether every report in ``b`` is also in ``a``."""
    return a.items >= b.items and all(
        x is None or (y is not None and x >= y) for x, y in zip(a.dims, b.dims, strict=True)
    )


def same_result(a: Decision, b: Decision) -> bool:
    return replace(a, rule_id="") == replace(b, rule_id="")


def _agree(a: Resolved, b: Resolved, code: str) -> bool:
    return same_result(a.decisions[code], b.decisions[code])


def _shown(codes: Iterable[str]) -> str:
    ordered = sorted(codes)
    more = ", …" if len(ordered) > _SHOWN_ITEMS else ""
    return ", ".join(ordered[:_SHOWN_ITEMS]) + more


def report_conflicts(rules: Sequence[Resolved], spaces: Sequence[Space], ctx: Context) -> None:
    """Same priority and specificity, overlapping matches, different results."""
    for j, later in enumerate(rules):
        for i, earlier in enumerate(rules[:j]):
            a, b = earlier.rule, later.rule
            if (a.priority, a.specificity) != (b.priority, b.specificity):
                continue
            common = common_items(spaces[i], spaces[j])
            differ = [c for c in common if not _agree(earlier, later, c)]
            if differ:
                ctx.error(
                    b.line,
                    f"rule {b.id!r} conflicts with rule {a.id!r} (line {a.line}): "
                    f"same priority {b.priority} and specificity {b.specificity}, "
                    f"overlapping matches on {_shown(differ)} with different results",
                )


def _shadows(earlier: Resolved, later: Resolved, a: Space, b: Space) -> bool:
    ranks_higher = (earlier.rule.priority, earlier.rule.specificity) > (
        later.rule.priority,
        later.rule.specificity,
    )
    if earlier.rule.rank >= later.rule.rank or not covers(a, b):
        return False
    return ranks_higher or all(_agree(earlier, later, c) for c in b.items)


def report_unreachable(rules: Sequence[Resolved], spaces: Sequence[Space], ctx: Context) -> None:
    """Rules whose every report is taken by a better-ranked rule."""
    for j, later in enumerate(rules):
        for i, earlier in enumerate(rules):
            if i != j and _shadows(earlier, later, spaces[i], spaces[j]):
                a, b = earlier.rule, later.rule
                ctx.error(
                    b.line,
                    f"rule {b.id!r} is unreachable: rule {a.id!r} (line {a.line}) "
                    "ranks before it and matches every report it matches",
                )
                break


def report_uncovered(spaces: Sequence[Space], ctx: Context) -> None:
    """Warn about items for which some report would match no rule."""
    always = frozenset().union(*(s.items for s in spaces if s.unconditional))
    sometimes = frozenset().union(*(s.items for s in spaces))
    for item in ctx.catalogue.items:
        if item.code in always:
            continue
        if item.code in sometimes:
            how = "is covered only for some stations, grids, severities or hours"
        else:
            how = "is not covered by any rule"
        ctx.warn(_FILE_LINE, f"item {item.code} ({item.name_zh}) {how}: such reports go to triage")


def analyse(rules: Sequence[Resolved], ctx: Context) -> None:
    """Run every cross-rule check; problems go to ``ctx``."""
    spaces = [space_of(r) for r in rules]
    report_conflicts(rules, spaces, ctx)
    report_unreachable(rules, spaces, ctx)
    report_uncovered(spaces, ctx)
