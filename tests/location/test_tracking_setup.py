"""The tracking setup page's facts: the public URL (never this machine's address), the
device id or login, and QR codes the apps import."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest
import segno
import shapely  # type: ignore[import-untyped,unused-ignore]

from dispatch.org.model import OrgData
from dispatch.settings import Settings
from tests.conftest import LiveServer, running

PUBLIC = "https://grid.example.cn/jlc"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"public_url": PUBLIC}


def test_setup_gives_the_public_url_ids_and_qr_codes(
        live: LiveServer, seeded: OrgData, tokens: Callable[[str], str]) -> None:
    with live.client(tokens("gw007")) as http:
        setup = http.get("/api/v1/me/tracking").json()
        assert http.get("/static/app/tracking.html").status_code == 200
    assert setup["public_url"] == PUBLIC and setup["configured"] and setup["reachable"]
    traccar = setup["traccar"]
    assert traccar["url"] == f"{PUBLIC}/osmand" and traccar["device_id"] == "gw007"
    # what Traccar Client does with a scanned URL: origin + path is the server, the query
    # its settings
    scanned = urlsplit(traccar["config_url"])
    assert f"{scanned.scheme}://{scanned.netloc}{scanned.path}" == traccar["url"]
    assert parse_qs(scanned.query)["id"] == ["gw007"]
    assert traccar["qr"] == segno.make(traccar["config_url"], error="m").svg_data_uri(scale=4)
    own = setup["owntracks"]
    assert own["url"] == f"{PUBLIC}/owntracks" and own["username"] == "gw007"
    inline = own["config_url"].split("inline=", 1)[1]
    config = orjson.loads(base64.b64decode(inline))
    assert (config["_type"], config["mode"], config["url"], config["username"]) == (
        "configuration", 3, own["url"], "gw007")
    [region] = config["waypoints"]
    grid = next(f for f in seeded.grids["features"] if f["properties"]["id"] == "007")
    assert region["desc"] == grid["properties"]["name"]  # the region transitions name
    polygon = shapely.geometry.shape(grid["geometry"])
    assert polygon.contains(shapely.geometry.Point(region["lon"], region["lat"]))
    assert own["qr"].startswith("data:image/svg+xml")


def test_without_a_public_url_the_page_warns(seeded: OrgData, settings: Settings) -> None:
    with running(settings.replace(public_url=None)) as live:
        token = live.login("gw001")
        with live.client(token) as http:
            setup = http.get("/api/v1/me/tracking").json()
        with live.client(live.login("disp1")) as http:
            assert http.get("/api/v1/me/tracking").status_code == 403  # grid workers only
    assert setup["traccar"]["url"] == f"{live.url}/osmand"  # the address the page came from
    assert not setup["configured"] and not setup["reachable"]  # 127.0.0.1: the page warns
