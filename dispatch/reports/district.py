"""The district's figures: one row per street, and the district's totals.

A street's row is its daily report's totals as of now (the same definitions as the
street's own screen, figures.md) plus what is open now (``open``, and ``red``: open and
past its time limit). The district's totals are the sums of the streets' counts, and its
rates are computed from those sums (not averaged), so they weigh each street by its cases.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from dispatch.reports.figures import CASE_NAMES, PATROL_NAMES, rate

#: What is open now, per street.
NOW_NAMES = ("open", "red")
COUNT_NAMES = (*NOW_NAMES, *CASE_NAMES, *PATROL_NAMES)
RATES = ("closure_rate", "on_time_rate", "patrol_rate")


def street_row(code: str, name: str, today: Mapping[str, Any],
               lights: Mapping[str, int]) -> dict[str, Any]:
    """One street's row from its day's figures and its open cases by light."""
    row: dict[str, Any] = {"street": code, "name": name}
    row.update({n: int(today.get(n, 0)) for n in (*CASE_NAMES, *PATROL_NAMES)})
    row["open"] = sum(lights.values())
    row["red"] = int(lights.get("red", 0))
    row.update(rates(row))
    return row


def rates(n: Mapping[str, int]) -> dict[str, float | None]:
    return {
        "closure_rate": rate(n["reported_closed"], n["reported"] - n["cancelled"]),
        "on_time_rate": rate(n["closed_in_time"], n["due"] - n["due_suspended"]),
        "patrol_rate": rate(n["patrols_complete"], n["patrols_complete"]
                            + n["patrols_incomplete"] + n["patrols_missed"]),
    }


def district_totals(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The district's counts (the sums of its streets') and rates (from those sums)."""
    listed = list(rows)
    totals: dict[str, Any] = {n: sum(int(r[n]) for r in listed) for n in COUNT_NAMES}
    totals["streets"] = len(listed)
    totals.update(rates(totals))
    return totals
