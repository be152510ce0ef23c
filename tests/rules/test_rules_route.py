"""Routing: priority, specificity, file order, severity, station, time of day, defaults."""

from __future__ import annotations

from datetime import time

import pytest

from dispatch.rules import (
    DEPARTMENT_IDS,
    Decision,
    LimitClock,
    RulesError,
    RuleSet,
    Tier,
    UnknownItem,
    load_catalogue,
    parse_duration,
    parse_rules,
    route,
)
from dispatch.rules.model import DEFAULT_YELLOW_SHARE

NOON = time(12)
HEADER = 'version = "t1"\n'


def _rules(body: str) -> RuleSet:
    return parse_rules(
        HEADER + body, source="t.toml", catalogue=load_catalogue(), departments=DEPARTMENT_IDS
    )


def _route(rules: RuleSet, item: str, **context: object) -> Decision | None:
    context.setdefault("local_time", NOON)
    return route(rules, load_catalogue(), item, **context)  # type: ignore[arg-type]


def _rule_id(rules: RuleSet, item: str, **context: object) -> str | None:
    decision = _route(rules, item, **context)
    return None if decision is None else decision.rule_id


PRIORITY = """
[[rule]]
id = "base"
priority = 10
match = { categories = ["SR"] }

[[rule]]
id = "urgent"
priority = 50
match = { items = ["SR01"] }
limit = "1h"
"""


def test_higher_priority_wins_regardless_of_file_order() -> None:
    rules = _rules(PRIORITY)
    assert _rule_id(rules, "SR01") == "urgent"
    assert _rule_id(rules, "SR02") == "base"


SPECIFIC = """
[[rule]]
id = "by-item"
priority = 10
match = { items = ["AQ08"] }

[[rule]]
id = "by-item-and-station"
priority = 10
match = { items = ["AQ08"], stations = ["S11"] }
department = "yjgl"
limit = "4h"
"""


def test_more_specific_wins_among_equal_priority() -> None:
    rules = _rules(SPECIFIC)
    assert _rule_id(rules, "AQ08", station="S11") == "by-item-and-station"
    assert _rule_id(rules, "AQ08", station="S01") == "by-item"
    assert _rule_id(rules, "AQ08", station=None) == "by-item"


FILE_ORDER = """
[[rule]]
id = "first"
priority = 10
match = { items = ["ZA01", "ZA02"] }

[[rule]]
id = "second"
priority = 10
match = { items = ["ZA02", "ZA03"] }
"""


def test_file_order_breaks_remaining_ties() -> None:
    rules = _rules(FILE_ORDER)
    assert _rule_id(rules, "ZA02") == "first"
    assert _rule_id(rules, "ZA03") == "second"


SEVERITY = """
[[rule]]
id = "base"
priority = 10

[[rule]]
id = "critical"
priority = 100
match = { severity = ["critical"] }
tier = "hard"
limit = "30m"
clock = "clock"
"""


def test_severity_critical_goes_to_the_centre() -> None:
    rules = _rules(SEVERITY)
    decision = _route(rules, "ZA01", severity="critical")
    assert decision is not None
    assert (decision.department, decision.tier, decision.limit_s) == ("centre", Tier.HARD, 1800)
    assert _rule_id(rules, "ZA01", severity="high") == "base"
    assert _rule_id(rules, "ZA01") == "base"


NIGHT = """
[[rule]]
id = "day"
priority = 10
match = { items = ["SR10"] }

[[rule]]
id = "night"
priority = 30
match = { items = ["SR10"], hours = "22:00-06:00" }
department = "zhzf"
"""


@pytest.mark.parametrize(
    ("hour", "minute", "expected"),
    [
        (21, 59, "day"),
        (22, 0, "night"),
        (23, 59, "night"),
        (0, 0, "night"),
        (5, 59, "night"),
        (6, 0, "day"),
        (12, 0, "day"),
    ],
)
def test_time_of_day_window_crosses_midnight(hour: int, minute: int, expected: str) -> None:
    rules = _rules(NIGHT)
    assert _rule_id(rules, "SR10", local_time=time(hour, minute, 59)) == expected


GRIDS = """
[[rule]]
id = "grid"
priority = 10
match = { grids = ["007", "008"] }
"""


def test_grids_and_no_match_gives_none() -> None:
    rules = _rules(GRIDS)
    assert _rule_id(rules, "MS01", grid="007") == "grid"
    assert _route(rules, "MS01", grid="009") is None
    assert _route(rules, "MS01") is None


DEFAULTS = """
[defaults]
clock = "working"
yellow_lead = "30m"
escalation = [{ after = "2h", notify = "lead", name_zh = "科室督办", name_en = "Lead" }]

[[rule]]
id = "all"
priority = 10

[[rule]]
id = "fast"
priority = 20
match = { items = ["ZA03"] }
limit = "4h"
yellow_share = 0.5
escalation = []
"""


def test_results_default_from_catalogue_and_file_defaults() -> None:
    rules = _rules(DEFAULTS)
    decision = _route(rules, "ZA01")
    item = load_catalogue().item("ZA01")
    assert decision is not None
    assert decision.department == item.department == "pcs"
    assert decision.tier is Tier.COMPLEX
    assert decision.limit_s == item.limit_s
    assert decision.clock is LimitClock.WORKING
    assert (decision.yellow_share, decision.yellow_lead_s) == (None, parse_duration("30m"))
    assert [e.after_s for e in decision.escalation] == [parse_duration("2h")]
    assert (decision.rule_id, decision.version) == ("all", "t1")
    fast = _route(rules, "ZA03")
    assert fast is not None
    assert (fast.limit_s, fast.yellow_share, fast.yellow_lead_s) == (14400, 0.5, None)
    assert fast.escalation == ()


def test_builtin_defaults_without_a_defaults_table() -> None:
    rules = _rules(GRIDS)
    decision = _route(rules, "SR04", grid="007")
    assert decision is not None
    assert (decision.tier, decision.department) == (Tier.SIMPLE, None)
    assert decision.clock is LimitClock.CLOCK
    assert decision.yellow_share == DEFAULT_YELLOW_SHARE
    assert decision.escalation == ()


TIERS = """
[[rule]]
id = "to-cgj"
priority = 10
match = { items = ["SR04"] }
department = "cgj"

[[rule]]
id = "to-centre"
priority = 10
match = { items = ["SR05"] }
department = "centre"

[[rule]]
id = "on-the-spot"
priority = 10
match = { items = ["SR06", "SR07"] }
tier = "simple"
"""


def test_department_and_tier_imply_each_other() -> None:
    rules = _rules(TIERS)
    cgj, centre = _route(rules, "SR04"), _route(rules, "SR05")
    spot = _route(rules, "SR07")
    assert cgj is not None and (cgj.department, cgj.tier) == ("cgj", Tier.COMPLEX)
    assert centre is not None and (centre.department, centre.tier) == ("centre", Tier.HARD)
    assert spot is not None and (spot.department, spot.tier) == (None, Tier.SIMPLE)


def test_unknown_item_and_severity_raise() -> None:
    rules = _rules(GRIDS)
    with pytest.raises(UnknownItem) as caught:
        _route(rules, "XX99")
    assert isinstance(caught.value, RulesError)
    with pytest.raises(RulesError, match="severity"):
        _route(rules, "SR01", severity="urgent")


def test_index_holds_each_items_candidates_best_first() -> None:
    rules = _rules(PRIORITY)
    assert [c.decision.rule_id for c in rules.index["SR01"]] == ["urgent", "base"]
    assert "AQ01" not in rules.index
