"""A new report: its first state, holder, clock and timeline, from where the rules route it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dispatch.cases.clock import CaseClock, Times, csv_ints
from dispatch.cases.commands import ReportCommand
from dispatch.cases.parts import PARTS_FIELD, Part, PartState, encode_parts
from dispatch.cases.states import CaseState
from dispatch.identity.principal import Principal
from dispatch.identity.roles import GRID_HELPERS
from dispatch.rules import CENTRE, DEFAULT_SEVERITY, Tier
from dispatch.rules.routing import Routing

SYSTEM = "system"
FIRST_GEN = 1


@dataclass(frozen=True)
class Intake:
    case_id: str
    state: CaseState
    department: str | None
    assignee: str | None
    times: Times | None
    fields: dict[str, str]  # the new hash (empty values left out; text in the timeline)
    entries: list[dict[str, Any]]  # the first timeline entries
    item: str
    lat: float
    lon: float
    grid: str
    reporter: str
    media: tuple[str, ...]
    #: Assisting departments the rule named (协办), their parts offered from the start.
    assisting: tuple[str, ...] = ()


def _destination(routing: Routing, worker: str | None) -> tuple[CaseState, str | None, str | None]:
    """(state, department, assignee) a routed report starts in."""
    decision = routing.decision
    if decision is None:
        return CaseState.TRIAGE, CENTRE, None
    if decision.tier is Tier.SIMPLE:
        if worker is None:  # a grid without a worker: the centre decides
            return CaseState.TRIAGE, CENTRE, None
        return CaseState.ACCEPTED, None, worker
    if decision.tier is Tier.HARD:
        return CaseState.DISPATCHED, CENTRE, None
    return CaseState.DISPATCHED, decision.department or CENTRE, None


def _clock_fields(clock: CaseClock, times: Times, now_ms: int) -> dict[str, str]:
    return {
        "deadline": str(times.deadline), "yellow_at": str(times.yellow_at),
        "esc_at": csv_ints(times.escalations), "light": times.light(now_ms),
        "escalation_level": str(times.level(now_ms)), "start": str(clock.start_ms),
        "limit_s": str(clock.limit_s), "clock": clock.clock.value,
        "yellow_share": "" if clock.yellow_share is None else str(clock.yellow_share),
        "yellow_lead_s": "" if clock.yellow_lead_s is None else str(clock.yellow_lead_s),
        "esc_after": csv_ints(clock.esc_after_s), "esc_notify": ",".join(clock.esc_notify),
    }


def intake(case_id: str, cmd: ReportCommand, reporter: str, actor: Principal,
           routing: Routing, worker: str | None, now_ms: int,
           verifier: str | None = None) -> Intake:
    """The case a report becomes (when it is not a duplicate)."""
    state, department, assignee = _destination(routing, worker)
    decision = routing.decision
    tier = decision.tier if decision else routing.item.tier
    fields = {
        "id": case_id, "item": routing.item.code, "item_name": routing.item.name_zh,
        "category": routing.item.category, "grid": routing.grid,
        "station": routing.station or "", "state": state.value,
        "department": department or "", "assignee": assignee or "", "tier": tier.value,
        "reporter": reporter, "lat": repr(cmd.lat), "lon": repr(cmd.lon),
        "severity": cmd.severity or DEFAULT_SEVERITY,
        "created": str(now_ms), "updated": str(now_ms),
        "light": "green", "escalation_level": "0", "rework_count": "0",
        "rule": routing.rule_id or "", "rule_version": routing.version, "ver": "0",
        "gen": str(FIRST_GEN), "source": cmd.source, "verifier": verifier or "",
    }
    times = None
    if decision is not None and routing.deadline_ms is not None:
        clock = CaseClock.of(now_ms, decision)
        times = Times(routing.deadline_ms, routing.yellow_at_ms or routing.deadline_ms,
                      tuple(routing.escalation_ms))
        fields.update(_clock_fields(clock, times, now_ms))
    assisting: tuple[str, ...] = ()
    if decision is not None and decision.assist and state is CaseState.DISPATCHED:
        assisting = tuple(d for d in decision.assist if d != department)
        fields[PARTS_FIELD] = encode_parts(
            Part(d, PartState.OFFERED, None, times.deadline if times else None,
                 times.yellow_at if times else None,
                 times.light(now_ms) if times else "green", now_ms) for d in assisting)
    report: dict[str, Any] = {"ts": now_ms, "by": actor.username, "action": "report",
                              "from": None, "to": CaseState.REPORTED.value,
                              "note": cmd.description, "media": list(cmd.media)}
    if reporter != actor.username:
        report["reporter"] = reporter
    if actor.role in GRID_HELPERS:  # 一格多员: who in the grid found it
        report["reporter_role"] = actor.role.value
    route = {"ts": now_ms, "by": SYSTEM, "action": "route",
             "from": CaseState.REPORTED.value, "to": state.value, "department": department,
             "assignee": assignee, "rule": routing.rule_id,
             "deadline": times.deadline if times else None,
             "assist": list(assisting) or None}
    route = {k: v for k, v in route.items() if v is not None}
    return Intake(case_id, state, department, assignee, times,
                  {k: v for k, v in fields.items() if v != ""}, [report, route],
                  routing.item.code, cmd.lat, cmd.lon, routing.grid, reporter, cmd.media,
                  assisting)


def as_duplicate(intake: Intake) -> dict[str, str]:
    """The hash of a report found to repeat an open case: not dispatched, no clock."""
    kept = {"id", "item", "item_name", "category", "grid", "station", "tier", "reporter",
            "lat", "lon", "severity", "created", "updated", "rule_version", "ver", "gen",
            "source", "verifier"}
    fields = {k: v for k, v in intake.fields.items() if k in kept}
    fields.update({"state": CaseState.DUPLICATE.value, "light": "green",
                   "escalation_level": "0", "rework_count": "0"})
    return fields
