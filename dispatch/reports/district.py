"""The district's figures: one row per street, and the district's totals.

A street's row is its daily report's totals as of now (the same definitions as the
street's own screen, figures.md) plus what is open now (``open``, and ``red``: open and
past its time limit). The district's totals are the sums of the streets' counts, and its
rates are computed from those sums (not averaged), so they weigh each street by its cases.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from dispatch.alerts.model import AlertKind
from dispatch.observe import count_cases
from dispatch.reports.figures import CASE_NAMES, PATROL_NAMES, rate
from dispatch.rules.model import Notify

if TYPE_CHECKING:
    from dispatch.bootstrap import Container

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


def escalated_to_district(alert: Mapping[str, Any]) -> bool:
    """Whether an alert is a case escalated to the district (the third tier)."""
    return (alert.get("kind") == AlertKind.CASE_ESCALATED.value
            and (alert.get("data") or {}).get("notify") == Notify.DISTRICT.value)


async def street_figures(c: Container, now: int
                         ) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """A street's row, its day's figures as of ``now``, and its cases escalated to the
    district (their active escalation alerts)."""
    today = await c.reports.today_figures(now)
    _, lights = await count_cases(c.redis, c.keys)
    name = (await c.org.meta()).get("name") or c.keys.street
    escalated = [a for a in await c.alerts.active() if escalated_to_district(a)]
    row = street_row(c.keys.street, name, today, lights)
    row["escalated"] = len(escalated)
    return row, today, escalated


async def district_view(streets: Sequence[Container], now: int) -> dict[str, Any]:
    """Every street's row, the district's totals, and the escalations (each with its
    ``street``), as of ``now``."""
    found = await asyncio.gather(*(street_figures(c, now) for c in streets))
    rows = [row for row, _, _ in found]
    totals = district_totals(rows)
    totals["escalated"] = sum(r["escalated"] for r in rows)
    return {"date": found[0][1]["date"] if found else "", "at": now, "streets": rows,
            "totals": totals,
            "escalations": [{**a, "street": row["street"]}
                            for row, _, alerts in found for a in alerts]}
