"""Location and patrol requests for the authorization matrix (every allowed role gets 2xx).

The matrix module sets patrol windows covering the whole day (``ALL_DAY_WINDOWS``) so
that a patrol can start whenever it runs.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from dispatch.bootstrap import Container
from tests.conftest import PASSWORD, LiveServer
from tests.location.fixtures import now_ms, with_service, worker_ref_of

Prepare = Callable[[LiveServer, str], str]
WORKER = "gw001"
LAT, LON = 39.03, 117.42
OSMAND = f"/osmand?id={WORKER}&lat={LAT}&lon={LON}&speed=1.0&bearing=90&accuracy=5&batt=80"


def _patrol_path(suffix: str) -> Prepare:
    """A patrol of the worker (the open one, or a new one) and the path to ``suffix`` it."""

    def prepare(live: LiveServer, username: str) -> str:
        async def go(c: Container) -> str:
            ref = await worker_ref_of(c, WORKER)
            record, _ = await c.patrols.start(ref)
            return record.id

        patrol_id = with_service(live.settings, go)
        return f"/api/v1/patrols/{patrol_id}{suffix}"

    return prepare


def examples() -> dict[tuple[str, str], dict[str, Any]]:
    owntracks_auth = "Basic " + base64.b64encode(f"{WORKER}:{PASSWORD}".encode()).decode()
    location = {"_type": "location", "lat": LAT, "lon": LON, "tst": now_ms() // 1000,
                "acc": 5, "tid": "01"}
    return {
        ("POST", "/api/v1/locations"): {"json": {"items": [
            {"lat": LAT, "lon": LON, "ts": now_ms() - 1_000}]}},
        ("GET", "/osmand"): {"path": OSMAND},
        ("POST", "/osmand"): {"path": OSMAND},
        ("PUT", "/osmand"): {"path": OSMAND},
        ("GET", "/osmand/"): {"path": OSMAND.replace("/osmand", "/osmand/")},
        ("POST", "/osmand/"): {"path": OSMAND.replace("/osmand", "/osmand/")},
        ("PUT", "/osmand/"): {"path": OSMAND.replace("/osmand", "/osmand/")},
        ("POST", "/owntracks"): {"json": location,
                                 "headers": {"Authorization": owntracks_auth}},
        ("POST", "/owntracks/"): {"json": location,
                                  "headers": {"Authorization": owntracks_auth}},
        ("GET", "/api/v1/workers"): {},
        ("GET", "/api/v1/me/tracking"): {},
        ("GET", "/api/v1/workers/{username}/track"): {"path": f"/api/v1/workers/{WORKER}/track"},
        ("POST", "/api/v1/patrols/start"): {},
        ("POST", "/api/v1/patrols/{id}/end"): {"prepare": _patrol_path("/end")},
        ("GET", "/api/v1/patrols"): {},
        ("GET", "/api/v1/patrols/{id}"): {"prepare": _patrol_path("")},
        ("GET", "/api/v1/patrols/{id}/track"): {"prepare": _patrol_path("/track")},
    }
