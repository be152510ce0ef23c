"""The whistle and check-in (吹哨报到). Pure.

A station's lead or the desk blows the whistle on a case: chosen departments are summoned
to the site, each within a response limit. A summoned member checks in from the phone;
the check-in counts only when the member's latest accepted fix (the location stream,
judged by the same filters as patrols) is fresh and within the set distance of the case.
A department that has not checked in when the limit passes is late: an alert, and a count
against it. The whistle is kept as one JSON value in the case's hash (``whistle``), so a
check-in is one step of the case's transition script, checked against its version.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import orjson

WHISTLE_FIELD = "whistle"
WHISTLE_ENTRY, CHECKIN_ENTRY, MISSED_ENTRY = "whistle", "checkin", "checkin_missed"
EARTH_RADIUS_M = 6_371_000.0


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class CheckIn:
    member: str
    ts: int
    distance_m: float
    late: bool

    def stored(self) -> dict[str, Any]:
        return {"member": self.member, "ts": self.ts, "distance_m": self.distance_m,
                "late": self.late}


@dataclass(frozen=True)
class Whistle:
    """One whistle: who blew it and when, the departments summoned, by when they must be on
    site (``due``), and each department's first check-in on site."""

    n: int
    by: str
    ts: int
    due: int
    departments: tuple[str, ...]
    checkins: Mapping[str, CheckIn] = field(default_factory=dict)
    #: Departments found late when the limit passed (the clock marks them once).
    missed: tuple[str, ...] = ()

    @property
    def waiting(self) -> list[str]:
        """Departments summoned that have not checked in yet."""
        return [d for d in self.departments if d not in self.checkins]

    def checked_in(self, department: str, checkin: CheckIn) -> Whistle:
        return replace(self, checkins={**self.checkins, department: checkin})

    def public(self) -> dict[str, Any]:
        return {"n": self.n, "by": self.by, "ts": self.ts, "due": self.due,
                "departments": [{"department": d,
                                 "checkin": self.checkins[d].stored() if d in self.checkins
                                 else None,
                                 "late": (self.checkins[d].late if d in self.checkins
                                          else d in self.missed)}
                                for d in self.departments]}

    def stored(self) -> str:
        return orjson.dumps({"n": self.n, "by": self.by, "ts": self.ts, "due": self.due,
                             "departments": list(self.departments),
                             "checkins": {d: c.stored() for d, c in self.checkins.items()},
                             "missed": list(self.missed)}).decode()

    @classmethod
    def parse(cls, raw: str | None) -> Whistle | None:
        if not raw:
            return None
        d = orjson.loads(raw)
        checkins = {str(k): CheckIn(str(v["member"]), int(v["ts"]), float(v["distance_m"]),
                                    bool(v["late"])) for k, v in d.get("checkins", {}).items()}
        return cls(int(d["n"]), str(d["by"]), int(d["ts"]), int(d["due"]),
                   tuple(str(x) for x in d["departments"]), checkins,
                   tuple(str(x) for x in d.get("missed", ())))


def blown(previous: Whistle | None, by: str, now: int, departments: Sequence[str],
          respond_min: int) -> Whistle:
    """A new whistle (the next number after ``previous``)."""
    return Whistle((previous.n + 1) if previous else 1, by, now, now + respond_min * 60_000,
                   tuple(dict.fromkeys(departments)))
