"""Health, readiness, metrics and the OpenAPI description."""

from __future__ import annotations

from collections.abc import Callable

from starlette.routing import Route

from dispatch.app import create_app
from tests.conftest import LiveServer


def test_health_and_ready(live: LiveServer) -> None:
    with live.client() as c:
        assert c.get("/healthz").json() == {"status": "ok"}
        assert c.get("/readyz").json() == {"status": "ready"}


def test_not_ready_without_redis(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import running

    dead = settings.replace(redis_url="redis://127.0.0.1:1/0")
    with running(dead) as live, live.client() as c:
        assert c.get("/healthz").status_code == 200
        r = c.get("/readyz")
    assert r.status_code == 503
    assert r.json()["error"]["code"] == "redis_unreachable"


def test_metrics_count_requests(live: LiveServer, tokens: Callable[[str], str]) -> None:
    with live.client(tokens("disp1")) as c:
        c.get("/api/v1/grids")
        text = c.get("/metrics").text
    assert 'dispatch_http_requests_total{endpoint="grids",method="GET",status="200"} 1.0' in text
    assert 'dispatch_logins_total{result="ok"}' in text


def test_openapi_describes_every_http_route(live: LiveServer) -> None:
    with live.client() as c:
        doc = c.get("/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    for route in create_app().routes:
        if isinstance(route, Route):
            for method in (route.methods or set()) - {"HEAD"}:
                op = doc["paths"][route.path][method.lower()]
                assert op["summary"]
    assert doc["paths"]["/api/v1/me"]["get"]["security"] == [{"bearer": []}]
    assert doc["paths"]["/api/v1/login"]["post"]["security"] == []


def test_readme_documents_every_setting() -> None:
    from pathlib import Path

    from dispatch.settings import Settings

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    missing = [env for env, _, _ in Settings.describe() if f"`{env}`" not in readme]
    assert missing == []
