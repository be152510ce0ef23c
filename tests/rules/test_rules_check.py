"""check_rules finds every kind of problem, at the right line."""

from __future__ import annotations

import pytest

from dispatch.rules import (
    DEPARTMENT_IDS,
    Level,
    Problem,
    RulesError,
    check_rules,
    load_catalogue,
    parse_rules,
)

COVER_ALL = '\n[[rule]]\nid = "zz-cover-all"\npriority = 1\n'


def _check(text: str, *, cover: bool = True) -> list[Problem]:
    """Problems of a rules text; ``cover`` appends a catch-all rule to silence coverage."""
    body = text + (COVER_ALL if cover else "")
    return check_rules(
        body, source="r.toml", catalogue=load_catalogue(), departments=DEPARTMENT_IDS
    )


def _lines(problems: list[Problem], fragment: str) -> list[int]:
    return [p.line for p in problems if fragment in p.message]


def test_toml_syntax_error_has_its_line() -> None:
    problems = _check('version = "v"\n\n[[rule]]\nid = \n', cover=False)
    assert len(problems) == 1
    assert problems[0].line == 4
    assert "TOML syntax" in problems[0].message


UNKNOWN_KEYS = """\
version = "v"
owner = "me"

[[rule]]
id = "a"
priority = 10
colour = "red"
match = { item = ["AQ01"] }
"""


def test_unknown_keys_at_their_lines() -> None:
    problems = _check(UNKNOWN_KEYS)
    assert _lines(problems, "unknown key 'owner'") == [2]
    assert _lines(problems, "unknown key 'colour'") == [7]
    assert _lines(problems, "unknown match key 'item'") == [8]


UNKNOWN_NAMES = """\
version = "v"

[[rule]]
id = "a"
priority = 10
match = { categories = ["QQ"] }

[[rule]]
id = "b"
priority = 10
match = { items = [
  "AQ01",
  "XX99",
] }
department = "fire"

[[rule]]
id = "c"
priority = 10
match = { stations = ["S12", "1"], grids = ["109"], severity = ["urgent"] }
"""


def test_unknown_items_categories_departments_stations_grids_severities() -> None:
    problems = _check(UNKNOWN_NAMES)
    assert _lines(problems, "unknown category 'QQ'") == [6]
    assert _lines(problems, "unknown item 'XX99'") == [13]
    assert _lines(problems, "unknown department 'fire'") == [15]
    assert _lines(problems, "bad station 'S12'") == [20]
    assert _lines(problems, "bad station '1'") == [20]
    assert _lines(problems, "bad grid '109'") == [20]
    assert _lines(problems, "unknown severity 'urgent'") == [20]
    assert all(p.level is Level.ERROR for p in problems)


BAD_VALUES = """\
version = "v"

[[rule]]
id = "a"
priority = "high"
match = { items = ["AQ01"], hours = ["22:00-6:00"] }
limit = "4x"

[[rule]]
id = "b"
priority = 10
match = { items = ["AQ02"] }
limit = "0m"
yellow_share = 1.5
tier = "urgent"
"""


def test_bad_values_each_reported() -> None:
    problems = _check(BAD_VALUES)
    assert _lines(problems, "expected an integer") == [5]
    assert _lines(problems, "bad hours '22:00-6:00'") == [6]
    assert _lines(problems, "bad duration '4x'") == [7]
    assert _lines(problems, "must be longer than zero") == [13]
    assert _lines(problems, "yellow_share must be a number between 0 and 1") == [14]
    assert _lines(problems, "expected one of simple, complex, hard") == [15]


YELLOW = """\
version = "v"

[[rule]]
id = "both"
priority = 10
match = { items = ["AQ01"] }
yellow_share = 0.5
yellow_lead = "10m"

[[rule]]
id = "too-long"
priority = 10
match = { items = ["AQ02"] }
limit = "1h"
yellow_lead = "1h"

[[rule]]
id = "too-long-for-item"
priority = 10
match = { items = ["AQ06", "AQ07"] }
yellow_lead = "2h"
"""


def test_yellow_out_of_range() -> None:
    problems = _check(YELLOW)
    assert _lines(problems, "not both") == [8]
    assert _lines(problems, "rule 'too-long': yellow_lead must be shorter") == [15]
    [item_problem] = [p for p in problems if "too-long-for-item" in p.message]
    assert item_problem.line == 21
    assert "AQ06" in item_problem.message and "AQ07" not in item_problem.message


