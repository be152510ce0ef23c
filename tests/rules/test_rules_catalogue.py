"""The shipped catalogue and catalogue validation."""

from __future__ import annotations

from collections import Counter

import pytest

from dispatch.rules import (
    CENTRE,
    DEPARTMENT_IDS,
    RulesError,
    Tier,
    UnknownItem,
    load_catalogue,
    parse_catalogue,
)

CATEGORY_COUNT = 6
ITEM_COUNT = 120


def test_shipped_catalogue_has_six_categories_and_120_unique_items() -> None:
    cat = load_catalogue()
    assert len(cat.categories) == CATEGORY_COUNT
    assert len(cat.items) == ITEM_COUNT
    assert len({item.code for item in cat.items}) == ITEM_COUNT
    assert {c.code for c in cat.categories} == {"ZA", "AQ", "SR", "MD", "SS", "MS"}


def test_items_are_consistent_with_their_category_and_tier() -> None:
    cat = load_catalogue()
    for item in cat.items:
        assert item.code.startswith(item.category)
        assert item.limit_hours > 0
        assert item.name_zh and item.name_en
        if item.tier is Tier.SIMPLE:
            assert item.department is None
        elif item.tier is Tier.HARD:
            assert item.department == CENTRE
        else:
            assert item.department in DEPARTMENT_IDS


def test_every_category_has_items_and_every_department_gets_some() -> None:
    cat = load_catalogue()
    per_category = Counter(item.category for item in cat.items)
    assert set(per_category) == cat.category_codes
    assert all(count > 0 for count in per_category.values())
    used = {item.department for item in cat.items} - {None, CENTRE}
    assert used == DEPARTMENT_IDS


def test_lookup_by_code_and_by_category() -> None:
    cat = load_catalogue()
    gas = cat.item("AQ06")
    assert (gas.name_zh, gas.department, gas.limit_s) == ("燃气泄漏", "rq", 3600)
    assert "AQ06" in cat
    assert "XX99" not in cat
    assert cat.get("XX99") is None
    assert all(item.category == "AQ" for item in cat.items_of("AQ"))
    assert cat.items_of("AQ")[0].code == "AQ01"
    assert cat.items_of("nope") == ()
    assert cat.category("MD").name_zh == "矛盾纠纷"
    with pytest.raises(UnknownItem):
        cat.item("XX99")
    with pytest.raises(RulesError):
        cat.category("XX")


def test_load_catalogue_is_cached() -> None:
    assert load_catalogue() is load_catalogue()


def _row(code: str, category: str, limit: int, tier: str, department: str = "") -> str:
    route = f'tier = "{tier}"' + (f', department = "{department}"' if department else "")
    names = f'name_zh = "名{code}", name_en = "Name {code}"'
    head = f'code = "{code}", category = "{category}", {names}'
    return f"  {{ {head}, limit_hours = {limit}, {route} }},"


BAD_CATALOGUE = "\n".join(
    [
        'version = "t"',
        "categories = [",
        '  { code = "AQ", name_zh = "安全生产", name_en = "Production safety" },',
        "]",
        "items = [",
        _row("AQ01", "AQ", 4, "complex", "xf"),
        _row("AQ01", "AQ", 4, "complex", "xf"),
        _row("ZZ01", "ZZ", 4, "simple"),
        _row("AQ03", "AQ", 0, "simple"),
        _row("AQ04", "AQ", 2, "complex", "nope"),
        "]",
    ]
)


def test_catalogue_problems_are_all_reported_with_lines() -> None:
    with pytest.raises(RulesError) as caught:
        parse_catalogue(BAD_CATALOGUE, source="bad.toml")
    found = {(p.line, p.message.split(" ")[0]) for p in caught.value.problems}
    assert (7, "duplicate") in found
    assert (8, "unknown") in found
    assert (9, "limit_hours") in found
    assert (10, "unknown") in found
    assert all(p.file == "bad.toml" for p in caught.value.problems)
    assert "bad.toml:7: duplicate item code 'AQ01'" in str(caught.value)


def test_catalogue_syntax_error_has_its_line() -> None:
    with pytest.raises(RulesError) as caught:
        parse_catalogue('version = "t"\ncategories = [\nitems = oops\n', source="c.toml")
    assert caught.value.problems[0].line == 3
