"""The catalogue of items (事项) that grid workers report, with their default routing."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

from .durations import SECONDS_PER_HOUR
from .errors import Problem, RulesError, UnknownItem
from .model import Tier
from .textpos import TextLines, key_pattern, toml_error_line
from .vocab import CENTRE, DEPARTMENT_IDS

CATALOGUE_FILE = "catalogue.toml"
_ITEM_CODE = re.compile(r"[A-Z]{2}\d{2}")
_CATEGORY_CODE = re.compile(r"[A-Z]{2}")
_TOP_KEYS = frozenset({"version", "categories", "items", "citizens"})
_CITIZEN_KEYS = frozenset({"items", "attributes"})
_ATTRIBUTE_KEYS = frozenset({"item", "code", "datatype", "required", "name_zh", "name_en"})
_ATTRIBUTE_CODE = re.compile(r"[a-z][a-z0-9_]{0,31}")
#: Datatypes of a service attribute (GeoReport v2).
ATTRIBUTE_TYPES = frozenset({"string", "number", "datetime", "text", "singlevaluelist",
                             "multivaluelist"})
LIST_TYPES = frozenset({"singlevaluelist", "multivaluelist"})
_CATEGORY_KEYS = frozenset({"code", "name_zh", "name_en"})
_ITEM_KEYS = frozenset({"code", "category", "name_zh", "name_en", "limit_hours", "tier"})
_ITEM_OPTIONAL_KEYS = frozenset({"department"})


@dataclass(frozen=True)
class Category:
    """A category of items, e.g. 安全生产 (production safety)."""

    code: str
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class Item:
    """An item with its default tier, department (``None`` for simple) and limit."""

    code: str
    name_zh: str
    name_en: str
    category: str
    limit_hours: int
    tier: Tier
    department: str | None

    @property
    def limit_s(self) -> int:
        return self.limit_hours * SECONDS_PER_HOUR


@dataclass(frozen=True)
class Choice:
    """A value of a list attribute."""

    key: str
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class Attribute:
    """An extra question a citizen's report of an item answers (a GeoReport v2 attribute)."""

    item: str
    code: str
    datatype: str
    required: bool
    name_zh: str
    name_en: str
    values: tuple[Choice, ...] = ()


