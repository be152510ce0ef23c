"""The shipped rule files check clean and route as the street expects."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from dispatch.rules import (
    CENTRE,
    DEFAULT_RULES_FILE,
    DEMO_RULES_FILE,
    DEPARTMENT_IDS,
    Level,
    LimitClock,
    RuleSet,
    Tier,
    check_rules,
    load_catalogue,
    load_packaged_rules,
    packaged_rules_text,
    parse_duration,
    route,
)
from dispatch.rules.engine import load_rules_file

NOON = time(12)
DEMO_MIN_LIMIT = parse_duration("3m")
DEMO_MAX_LIMIT = parse_duration("8m")
DEMO_MIN_AFTER = parse_duration("1m")
DEMO_MAX_AFTER = parse_duration("3m")
SEVERITY_RANKS = ("low", "normal", "high", "critical")


def _load(name: str) -> RuleSet:
    return load_packaged_rules(name, catalogue=load_catalogue(), departments=DEPARTMENT_IDS)


@pytest.mark.parametrize("name", [DEFAULT_RULES_FILE, DEMO_RULES_FILE])
def test_shipped_rule_files_check_clean(name: str) -> None:
    problems = check_rules(
        packaged_rules_text(name),
        source=name,
        catalogue=load_catalogue(),
        departments=DEPARTMENT_IDS,
    )
    assert [p for p in problems if p.level is Level.ERROR] == []
    assert problems == []


@pytest.mark.parametrize("name", [DEFAULT_RULES_FILE, DEMO_RULES_FILE])
def test_shipped_rules_route_every_report(name: str) -> None:
    rules, cat = _load(name), load_catalogue()
    for item in cat.items:
        for severity in SEVERITY_RANKS:
            for hour in (3, 12, 23):
                decision = route(
                    rules,
                    cat,
                    item.code,
                    station="S11",
                    grid="101",
                    severity=severity,
                    local_time=time(hour),
                )
                assert decision is not None, (item.code, severity, hour)
                assert decision.version == rules.version


def test_default_rules_use_every_kind_of_rule() -> None:
    rules, cat = _load(DEFAULT_RULES_FILE), load_catalogue()
    critical = route(rules, cat, "SR04", severity="critical", local_time=NOON)
    assert critical is not None
    assert (critical.tier, critical.department, critical.clock) == (
        Tier.HARD,
        CENTRE,
        LimitClock.CLOCK,
    )
    assert critical.limit_s == parse_duration("30m")
    night = route(rules, cat, "SR10", local_time=time(23, 30))
    assert night is not None and night.department == "zhzf"
    park = route(rules, cat, "AQ08", station="S11", grid="100", local_time=NOON)
    town = route(rules, cat, "AQ08", station="S01", grid="001", local_time=NOON)
    assert park is not None and town is not None
    assert (park.rule_id, park.clock) == ("s11-industrial-park-safety", LimitClock.CLOCK)
    assert (town.rule_id, town.clock) == ("aq-production-safety", LimitClock.WORKING)


def test_default_rules_send_catch_all_items_to_centre() -> None:
    rules, cat = _load(DEFAULT_RULES_FILE), load_catalogue()
    other = route(rules, cat, "MS20", local_time=NOON)
    assert other is not None and (other.department, other.tier) == (CENTRE, Tier.HARD)


def test_demo_rules_are_minutes_on_the_calendar_clock() -> None:
    rules, cat = _load(DEMO_RULES_FILE), load_catalogue()
    for item in cat.items:
        for severity in SEVERITY_RANKS:
            decision = route(
                rules, cat, item.code, station="S03", severity=severity, local_time=time(23)
            )
            assert decision is not None
            assert decision.clock is LimitClock.CLOCK
            assert DEMO_MIN_LIMIT <= decision.limit_s <= DEMO_MAX_LIMIT
            afters = [level.after_s for level in decision.escalation]
            assert afters and all(DEMO_MIN_AFTER <= a <= DEMO_MAX_AFTER for a in afters)


def test_load_rules_file_reads_a_path(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(packaged_rules_text(DEMO_RULES_FILE), encoding="utf-8")
    rules = load_rules_file(path, catalogue=load_catalogue(), departments=DEPARTMENT_IDS)
    assert rules.source == str(path)
    assert rules.version == "jlc-demo-1"
