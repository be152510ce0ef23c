"""A case as stored (one Redis hash of strings) and as shown (summary and detail).

The hash keeps short values only, so Redis stores it compactly (a listpack of fewer
than 128 fields of at most 64 bytes): free text and photos live in the timeline
entries that recorded them, and the detail gathers them from there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from dispatch.access import Parties
from dispatch.cases.clock import CaseClock, Times, parse_csv, parse_csv_ints
from dispatch.cases.parts import PARTS_FIELD, Part, parse_parts
from dispatch.cases.states import HELD_STATES, RUNNING_STATES, CaseState
from dispatch.cases.whistle import WHISTLE_FIELD, Whistle
from dispatch.rules import Light, LimitClock

ID_PREFIX = "C"
LIST_SEPARATOR = ","
#: Coordinates are kept to this many decimals (about 1 cm), exact in every encoder.
COORD_DECIMALS = 7
#: The fields a timer sets.
LIGHT_FIELDS = frozenset({"light", "escalation_level"})
#: Fields of the summary every message, listing and screen event carries, in this order
#: (``Case.summary``; the clock's Lua builds the same from them).
SUMMARY_FIELDS: tuple[str, ...] = (
    "id", "item", "item_name", "category", "grid", "station", "state", "department",
    "assignee", "tier", "reporter", "lat", "lon", "severity", "created", "deadline",
    "yellow_at", "light", "escalation_level", "rework_count", "duplicate_of",
)
#: Summary fields shown as numbers (the rest are strings or null).
NUMERIC_FIELDS: frozenset[str] = frozenset(
    {"lat", "lon", "created", "deadline", "yellow_at", "escalation_level", "rework_count"}
)



def case_id(number: int) -> str:
    return f"{ID_PREFIX}{number}"


def case_number(cid: str) -> int | None:
    """The number of a case id, or None when ``cid`` is not one."""
    digits = cid[len(ID_PREFIX):]
    if not cid.startswith(ID_PREFIX) or not digits.isdigit() or len(digits) > 15:
        return None
    return int(digits)


def _opt(raw: Mapping[str, str], name: str) -> str | None:
    value = raw.get(name)
    return value if value else None


def _opt_int(raw: Mapping[str, str], name: str) -> int | None:
    value = raw.get(name)
    return int(value) if value else None


def _clock(raw: Mapping[str, str]) -> CaseClock | None:
    if not raw.get("limit_s"):
        return None
    share, lead = raw.get("yellow_share"), raw.get("yellow_lead_s")
    return CaseClock(int(raw["start"]), int(raw["limit_s"]), LimitClock(raw["clock"]),
                     float(share) if share else None, int(lead) if lead else None,
                     parse_csv_ints(raw.get("esc_after")), parse_csv(raw.get("esc_notify")))


@dataclass(frozen=True)
class Case:
    id: str
    item: str
    item_name: str
    category: str
    grid: str
    station: str | None
    state: CaseState
    department: str | None
    assignee: str | None
    tier: str
    reporter: str
    lat: float
    lon: float
    severity: str
    created: int
    deadline: int | None
    yellow_at: int | None
    escalations: tuple[int, ...]
    stored_light: str
    escalation_level: int
    rework_count: int
    rule: str | None
    rule_version: str | None
    duplicate_of: str | None
    extension_hours: int | None  # an extension asked for and not yet decided
    rating: int | None
    ver: int
    gen: int
    clock: CaseClock | None
    suspended_at: int | None
    resume_state: CaseState | None
    updated: int
    source: str | None = None  # where a report from outside came from (open311)
    verifier: str | None = None  # who verifies on site when the reporter cannot
    raters: tuple[str, ...] = ()  # kinds of rater who have rated (citizen, grid_worker, ...)
    #: The assisting departments' parts (协办), in the order they were added.
    parts: tuple[Part, ...] = ()
    #: The hash it was read from (what a plan's changes apply to).
    raw: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_hash(cls, raw: Mapping[str, str]) -> Case:
        resume = raw.get("resume_state")
        return cls(
            id=raw["id"], item=raw["item"], item_name=raw.get("item_name", ""),
            category=raw.get("category", ""), grid=raw["grid"], station=_opt(raw, "station"),
            state=CaseState(raw["state"]), department=_opt(raw, "department"),
            assignee=_opt(raw, "assignee"), tier=raw.get("tier", ""), reporter=raw["reporter"],
            lat=float(raw["lat"]), lon=float(raw["lon"]), severity=raw.get("severity", ""),
            created=int(raw["created"]),
            deadline=_opt_int(raw, "deadline"), yellow_at=_opt_int(raw, "yellow_at"),
            escalations=parse_csv_ints(raw.get("esc_at")),
            stored_light=raw.get("light") or Light.GREEN.value,
            escalation_level=int(raw.get("escalation_level") or 0),
            rework_count=int(raw.get("rework_count") or 0), rule=_opt(raw, "rule"),
            rule_version=_opt(raw, "rule_version"), duplicate_of=_opt(raw, "duplicate_of"),
            extension_hours=_opt_int(raw, "extension"), rating=_opt_int(raw, "rating"),
            ver=int(raw.get("ver") or 0), gen=int(raw.get("gen") or 0), clock=_clock(raw),
            suspended_at=_opt_int(raw, "suspended_at"),
            resume_state=CaseState(resume) if resume else None,
            updated=int(raw.get("updated") or raw["created"]),
            source=_opt(raw, "source"), verifier=_opt(raw, "verifier"),
            raters=parse_csv(raw.get("raters")),
            parts=parse_parts(raw.get(PARTS_FIELD)),
            raw=dict(raw),
        )

    def changed(self, fields: Mapping[str, str], removed: Iterable[str] = ()) -> Case:
        """The case once ``fields`` are set and ``removed`` deleted (one version on)."""
        gone = set(removed)
        raw = {k: v for k, v in self.raw.items() if k not in gone}
        raw.update(fields)
        raw["ver"] = str(self.ver + 1)
        if not gone and fields.keys() <= LIGHT_FIELDS:  # a timer: the rest is as it was
            return replace(self, stored_light=raw.get("light") or Light.GREEN.value,
                           escalation_level=int(raw.get("escalation_level") or 0),
                           ver=self.ver + 1, raw=raw)
        return Case.from_hash(raw)

    @property
    def number(self) -> int:
        return case_number(self.id) or 0

    @property
    def parties(self) -> Parties:
        return Parties(self.department, self.assignee, self.reporter, self.grid, self.station,
                       tuple(p.department for p in self.parts),
                       tuple(p.assignee for p in self.parts if p.assignee))

    @property
    def whistle(self) -> Whistle | None:
        """The case's latest whistle (吹哨), or None."""
        return Whistle.parse(self.raw.get(WHISTLE_FIELD))

    @property
    def running(self) -> bool:
        """Whether the case's clock runs (its parts' clocks run only while it does)."""
        return self.state in RUNNING_STATES

    def parts_summary(self, now_ms: int) -> list[dict[str, Any]]:
        return [p.summary(now_ms, self.running) for p in self.parts]

    @property
    def times(self) -> Times | None:
        if self.deadline is None or self.yellow_at is None:
            return None
        return Times(self.deadline, self.yellow_at, self.escalations)

    @property
    def holder(self) -> str | None:
        """Who holds the case now (the assignee while it is accepted, resolved or reopened)."""
        return self.assignee if self.state in HELD_STATES else None

    def runs_on(self, gen: int) -> bool:
        """Whether the case's clock runs, on generation ``gen`` (a timer of it may fire)."""
        return self.state in RUNNING_STATES and self.gen == gen

    def light(self, now_ms: int) -> str:
        """Follows the clock while it runs; otherwise the light it had when it stopped."""
        times = self.times
        if self.state in RUNNING_STATES and times is not None:
            return times.light(now_ms)
        return self.stored_light

    def summary(self, now_ms: int) -> dict[str, Any]:
        """What messages, listings and screens show of a case."""
        return {
            "id": self.id, "item": self.item, "item_name": self.item_name or None,
            "category": self.category or None, "grid": self.grid, "station": self.station,
            "state": self.state.value, "department": self.department,
            "assignee": self.assignee, "tier": self.tier or None, "reporter": self.reporter,
            "lat": self.lat, "lon": self.lon, "severity": self.severity or None,
            "created": self.created, "deadline": self.deadline, "yellow_at": self.yellow_at,
            "light": self.light(now_ms), "escalation_level": self.escalation_level,
            "rework_count": self.rework_count, "duplicate_of": self.duplicate_of,
            "parts": self.parts_summary(now_ms),
        }

    def detail(self, now_ms: int, timeline: Sequence[dict[str, Any]]) -> dict[str, Any]:
        """The whole case with its timeline (GET /api/v1/cases/{id})."""
        body = self.summary(now_ms)
        report = _last(timeline, "report") or {}
        body.update({
            "description": report.get("note", ""),
            "media": list(dict.fromkeys(m for e in timeline for m in e.get("media", ()))),
            "escalation": list(self.escalations), "rule": self.rule,
            "rule_version": self.rule_version,
            "extension": _request(_last(timeline, "extend"), ("hours", self.extension_hours),
                                  "reason"),
            "rating": _request(_last(timeline, "rate"), ("score", self.rating), "note"),
            "ratings": [{"score": e.get("score"), "note": e.get("note", ""), "by": e.get("by"),
                         "rater": e.get("rater"), "ts": e.get("ts")}
                        for e in timeline if e.get("action") == "rate"],
            "source": self.source,
            "suspended_at": self.suspended_at, "updated": self.updated,
            "whistle": self.whistle.public() if self.whistle else None,
            "timeline": list(timeline),
        })
        return body


def _last(timeline: Sequence[dict[str, Any]], action: str) -> dict[str, Any] | None:
    return next((e for e in reversed(timeline) if e.get("action") == action), None)


def _request(entry: dict[str, Any] | None, value: tuple[str, int | None],
             text: str) -> dict[str, Any] | None:
    """An extension asked for, or a rating: its value, and who, when and why from the
    timeline entry that recorded it."""
    name, number = value
    if number is None:
        return None
    found = entry or {}
    return {name: number, text: found.get("note", ""), "by": found.get("by"),
            "ts": found.get("ts")}
