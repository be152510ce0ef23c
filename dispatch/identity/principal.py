"""Who is calling: the result of authentication, used by every authorization check."""

from __future__ import annotations

from dataclasses import dataclass

from dispatch.identity.roles import Role


@dataclass(frozen=True)
class Principal:
    username: str
    role: Role
    scope: str | None = None
    name: str = ""

    def in_department(self, dept: str | None) -> bool:
        return self.role in (Role.DISPOSAL_MEMBER, Role.DEPT_LEAD) and self.scope == dept

    def in_station(self, station: str | None) -> bool:
        return self.role is Role.STATION_LEAD and station is not None and self.scope == station

    def in_grid(self, grid: str | None) -> bool:
        return self.role is Role.GRID_WORKER and self.scope == grid
