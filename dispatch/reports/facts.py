"""What the reports count, derived from a case's audit trail (its timeline). Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

CLOSED, CANCELLED, DUPLICATE = "closed", "cancelled", "duplicate"
DISPATCH_TARGETS = frozenset({"dispatched", "accepted"})
OPEN_END_STATES = frozenset({CLOSED, CANCELLED, DUPLICATE})


@dataclass(frozen=True)
class CaseFacts:
    id: str
    station: str | None
    department: str | None
    grid: str | None
    reporter: str | None
    created: int
    deadline: int | None
    state: str
    dispatched: int | None = None
    accepted: int | None = None
    resolved: int | None = None
    closed: int | None = None
    ended: int | None = None  # closed, cancelled or duplicate
    reworks: int = 0
    suspended: int | None = None  # when it was suspended last, if it still is
    verify_s: float | None = None  # resolve -> verification, last time
    verifier: str | None = None

    def open_at(self, t: int) -> bool:
        return self.created < t and (self.ended is None or self.ended >= t)

    def closed_in_time(self) -> bool:
        return self.closed is not None and (self.deadline is None or self.closed <= self.deadline)

    def overdue_at(self, t: int) -> bool:
        """Open past its deadline at ``t`` (a suspended case's clock is paused)."""
        return (self.open_at(t) and self.deadline is not None and self.deadline < t
                and self.suspended is None)


def _first(entries: Sequence[Mapping[str, Any]], pred: Any) -> int | None:
    return next((int(e["ts"]) for e in entries if pred(e)), None)


def _last(entries: Sequence[Mapping[str, Any]], pred: Any) -> Mapping[str, Any] | None:
    return next((e for e in reversed(entries) if pred(e)), None)


def case_facts(case: Mapping[str, Any], timeline: Sequence[Mapping[str, Any]]) -> CaseFacts:
    """The facts of one case: its summary for where it belongs, its timeline for what
    happened when."""
    def to(state: str) -> Any:
        return lambda e: e.get("to") == state

    closed = _first(timeline, lambda e: e.get("to") == CLOSED)
    ended = _first(timeline, lambda e: e.get("to") in OPEN_END_STATES)
    resolve = _last(timeline, lambda e: e.get("action") == "resolve")
    verify = _last(timeline, lambda e: e.get("action") == "verify")
    suspend = _last(timeline, lambda e: e.get("action") in ("suspend", "resume"))
    verify_s = None
    if resolve is not None and verify is not None and int(verify["ts"]) >= int(resolve["ts"]):
        verify_s = (int(verify["ts"]) - int(resolve["ts"])) / 1000
    created = _first(timeline, lambda e: e.get("action") == "report")
    return CaseFacts(
        id=str(case["id"]),
        station=case.get("station"),
        department=case.get("department"),
        grid=case.get("grid"),
        reporter=case.get("reporter"),
        created=created if created is not None else int(case.get("created") or 0),
        deadline=int(case["deadline"]) if case.get("deadline") else None,
        state=str(case.get("state")),
        dispatched=_first(timeline, lambda e: e.get("to") in DISPATCH_TARGETS),
        accepted=_first(timeline, lambda e: e.get("action") == "accept"),
        resolved=int(resolve["ts"]) if resolve else None,
        closed=closed,
        ended=ended,
        reworks=sum(1 for e in timeline if e.get("action") == "verify"
                    and e.get("to") == "reopened"),
        suspended=int(suspend["ts"]) if suspend and suspend.get("action") == "suspend"
        else None,
        verify_s=verify_s,
        verifier=str(verify["by"]) if verify else None,
    )
