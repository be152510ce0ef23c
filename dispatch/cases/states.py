"""The states of a case and the groups the rest of the package reasons about."""

from __future__ import annotations

from enum import StrEnum


class CaseState(StrEnum):
    REPORTED = "reported"
    DISPATCHED = "dispatched"
    ACCEPTED = "accepted"
    RESOLVED = "resolved"
    CLOSED = "closed"
    TRIAGE = "triage"
    REOPENED = "reopened"
    SUSPENDED = "suspended"
    DUPLICATE = "duplicate"
    CANCELLED = "cancelled"


#: A case in one of these is finished: nothing happens to it any more (except a rating,
#: and the desk reopening a closed one).
TERMINAL_STATES: frozenset[CaseState] = frozenset(
    {CaseState.CLOSED, CaseState.DUPLICATE, CaseState.CANCELLED}
)
#: Every state of a case still being worked on (suspended and resolved included).
OPEN_STATES: frozenset[CaseState] = frozenset(CaseState) - TERMINAL_STATES
#: States in which the time limit runs: timers fire and the light follows the clock.
#: A resolved case waits for verification and a suspended one is paused (挂账).
RUNNING_STATES: frozenset[CaseState] = frozenset(
    {CaseState.REPORTED, CaseState.DISPATCHED, CaseState.ACCEPTED, CaseState.TRIAGE,
     CaseState.REOPENED}
)
#: States in which somebody holds the case.
HELD_STATES: frozenset[CaseState] = frozenset(
    {CaseState.ACCEPTED, CaseState.RESOLVED, CaseState.REOPENED}
)