@dataclass(frozen=True)
class Catalogue:
    """Categories and items, looked up by code; which items citizens may report."""

    version: str
    categories: tuple[Category, ...]
    items: tuple[Item, ...]
    citizen_items: tuple[str, ...] = ()
    attributes: tuple[Attribute, ...] = ()
    _by_code: Mapping[str, Item] = field(init=False, repr=False, compare=False)
    _by_category: Mapping[str, tuple[Item, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_code = {item.code: item for item in self.items}
        by_category = {
            c.code: tuple(i for i in self.items if i.category == c.code) for c in self.categories
        }
        object.__setattr__(self, "_by_code", MappingProxyType(by_code))
        object.__setattr__(self, "_by_category", MappingProxyType(by_category))

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(self._by_code)

    @property
    def category_codes(self) -> frozenset[str]:
        return frozenset(self._by_category)

    def get(self, code: str) -> Item | None:
        return self._by_code.get(code)

    def item(self, code: str) -> Item:
        """The item with this code; raises ``UnknownItem``."""
        found = self._by_code.get(code)
        if found is None:
            raise UnknownItem(code)
        return found

    def category(self, code: str) -> Category:
        """The category with this code; raises ``RulesError``."""
        for category in self.categories:
            if category.code == code:
                return category
        raise RulesError(f"unknown category {code!r}")

    def citizen(self) -> tuple[Item, ...]:
        """The items open to citizens, in catalogue order."""
        open_ = set(self.citizen_items)
        return tuple(i for i in self.items if i.code in open_)

    def attributes_of(self, code: str) -> tuple[Attribute, ...]:
        return tuple(a for a in self.attributes if a.item == code)

    def items_of(self, category: str) -> tuple[Item, ...]:
        """Items of a category, in catalogue order (empty for an unknown category)."""
        return self._by_category.get(category, ())


class _Checker:
    """Collects problems of one catalogue text."""

    def __init__(self, text: str, source: str) -> None:
        self.lines = TextLines(text)
        self.source = source
        self.problems: list[Problem] = []
        self.seen: dict[str, int] = {}

    def error(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.source, line, message))

    def line_of(self, code: object, key: str) -> int:
        """Line of the n-th table whose code is ``code`` (n counts repeats), else of ``key``."""
        if isinstance(code, str):
            pattern = re.compile(rf"code\s*=\s*[\"']{re.escape(code)}[\"']")
            found = self.lines.find(pattern, self.lines.whole, nth=self.seen.get(code, 0))
            if found is not None:
                return found
        return self.lines.find(key_pattern(key), self.lines.whole) or 1


def _text(table: Mapping[str, Any], key: str) -> str | None:
    value = table.get(key)
    return value if isinstance(value, str) and value.strip() else None


def _check_keys(
    check: _Checker,
    line: int,
    table: Any,
    required: frozenset[str],
    optional: frozenset[str] = frozenset(),
) -> bool:
    if not isinstance(table, dict):
        check.error(line, "expected a table")
        return False
    for key in sorted(set(table) - required - optional):
        check.error(line, f"unknown key {key!r}")
    missing = sorted(required - set(table))
    for key in missing:
        check.error(line, f"missing key {key!r}")
    return not missing


def _category(check: _Checker, table: Any) -> Category | None:
    line = check.line_of(table.get("code") if isinstance(table, dict) else None, "categories")
    if not _check_keys(check, line, table, _CATEGORY_KEYS):
        return None
    code, name_zh, name_en = (_text(table, k) for k in ("code", "name_zh", "name_en"))
    if code is None or not _CATEGORY_CODE.fullmatch(code):
        check.error(line, f"category code must be two capital letters, not {table.get('code')!r}")
    elif code in check.seen:
        check.error(line, f"duplicate category code {code!r}")
    if code is not None:
        check.seen[code] = check.seen.get(code, 0) + 1
    if name_zh is None or name_en is None:
        check.error(line, "category names must be non-empty strings")
    if code is None or name_zh is None or name_en is None:
        return None
    return Category(code, name_zh, name_en)


def _route_problems(table: Mapping[str, Any]) -> list[str]:
    tier, department = table.get("tier"), table.get("department")
    if tier not in tuple(Tier):
        return [f"tier must be one of simple, complex, hard, not {tier!r}"]
    if tier == Tier.SIMPLE and department is not None:
        return ["a simple item has no department"]
    if tier == Tier.HARD and department != CENTRE:
        return [f"a hard item goes to department {CENTRE!r}"]
    if tier == Tier.COMPLEX and department not in DEPARTMENT_IDS:
        return [f"unknown department {department!r}"]
    return []


def _item_problems(table: Mapping[str, Any], repeats: int, categories: frozenset[str]) -> list[str]:
    code, category, limit = table.get("code"), table.get("category"), table.get("limit_hours")
    problems = []
    if not isinstance(code, str) or not _ITEM_CODE.fullmatch(code):
        problems.append(f"item code must be like AQ01, not {code!r}")
    elif repeats > 1:
        problems.append(f"duplicate item code {code!r}")
    if category not in categories:
        problems.append(f"unknown category {category!r}")
    elif isinstance(code, str) and not code.startswith(category):
        problems.append(f"item code {code!r} must start with its category {category!r}")
    if isinstance(limit, bool) or not isinstance(limit, int) or limit <= 0:
        problems.append(f"limit_hours must be a positive integer, not {limit!r}")
    if _text(table, "name_zh") is None or _text(table, "name_en") is None:
        problems.append("item names must be non-empty strings")
    return problems + _route_problems(table)


def _item(check: _Checker, table: Any, categories: frozenset[str]) -> Item | None:
    code = table.get("code") if isinstance(table, dict) else None
    line = check.line_of(code, "items")
    check.seen[str(code)] = repeats = check.seen.get(str(code), 0) + 1
    if not _check_keys(check, line, table, _ITEM_KEYS, _ITEM_OPTIONAL_KEYS):
        return None
    problems = _item_problems(table, repeats, categories)
    for message in problems:
        check.error(line, message)
    if problems:
        return None
    return Item(
        code=table["code"],
        name_zh=table["name_zh"],
        name_en=table["name_en"],
        category=table["category"],
        limit_hours=table["limit_hours"],
        tier=Tier(table["tier"]),
        department=table.get("department"),
    )


def _tables(check: _Checker, data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    if not isinstance(value, list) or not value:
        check.error(check.line_of(None, key), f"{key!r} must be a non-empty list of tables")
        return []
    return value


def _choices(check: _Checker, line: int, raw: Any) -> tuple[Choice, ...] | None:
    if not isinstance(raw, list) or not raw:
        check.error(line, "a list attribute needs a non-empty list of values")
        return None
    out = []
    for value in raw:
        if not _check_keys(check, line, value, frozenset({"key", "name_zh", "name_en"})):
            return None
        texts = [_text(value, k) for k in ("key", "name_zh", "name_en")]
        if None in texts:
            check.error(line, "a value's key and names must be non-empty strings")
            return None
        out.append(Choice(*(str(t) for t in texts)))
    if len({c.key for c in out}) != len(out):
        check.error(line, "the keys of an attribute's values must differ")
        return None
    return tuple(out)


def _attribute(check: _Checker, table: Any, items: frozenset[str]) -> Attribute | None:
    line = check.line_of(None, "attributes")
    if not _check_keys(check, line, table, _ATTRIBUTE_KEYS, frozenset({"values"})):
        return None
    item, code, datatype = table.get("item"), table.get("code"), table.get("datatype")
    problems = []
    if item not in items:
        problems.append(f"attribute of {item!r}, which is not a citizens' item")
    if not isinstance(code, str) or not _ATTRIBUTE_CODE.fullmatch(code):
        problems.append(f"attribute code must be lower-case letters and digits, not {code!r}")
    if datatype not in ATTRIBUTE_TYPES:
        problems.append(f"datatype must be one of {', '.join(sorted(ATTRIBUTE_TYPES))}")
    if not isinstance(table.get("required"), bool):
        problems.append("required must be true or false")
    if _text(table, "name_zh") is None or _text(table, "name_en") is None:
        problems.append("attribute names must be non-empty strings")
    for message in problems:
        check.error(line, message)
    if problems:
        return None
    values: tuple[Choice, ...] = ()
    if datatype in LIST_TYPES:
        found = _choices(check, line, table.get("values"))
        if found is None:
            return None
        values = found
    elif "values" in table:
        check.error(line, f"a {datatype} attribute has no values")
        return None
    return Attribute(item, code, datatype, table["required"], table["name_zh"],
                     table["name_en"], values)


def _citizens(check: _Checker, data: Mapping[str, Any],
              codes: frozenset[str]) -> tuple[tuple[str, ...], tuple[Attribute, ...]]:
    table = data.get("citizens")
    if table is None:
        return (), ()
    line = check.line_of(None, "citizens")
    if not _check_keys(check, line, table, frozenset({"items"}), frozenset({"attributes"})):
        return (), ()
    items = table["items"]
    if not isinstance(items, list) or not all(isinstance(c, str) for c in items):
        check.error(line, "citizens.items must be a list of item codes")
        return (), ()
    for code in items:
        if code not in codes:
            check.error(line, f"citizens.items names unknown item {code!r}")
    if len(set(items)) != len(items):
        check.error(line, "citizens.items names an item twice")
    raw = table.get("attributes", [])
    if not isinstance(raw, list):
        check.error(line, "citizens.attributes must be a list of tables")
        return tuple(items), ()
    found = [_attribute(check, a, frozenset(items)) for a in raw]
    attributes = tuple(a for a in found if a is not None)
    if len({(a.item, a.code) for a in attributes}) != len(attributes):
        check.error(line, "an item has two attributes with the same code")
    return tuple(items), attributes


def parse_catalogue(text: str, *, source: str = CATALOGUE_FILE) -> Catalogue:
    """Parse and validate a catalogue; raises ``RulesError`` listing every problem."""
    check = _Checker(text, source)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        problem = Problem(source, toml_error_line(str(exc)), f"TOML syntax: {exc}")
        raise RulesError(f"invalid catalogue {source}", [problem]) from exc
    for key in sorted(set(data) - _TOP_KEYS):
        check.error(check.line_of(None, key), f"unknown key {key!r}")
    version = data.get("version")
    if not isinstance(version, str) or not version:
        check.error(check.line_of(None, "version"), "version must be a non-empty string")
    categories = [_category(check, t) for t in _tables(check, data, "categories")]
    known = frozenset(c.code for c in categories if c is not None)
    check.seen = {}
    items = [_item(check, t, known) for t in _tables(check, data, "items")]
    citizen_items, attributes = _citizens(
        check, data, frozenset(i.code for i in items if i is not None))
    if check.problems:
        raise RulesError(f"invalid catalogue {source}", check.problems)
    return Catalogue(
        str(version),
        tuple(c for c in categories if c is not None),
        tuple(i for i in items if i is not None),
        citizen_items,
        attributes,
    )


@cache
def load_catalogue() -> Catalogue:
    """The catalogue shipped with the package (parsed once)."""
    text = resources.files(__package__).joinpath(CATALOGUE_FILE).read_text(encoding="utf-8")
    return parse_catalogue(text, source=CATALOGUE_FILE)
