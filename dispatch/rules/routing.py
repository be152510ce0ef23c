"""Where a report goes and its clock: what routing decided, as a value."""

from __future__ import annotations

from dataclasses import dataclass

from .catalogue import Item
from .model import Decision


@dataclass(frozen=True)
class Routing:
    """Where a report goes, and its clock."""

    item: Item
    decision: Decision | None
    grid: str
    station: str | None
    deadline_ms: int | None
    yellow_at_ms: int | None
    escalation_ms: list[int]
    rule_id: str | None
    version: str

    def public(self) -> dict[str, object]:
        d = self.decision
        return {
            "item": self.item.code,
            "category": self.item.category,
            "grid": self.grid,
            "station": self.station,
            "department": d.department if d else None,
            "tier": d.tier.value if d else None,
            "limit": d.limit_s if d else None,
            "clock": d.clock.value if d else None,
            "deadline": self.deadline_ms,
            "yellow_at": self.yellow_at_ms,
            "escalation": self.escalation_ms,
            "rule": self.rule_id,
            "version": self.version,
            "triage": d is None,
            "assist": list(d.assist) if d else [],
        }
