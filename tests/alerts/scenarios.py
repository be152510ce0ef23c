"""Alerts for the authorization matrix: a fresh one per call, that a lead of cgj may act on."""

from __future__ import annotations

import itertools
from typing import Any

from dispatch.alerts import AlertKind, Scope, Subject
from dispatch.bootstrap import bootstrap
from tests.conftest import LiveServer, run_async

_numbers = itertools.count(1)


def fresh_alert(live: LiveServer) -> str:
    """An open escalation alert of a department whose lead is lead01 (cgj)."""

    async def go() -> str:
        c = bootstrap(live.settings)
        try:
            done = await c.alerts.raise_alert(
                AlertKind.CASE_ESCALATED, subject=Subject(case=f"C9{next(_numbers)}"),
                scope=Scope(station="S01", department="cgj"), data={"level": 1})
            return str(done.id)
        finally:
            await c.aclose()

    return str(run_async(go()))


def _path(suffix: str) -> Any:
    def prepare(live: LiveServer, user: str) -> str:
        return f"/api/v1/alerts/{fresh_alert(live)}{suffix}"

    return prepare


def examples() -> dict[tuple[str, str], dict[str, Any]]:
    return {
        ("GET", "/api/v1/alerts"): {},
        ("GET", "/api/v1/alerts/{id}"): {"prepare": _path("")},
        ("POST", "/api/v1/alerts/{id}/ack"): {"prepare": _path("/ack"),
                                              "json": {"note": "收到"}},
        ("POST", "/api/v1/alerts/{id}/resolve"): {"prepare": _path("/resolve"),
                                                  "json": {"note": "已处理"}},
    }
