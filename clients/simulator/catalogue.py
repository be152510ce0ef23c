"""The catalogue of items (``GET /api/v1/catalogue``) and a realistic mix of reports."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

#: How often each category is reported (city appearance dominates on a real street).
CATEGORY_WEIGHTS: dict[str, float] = {
    "SR": 0.40, "SS": 0.16, "MS": 0.13, "ZA": 0.12, "AQ": 0.10, "MD": 0.09,
}
OTHER_CATEGORY_WEIGHT = 0.05
CENTRE = "centre"
SIMPLE = "simple"
#: Item codes no catalogue has: a report of one must be refused.
UNKNOWN_ITEM = "XX99"


@dataclass(frozen=True)
class Item:
    code: str
    name: str
    category: str
    tier: str
    department: str | None


@dataclass
class Catalogue:
    items: list[Item] = field(default_factory=list)
    categories: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Catalogue:
        items = [Item(str(i["code"]), str(i.get("name", "")), str(i.get("category", "")),
                      str(i.get("tier", "")), i.get("department") or None)
                 for i in body.get("items", [])]
        categories = {str(c["code"]): str(c.get("name", "")) for c in body.get("categories", [])}
        return cls(items, categories)

    def by_code(self, code: str) -> Item | None:
        return next((i for i in self.items if i.code == code), None)

    def choose(self, rng: random.Random) -> Item:
        """An item: a category by its weight, then any item of it."""
        codes = sorted({i.category for i in self.items})
        weights = [CATEGORY_WEIGHTS.get(c, OTHER_CATEGORY_WEIGHT) for c in codes]
        category = rng.choices(codes, weights)[0]
        return rng.choice([i for i in self.items if i.category == category])

    def department_for(self, category: str, rng: random.Random) -> str | None:
        """Where a dispatcher sends a case of ``category``: the departments its items go to,
        the most usual most often."""
        found = Counter(i.department for i in self.items
                        if i.category == category and i.department and i.department != CENTRE)
        if not found:
            return None
        names = list(found)
        return rng.choices(names, [found[n] for n in names])[0]
