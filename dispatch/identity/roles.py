"""Roles and what each one's scope means."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    GRID_WORKER = "grid_worker"
    DISPOSAL_MEMBER = "disposal_member"
    DEPT_LEAD = "dept_lead"
    DISPATCHER = "dispatcher"
    ASSESSOR = "assessor"
    SCREEN = "screen"
    ADMIN = "admin"
    STATION_LEAD = "station_lead"  # 网格站站长: the station's cases, blows the whistle
    GRID_ASSISTANT = "grid_assistant"  # 网格辅助员: patrols and reports in their grid
    INFORMANT = "informant"  # 网格信息员: reports in their grid, follows their own reports


ALL_ROLES: frozenset[Role] = frozenset(Role)
#: Roles whose scope is a department id.
DEPARTMENT_ROLES: frozenset[Role] = frozenset({Role.DISPOSAL_MEMBER, Role.DEPT_LEAD})
#: Roles whose scope is a grid id.
GRID_ROLES: frozenset[Role] = frozenset({Role.GRID_WORKER, Role.GRID_ASSISTANT,
                                         Role.INFORMANT})
#: The people of a grid besides its worker (一格多员): they report in their grid only, and
#: see their own reports and what they hold.
GRID_HELPERS: frozenset[Role] = frozenset({Role.GRID_ASSISTANT, Role.INFORMANT})
#: Roles whose phones are tracked on patrols (the assistants' patrols are scored apart).
PATROL_ROLES: frozenset[Role] = frozenset({Role.GRID_WORKER, Role.GRID_ASSISTANT})
#: Roles whose scope is a grid station id.
STATION_ROLES: frozenset[Role] = frozenset({Role.STATION_LEAD})
#: Roles of the command centre, who see the whole street.
CENTRE_ROLES: frozenset[Role] = frozenset({Role.DISPATCHER, Role.ASSESSOR, Role.ADMIN})
#: Everyone who may watch the command screen.
SCREEN_ROLES: frozenset[Role] = frozenset(
    {Role.SCREEN, Role.DISPATCHER, Role.ASSESSOR, Role.DEPT_LEAD, Role.ADMIN}
)


def scope_kind(role: Role) -> str | None:
    """``grid``, ``station``, ``department`` or None (street-wide)."""
    if role in GRID_ROLES:
        return "grid"
    if role in STATION_ROLES:
        return "station"
    if role in DEPARTMENT_ROLES:
        return "department"
    return None
