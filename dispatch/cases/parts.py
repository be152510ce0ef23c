"""Joint handling (主办 / 协办): the assisting departments' parts of a case. Pure.

A case has one lead department (its ``department``) and any number of assisting
departments, each with its own part: offered to the department's members, won by one
of them, with its own limit and light, progress and result, and its own timeline entries
(``part`` names the department). The parts are kept as one JSON list in the case's hash
(``parts``), absent while there are none, so every change to a part is one step of the
case's own transition script, checked against the case's version.

The lead resolves once every part is reported, or names each part left open with a
reason (``left_open``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

import orjson

from dispatch.rules import Light

#: The case hash's field holding the parts.
PARTS_FIELD = "parts"


class PartState(StrEnum):
    OFFERED = "offered"  # waiting for a member of the department to accept it
    ACCEPTED = "accepted"  # a member handles it
    RESOLVED = "resolved"  # the result is reported
    LEFT_OPEN = "left_open"  # the lead resolved the case without it, with a reason


class PartAction(StrEnum):
    ACCEPT = "accept"
    PROGRESS = "progress"
    RESOLVE = "resolve"
    REWORK = "rework"  # the lead (or the desk) sends a reported part back to its holder


#: The timeline action each part action records (distinct from the case's own actions, so
#: the case's figures never read a part's step as the case's).
PART_ENTRY = {PartAction.ACCEPT: "part_accept", PartAction.PROGRESS: "part_progress",
              PartAction.RESOLVE: "part_resolve", PartAction.REWORK: "part_rework"}
ASSIST_ENTRY, UNASSIST_ENTRY, LEFT_OPEN_ENTRY = "assist", "unassist", "part_left_open"
OVERDUE_ENTRY, NEAR_ENTRY = "part_overdue", "part_near_limit"
TIMER_SEPARATOR = "|"
#: The light a part's timer turns on: its deadline (red, the member has no fourth field)
#: or its yellow instant (临期, the member ends in ``|yellow``).
RED_TIMER, YELLOW_TIMER = Light.RED.value, Light.YELLOW.value
TIMER_FIELDS = 3


def part_timer(case_id: str, department: str, deadline: int, light: str = RED_TIMER) -> str:
    """The member of a part's deadline (or, ``light`` yellow, of its yellow instant) in the
    part timers' set; the deadline in both tells a timer of an older clock."""
    fields = (case_id, department, str(deadline))
    return TIMER_SEPARATOR.join(fields if light == RED_TIMER else (*fields, light))


def parse_part_timer(member: str) -> tuple[str, str, int, str] | None:
    """(case, department, deadline, light) of a part timer's member."""
    fields = member.split(TIMER_SEPARATOR)
    if len(fields) == TIMER_FIELDS:
        fields.append(RED_TIMER)
    if len(fields) != TIMER_FIELDS + 1:
        return None
    cid, department, deadline, light = fields
    if not cid or not department or not deadline.isdigit() \
            or light not in (RED_TIMER, YELLOW_TIMER):
        return None
    return cid, department, int(deadline), light


def part_timers(case_id: str, department: str, deadline: int | None,
                yellow_at: int | None) -> tuple[tuple[int, str], ...]:
    """(due, member) of a part's timers: its yellow instant (when before the deadline) and
    its deadline."""
    if deadline is None:
        return ()
    found: list[tuple[int, str]] = []
    if yellow_at is not None and yellow_at < deadline:
        found.append((yellow_at, part_timer(case_id, department, deadline, YELLOW_TIMER)))
    found.append((deadline, part_timer(case_id, department, deadline)))
    return tuple(found)

#: Parts still being worked on: the lead may not resolve past them without a reason.
OPEN_PART_STATES: frozenset[PartState] = frozenset({PartState.OFFERED, PartState.ACCEPTED})
#: The part states each part action starts from.
PART_SOURCES: Mapping[PartAction, frozenset[PartState]] = {
    PartAction.ACCEPT: frozenset({PartState.OFFERED}),
    PartAction.PROGRESS: frozenset({PartState.ACCEPTED}),
    PartAction.RESOLVE: frozenset({PartState.ACCEPTED}),
    PartAction.REWORK: frozenset({PartState.RESOLVED}),
}
PART_TARGETS: Mapping[PartAction, PartState] = {
    PartAction.ACCEPT: PartState.ACCEPTED, PartAction.PROGRESS: PartState.ACCEPTED,
    PartAction.RESOLVE: PartState.RESOLVED, PartAction.REWORK: PartState.ACCEPTED,
}


@dataclass(frozen=True)
class Part:
    department: str
    state: PartState
    assignee: str | None
    deadline: int | None
    yellow_at: int | None
    light: str  # as stored: frozen when the part stops running
    added: int
    resolved: int | None = None
    rework: int = 0

    @property
    def open(self) -> bool:
        return self.state in OPEN_PART_STATES

    def current_light(self, now_ms: int, case_running: bool) -> str:
        """Follows the part's own clock while it is open and the case's clock runs."""
        if (self.open and case_running and self.deadline is not None
                and self.yellow_at is not None):
            if now_ms >= self.deadline:
                return Light.RED.value
            if now_ms >= self.yellow_at:
                return Light.YELLOW.value
            return Light.GREEN.value
        return self.light

    def stopped(self, now_ms: int, case_running: bool, state: PartState) -> Part:
        return replace(self, state=state, light=self.current_light(now_ms, case_running))

    def summary(self, now_ms: int, case_running: bool) -> dict[str, Any]:
        return {"department": self.department, "state": self.state.value,
                "assignee": self.assignee, "deadline": self.deadline,
                "light": self.current_light(now_ms, case_running)}

    def stored(self) -> dict[str, Any]:
        return {"department": self.department, "state": self.state.value,
                "assignee": self.assignee, "deadline": self.deadline,
                "yellow_at": self.yellow_at, "light": self.light, "added": self.added,
                "resolved": self.resolved, "rework": self.rework}

    @classmethod
    def from_stored(cls, raw: Mapping[str, Any]) -> Part:
        def opt_int(name: str) -> int | None:
            value = raw.get(name)
            return int(value) if isinstance(value, int | float) else None

        return cls(str(raw["department"]), PartState(raw["state"]),
                   str(raw["assignee"]) if raw.get("assignee") else None,
                   opt_int("deadline"), opt_int("yellow_at"),
                   str(raw.get("light") or Light.GREEN.value), int(raw.get("added") or 0),
                   opt_int("resolved"), int(raw.get("rework") or 0))


def parse_parts(raw: str | None) -> tuple[Part, ...]:
    if not raw:
        return ()
    return tuple(Part.from_stored(p) for p in orjson.loads(raw))


def encode_parts(parts: Iterable[Part]) -> str:
    """The hash value of ``parts`` ("" when there are none: the field is dropped)."""
    found = [p.stored() for p in parts]
    return orjson.dumps(found).decode() if found else ""


def find(parts: Sequence[Part], department: str) -> Part | None:
    return next((p for p in parts if p.department == department), None)


def replaced(parts: Sequence[Part], part: Part) -> tuple[Part, ...]:
    return tuple(part if p.department == part.department else p for p in parts)


def without(parts: Sequence[Part], department: str) -> tuple[Part, ...]:
    return tuple(p for p in parts if p.department != department)


def open_parts(parts: Sequence[Part]) -> list[str]:
    return [p.department for p in parts if p.open]
