"""The organisation as plain data (no IO)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dispatch.identity.users import User


@dataclass(frozen=True)
class Street:
    code: str
    name: str
    name_en: str = ""
    district: str = ""


@dataclass(frozen=True)
class Station:
    id: str
    name: str
    name_en: str = ""


@dataclass(frozen=True)
class Department:
    id: str
    name: str
    name_en: str = ""

    def public(self, lead: str | None, members: list[str]) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "name_en": self.name_en,
            "lead": lead,
            "members": members,
        }


@dataclass(frozen=True)
class Person:
    """A user as loaded from an organisation file, with an optional tracking device."""

    user: User
    device: str | None = None


@dataclass
class OrgData:
    """Everything a seed writes: validated before anything is stored."""

    street: Street
    stations: list[Station]
    grids: dict[str, Any]  # GeoJSON FeatureCollection
    departments: list[Department]
    people: list[Person] = field(default_factory=list)
