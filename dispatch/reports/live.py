"""The day's figures as the command screen shows them: the daily report's, as of now, in
total and for each station and department (a screen that follows one shows its own)."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from dispatch.reports.figures import DEPARTMENT, STATION, TOTAL, GroupKey

if TYPE_CHECKING:
    from dispatch.bootstrap import Container

ONLINE = "online"
#: The event's sections of per-group figures, by the group they are of.
SECTIONS = {STATION: "stations", DEPARTMENT: "departments"}


async def screen_figures(c: Container, now_ms: int | None = None) -> dict[str, Any]:
    """The ``figures`` event's body: ``figures`` (the street's totals), and ``stations`` and
    ``departments``: each one's figures by its code. Every group's figures have the daily
    report's definitions, workers online (a station's own, a department has none) and
    ``patrols_done`` (complete patrols, the screen's older name)."""
    now = c.clock() if now_ms is None else now_ms
    groups = await c.reports.today_by_group(now)
    workers = await c.location.workers(now)
    online = Counter(w.get("station") for w in workers if w.get("state") == ONLINE)
    body: dict[str, Any] = {"figures": _shown(groups[TOTAL], sum(online.values()))}
    for kind, section in SECTIONS.items():
        body[section] = {name: _shown(figures, online[name] if kind == STATION else None)
                         for (k, name), figures in groups.items() if k == kind}
    return body


def _shown(figures: dict[str, Any], online: int | None) -> dict[str, Any]:
    shown = {**figures, "patrols_done": figures.get("patrols_complete", 0)}
    if online is not None:
        shown["workers_online"] = online
    return shown


def figures_for(body: dict[str, Any], station: str | None,
                department: str | None) -> dict[str, Any]:
    """The figures a screen following ``station`` (first) or ``department`` shows: its
    group's, or the street's when it follows neither. A group with no case or patrol today
    has no entry: its figures are all zero."""
    group: GroupKey = ((STATION, station) if station else
                       (DEPARTMENT, department) if department else TOTAL)
    if group == TOTAL:
        return dict(body["figures"])
    kind, name = group
    found = body.get(SECTIONS[kind], {}).get(name)
    return dict(found) if found is not None else _zero(body["figures"], kind)


def _zero(total: dict[str, Any], kind: str) -> dict[str, Any]:
    zero: dict[str, Any] = {k: (0 if isinstance(v, int) and not isinstance(v, bool) else None)
                            for k, v in total.items()}
    zero.update(date=total.get("date"), at=total.get("at"))
    if kind == DEPARTMENT:
        zero.pop("workers_online", None)
    return zero
