"""Alerts: one model for every situation the centre, a station or a department must see.

Other areas call the service on the container::

    await container.alerts.raise_alert(AlertKind.SOS, subject=Subject(worker="gw017"),
                                       scope=Scope(station="S02"), data={"lat": .., "lon": ..})
    await container.alerts.clear(AlertKind.SOS, Subject(worker="gw017"), reason="safe")
"""

from dispatch.alerts.model import (
    AlertAction,
    AlertKind,
    AlertState,
    Owner,
    Scope,
    Severity,
    Subject,
)
from dispatch.alerts.service import AlertService
from dispatch.alerts.store import Condition, Raised

__all__ = [
    "AlertAction",
    "AlertKind",
    "AlertService",
    "AlertState",
    "Condition",
    "Owner",
    "Raised",
    "Scope",
    "Severity",
    "Subject",
]
