"""The day's figures as the command screen shows them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dispatch.bootstrap import Container

ONLINE = "online"


async def screen_figures(c: Container, now_ms: int | None = None) -> dict[str, Any]:
    figures = await c.reports.today_figures(now_ms)
    workers = await c.location.workers(now_ms)
    figures["workers_online"] = sum(1 for w in workers if w.get("state") == ONLINE)
    figures["patrols_done"] = figures.get("patrols_complete", 0)
    return figures