DUPLICATES = """\
version = "v"

[[rule]]
id = "same"
priority = 10
match = { items = ["AQ01"] }

[[rule]]
id = "same"
priority = 10
match = { items = ["AQ02"] }
"""


def test_duplicate_rule_ids() -> None:
    problems = _check(DUPLICATES)
    assert _lines(problems, "duplicate rule id 'same' (first at line 3)") == [8]


CONFLICT = """\
version = "v"

[[rule]]
id = "to-hw"
priority = 10
match = { items = ["SR01", "SR02"] }
department = "hw"

[[rule]]
id = "to-cgj"
priority = 10
match = { items = ["SR02", "SR03"] }
department = "cgj"

[[rule]]
id = "daytime"
priority = 10
match = { items = ["SR05"], hours = "08:00-20:00" }

[[rule]]
id = "nighttime"
priority = 10
match = { items = ["SR05"], hours = "20:00-08:00" }
department = "zhzf"
"""


def test_conflicting_rules_are_errors_but_disjoint_hours_are_not() -> None:
    problems = _check(CONFLICT)
    conflicts = [p for p in problems if "conflicts" in p.message]
    assert [p.line for p in conflicts] == [9]
    assert "'to-cgj' conflicts with rule 'to-hw' (line 3)" in conflicts[0].message
    assert "SR02" in conflicts[0].message and "SR03" not in conflicts[0].message


UNREACHABLE = """\
version = "v"

[[rule]]
id = "all-safety"
priority = 50
match = { categories = ["AQ"] }

[[rule]]
id = "gas"
priority = 10
match = { items = ["AQ06"], severity = ["high", "critical"] }
limit = "1h"

[[rule]]
id = "gas-again"
priority = 60
match = { items = ["AQ06"] }

[[rule]]
id = "gas-twice"
priority = 60
match = { items = ["AQ06"] }
"""


def test_unreachable_rules_shadowed_by_a_superset() -> None:
    problems = _check(UNREACHABLE)
    assert _lines(problems, "'gas' is unreachable: rule 'all-safety' (line 3)") == [8]
    assert _lines(problems, "'gas-twice' is unreachable: rule 'gas-again' (line 14)") == [19]
    assert _lines(problems, "'all-safety' is unreachable") == []
    assert _lines(problems, "'gas-again' is unreachable") == []


def test_uncovered_items_are_warnings() -> None:
    text = 'version = "v"\n\n[[rule]]\nid = "za"\npriority = 1\nmatch = { categories = "ZA" }\n'
    text += '\n[[rule]]\nid = "aq-night"\npriority = 1\n'
    text += 'match = { categories = "AQ", hours = "22:00-06:00" }\n'
    problems = _check(text, cover=False)
    assert all(p.level is Level.WARNING for p in problems)
    messages = {p.message.split(" ")[1]: p.message for p in problems}
    assert len(messages) == len(load_catalogue().items) - len(load_catalogue().items_of("ZA"))
    assert "not covered by any rule" in messages["SR01"]
    assert "only for some" in messages["AQ01"]
    assert "ZA01" not in messages


INCONSISTENT = """\
version = "v"

[[rule]]
id = "simple-with-department"
priority = 10
match = { items = ["SR04"] }
tier = "simple"
department = "cgj"

[[rule]]
id = "complex-without-department"
priority = 10
match = { items = ["SR06", "SR05"] }
tier = "complex"

[[rule]]
id = "nothing"
priority = 10
match = { items = ["AQ01"], categories = ["ZA"] }

[[rule]]
priority = 10

[[rule]]
id = "bad-escalation"
priority = 10
match = { items = ["AQ03"] }
escalation = [
  { after = "2h", notify = "lead", name_zh = "甲", name_en = "A" },
  { after = "1h", notify = "lead", name_zh = "乙", name_en = "B" },
]
"""


def test_tiers_empty_matches_missing_ids_and_escalation_order() -> None:
    problems = _check(INCONSISTENT)
    assert _lines(problems, "tier simple has no department") == [8]
    [complex_problem] = [p for p in problems if "complex-without-department" in p.message]
    assert complex_problem.line == 14
    assert "SR06" in complex_problem.message and "SR05" not in complex_problem.message
    assert _lines(problems, "matches no item") == [16]
    assert _lines(problems, "rule #4: missing 'id'") == [21]
    assert _lines(problems, "increasing 'after'") == [28]


