"""Case search: words (``q``) and a time range (``from``, ``to``) beside the listing's filters,
over live cases and whatever archives are plugged in.

Each word must match some part of a case: its id, grid, station, item (code or name),
category, department (id or name), state, light, reporter, holder, or the text of the
report. ``from`` and ``to`` bound when it was reported: milliseconds, a local date of the
street (the whole day) or an ISO date-time (the street's zone when it names none).

An archive (closed cases moved out of the live store, a district's history) implements
:class:`CaseArchive`; its pages are merged with the live ones by case number, newest first,
under one cursor.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from dispatch.cases.model import Case
from dispatch.errors import BadRequest
from dispatch.identity.principal import Principal

MS = 1000
MAX_Q = 200
MAX_WORDS = 8
MAX_TIME = 40
GRID_DIGITS = 3
DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Search:
    words: tuple[str, ...] = ()
    from_ms: int | None = None
    to_ms: int | None = None

    @property
    def active(self) -> bool:
        return bool(self.words) or self.from_ms is not None or self.to_ms is not None


def _instant(raw: str, name: str, tz: ZoneInfo, *, end: bool) -> int:
    """Milliseconds, a local date (its start, or its end for ``to``) or an ISO date-time."""
    text = raw.strip()
    if len(text) > MAX_TIME:
        raise BadRequest(f"{name} is too long", code="invalid_field", field=name)
    if text.isdigit():
        return int(text)
    try:
        if DATE_ONLY.match(text):
            day = date.fromisoformat(text)
            moment = datetime.combine(day + timedelta(days=1) if end else day, time(), tz)
            return int(moment.timestamp() * MS) - (1 if end else 0)
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise BadRequest(f"{name} is milliseconds, a date (YYYY-MM-DD) or an ISO date-time",
                         code="invalid_field", field=name) from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return int(parsed.timestamp() * MS)


def parse_search(params: Mapping[str, str], tz: str) -> Search:
    q = params.get("q") or ""
    if len(q) > MAX_Q:
        raise BadRequest(f"q is at most {MAX_Q} characters", code="invalid_field", field="q")
    words = tuple(dict.fromkeys(w.casefold() for w in q.split() if w))
    if len(words) > MAX_WORDS:
        raise BadRequest(f"q has at most {MAX_WORDS} words", code="invalid_field", field="q")
    zone = ZoneInfo(tz)
    raw_from, raw_to = params.get("from") or None, params.get("to") or None
    from_ms = _instant(raw_from, "from", zone, end=False) if raw_from else None
    to_ms = _instant(raw_to, "to", zone, end=True) if raw_to else None
    if from_ms is not None and to_ms is not None and from_ms > to_ms:
        raise BadRequest("from is after to", code="invalid_field", field="from")
    return Search(words, from_ms, to_ms)


def _exact(case: Case, light: str) -> set[str]:
    found = {case.id, str(case.number), case.grid, case.item, case.category, case.state.value,
             light, case.reporter, case.station or "", case.department or "",
             case.assignee or "", case.duplicate_of or ""}
    if case.grid.isdigit():
        found.add(str(int(case.grid)))
    return {v.casefold() for v in found if v}


def matches(case: Case, text: str, search: Search, now_ms: int,
            department_names: Mapping[str, Sequence[str]]) -> bool:
    """Whether ``case`` (with the text of its report) passes the search."""
    if search.from_ms is not None and case.created < search.from_ms:
        return False
    if search.to_ms is not None and case.created > search.to_ms:
        return False
    if not search.words:
        return True
    exact = _exact(case, case.light(now_ms))
    names = [case.item_name, text, *department_names.get(case.department or "", ())]
    haystack = "\n".join(n for n in names if n).casefold()
    return all(w in exact or w in haystack for w in search.words)


@dataclass(frozen=True)
class ArchivePage:
    """Summaries (as ``Case.summary``) newest first, all numbered at or above ``next_below``
    when that is set (the archive has more below it)."""

    items: list[dict[str, Any]]
    next_below: int | None


class CaseArchive(Protocol):
    """Cases kept outside the live store, searched beside it with the same filters."""

    async def page(self, actor: Principal, query: Any, below: int | None, limit: int,
                   now_ms: int) -> ArchivePage: ...


def number_of(summary: Mapping[str, Any]) -> int:
    digits = str(summary.get("id", ""))[1:]
    return int(digits) if digits.isdigit() else 0


def merge(pages: Sequence[ArchivePage], limit: int) -> ArchivePage:
    """One page of several sources' pages: newest first, no deeper than the shallowest source
    that has more (below it, that source was not read yet)."""
    floors = [p.next_below for p in pages if p.next_below is not None]
    floor = max(floors) if floors else None
    found: dict[str, dict[str, Any]] = {}
    for p in pages:
        for item in p.items:
            if floor is None or number_of(item) >= floor:
                found.setdefault(str(item["id"]), item)
    ordered = sorted(found.values(), key=number_of, reverse=True)
    if len(ordered) > limit:
        return ArchivePage(ordered[:limit], number_of(ordered[limit - 1]))
    return ArchivePage(ordered, floor)
