"""SOS from a phone: an app's alarm, or the field app's button."""

from __future__ import annotations

from collections.abc import Sequence

from dispatch.bootstrap import Container
from dispatch.location.apps import AppReport
from dispatch.location.directory import WorkerRef


async def alarms(c: Container, worker: WorkerRef, reports: Sequence[AppReport],
                 source: str) -> None:
    """Raise an SOS for every report that carries the SOS alarm."""
    for report in reports:
        if report.sos:
            pass