SUBTABLES = """\
version = "v"

[[rule]]
id = "a"
priority = 10

[rule.match]
items = ["AQ01", "AQ99"]
"""


def test_lines_inside_rule_subtables() -> None:
    assert _lines(_check(SUBTABLES), "unknown item 'AQ99'") == [8]


def test_problem_string_and_parse_rules_raises_with_errors_only() -> None:
    text = 'version = "v"\n\n[[rule]]\nid = "a"\npriority = 1\nmatch = { items = ["XX99"] }\n'
    problems = _check(text, cover=False)
    errors = [p for p in problems if p.level is Level.ERROR]
    assert [str(p) for p in errors] == ["r.toml:6: rule 'a': match: unknown item 'XX99'"]
    with pytest.raises(RulesError) as caught:
        parse_rules(text, source="r.toml", catalogue=load_catalogue(), departments=DEPARTMENT_IDS)
    assert [p.level for p in caught.value.problems] == [Level.ERROR]
    assert "r.toml:6: rule 'a': match: unknown item 'XX99'" in str(caught.value)


def test_warnings_alone_do_not_stop_loading() -> None:
    text = 'version = "v"\n\n[[rule]]\nid = "za"\npriority = 1\nmatch = { categories = "ZA" }\n'
    rules = parse_rules(
        text, source="r.toml", catalogue=load_catalogue(), departments=DEPARTMENT_IDS
    )
    assert [r.id for r in rules.rules] == ["za"]


def test_departments_argument_restricts_departments() -> None:
    text = 'version = "v"\n\n[[rule]]\nid = "a"\npriority = 1\nmatch = { items = "ZA01" }\n'
    problems = check_rules(text, source="r.toml", catalogue=load_catalogue(), departments={"cgj"})
    assert _lines(problems, "unknown default department 'pcs'") == [3]


def test_missing_version_and_rule_as_plain_table() -> None:
    problems = _check('[rule]\nid = "a"\n', cover=False)
    assert _lines(problems, "version must be a non-empty string") == [1]
    assert _lines(problems, "rules must be [[rule]] tables") == [1]


LEVELS = """\
version = "v"

[[rule]]
id = "a"
priority = 10
match.items = ["AQ01"]

[[rule.escalation]]
after = "soon"
notify = "boss"
name_zh = "督办"
colour = "red"
"""


def test_every_problem_of_an_escalation_level_and_dotted_keys() -> None:
    problems = _check(LEVELS.replace("\n", "\r\n"))
    assert _lines(problems, "bad duration 'soon'") == [9]
    assert _lines(problems, "not 'boss'") == [10]
    assert _lines(problems, "escalation level 1: unknown key 'colour'") == [12]
    assert _lines(problems, "escalation level 1 lacks 'name_en'") == [8]


ASSIST = """\
version = "v"

[[rule]]
id = "joint"
priority = 20
match = { items = ["SR07"] }
department = "zj"
assist = ["zhzf", "cgj"]

[[rule]]
id = "bad-names"
priority = 20
match = { items = ["SR01"] }
assist = ["nope", "centre", "cgj", "cgj"]

[[rule]]
id = "simple"
priority = 20
match = { items = ["SR04"] }
tier = "simple"
assist = ["cgj"]

[[rule]]
id = "lead-assists"
priority = 20
match = { items = ["SS01"] }
department = "cgj"
assist = ["cgj"]
"""


def test_assisting_departments_are_checked() -> None:
    problems = _check(ASSIST)
    assert _lines(problems, "unknown department 'nope'") == [14]
    assert _lines(problems, "unknown department 'centre'") == [14]
    assert _lines(problems, "department 'cgj' named twice") == [14]
    assert _lines(problems, "tier simple has no assisting departments") == [21]
    assert _lines(problems, "'cgj' leads and cannot assist too") == [28]
    assert not [p for p in problems if "'joint'" in p.message]


def test_a_rule_names_its_assisting_departments() -> None:
    text = ASSIST.split("[[rule]]\nid = \"bad-names\"")[0] + COVER_ALL
    rules = parse_rules(text, source="r.toml", catalogue=load_catalogue(),
                        departments=DEPARTMENT_IDS)
    decision = rules.index["SR07"][0].decision
    assert (decision.department, decision.assist) == ("zj", ("zhzf", "cgj"))
    assert rules.index["SR01"][0].decision.assist == ()
