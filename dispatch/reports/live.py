"""The day's figures as the command screen shows them: the daily report's, as of now."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dispatch.bootstrap import Container

ONLINE = "online"


async def screen_figures(c: Container, now_ms: int | None = None) -> dict[str, Any]:
    """The daily report's totals as of now (the same definitions), workers online, and
    ``patrols_done`` (complete patrols, the screen's older name)."""
    now = c.clock() if now_ms is None else now_ms
    figures = await c.reports.today_figures(now)
    workers = await c.location.workers(now)
    figures["workers_online"] = sum(1 for w in workers if w.get("state") == ONLINE)
    figures["patrols_done"] = figures.get("patrols_complete", 0)
    return figures
