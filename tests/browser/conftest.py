"""Browser tests: the pages in a real headless Chromium (Debian's), against real uvicorn.

One browser per test module, a fresh context (cookies, storage) and page per test. Without
Chromium the tests skip, except in CI (``CI=true``) where a missing browser is a failure.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Error, Page, sync_playwright

from dispatch.org.model import OrgData
from tests.conftest import PASSWORD, PNG_1PX, LiveServer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
VIEWPORT = {"width": 1920, "height": 1080}
#: How long a live change may take to show on the page.
LIVE_MS = 2000
#: How long the page may take to sign in, draw the map and get its first snapshot.
READY_MS = 10_000
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


def chromium_path() -> str | None:
    if Path(CHROMIUM).is_file():
        return CHROMIUM
    return shutil.which("chromium")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    path = chromium_path()
    if path is None:
        message = "chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    # Playwright gives every launch a fresh, temporary user-data dir of its own.
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True,
                                     env={**os.environ,
                                          "HOME": str(tmp_path_factory.mktemp("chromium-home"))})
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class PageErrors:
    """Uncaught exceptions and console errors of a page (a test ends with none)."""

    items: list[str]

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.items.append(f"console: {message.text} ({message.location.get('url', '')})")

    def on_error(self, error: Error) -> None:
        self.items.append(f"page: {error}")


@pytest.fixture
def page_errors() -> PageErrors:
    return PageErrors([])


@contextlib.contextmanager
def screen_page(browser: Browser, page_errors: PageErrors) -> Iterator[Page]:
    """A page of its own (a wall screen, a desk), its errors collected in ``page_errors``."""
    context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    opened = context.new_page()
    opened.on("console", page_errors.on_console)
    opened.on("pageerror", page_errors.on_error)
    try:
        yield opened
    finally:
        context.close()


@pytest.fixture
def page(browser: Browser, page_errors: PageErrors) -> Iterator[Page]:
    with screen_page(browser, page_errors) as opened:
        yield opened


def open_screen(page: Page, live: LiveServer, username: str = "screen1") -> None:
    """Sign in on the screen and wait until its live stream has sent the first snapshot."""
    page.goto(f"{live.url}/")
    page.fill("#login-username", username)
    page.fill("#login-password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_selector("#screen-view[data-seq]", state="attached", timeout=READY_MS)




def now_ms() -> int:
    return int(time.time() * 1000)


def name_of(street: OrgData, username: str) -> str:
    """A person's name as the pages show it."""
    return next(p.user.name for p in street.people if p.user.username == username)


def grid_centre(street: OrgData, grid: str) -> tuple[float, float]:
    """(lat, lon) of the middle of a grid (the mean of its outer ring's corners)."""
    for feature in street.grids["features"]:
        if str(feature["properties"]["id"]) == grid:
            ring = feature["geometry"]["coordinates"][0][:-1]
            return (sum(p[1] for p in ring) / len(ring), sum(p[0] for p in ring) / len(ring))
    raise KeyError(grid)


def station_of(street: OrgData, grid: str) -> str:
    for feature in street.grids["features"]:
        if str(feature["properties"]["id"]) == grid:
            return str(feature["properties"]["station"])
    raise KeyError(grid)


#: What the screen shows of a worker, as the server says it: presence, patrol, out of grid.
SHOWN_STATES: dict[str, tuple[str, bool, bool]] = {
    "patrolling": ("online", True, False),
    "idle": ("online", False, False),
    "out_of_grid": ("online", True, True),
    "signal_lost": ("signal_lost", True, False),
    "offline": ("offline", False, False),
}


def position(street: OrgData, grid: str, shown: str = "patrolling", *, shift: float = 0.0,
             north: float = 0.0, ts: int | None = None) -> dict[str, Any]:
    """A `positions` item as the server sends it for the worker of ``grid``, ``shift``
    degrees east (and ``north`` degrees north) of the grid's middle."""
    lat, lon = grid_centre(street, grid)
    presence, patrolling, outside = SHOWN_STATES[shown]
    return {"worker": f"gw{grid}", "station": station_of(street, grid), "lat": lat + north,
            "lon": lon + shift, "ts": ts or now_ms(), "state": presence, "grid": grid,
            "patrol": f"P-{grid}" if patrolling else None, "out_of_grid": outside}


def send_fix(live: LiveServer, worker: str, lat: float, lon: float, ts_ms: int) -> None:
    """One fix as the Traccar Client phone app sends it (OsmAnd protocol)."""
    with live.client() as c:
        r = c.get("/osmand", params={"id": worker, "lat": lat, "lon": lon,
                                     "timestamp": ts_ms, "batt": 76})
    assert r.status_code == 200, r.text


def report_case(live: LiveServer, token: str, item: str, lat: float, lon: float,
                **extra: Any) -> dict[str, Any]:
    """A report through the case API; returns the case."""
    body = {"client_id": f"browser-{item}-{lat}-{lon}", "item": item, "lat": lat, "lon": lon,
            "description": "路口违停，影响通行", **extra}
    with live.client(token) as c:
        r = c.post("/api/v1/cases", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def case_action(live: LiveServer, token: str, case: str, action: str,
                **body: Any) -> dict[str, Any]:
    with live.client(token) as c:
        r = c.post(f"/api/v1/cases/{case}/{action}", json=body)
    assert r.status_code == 200, r.text
    return dict(r.json())


def department_lead(live: LiveServer, token: str, department: str) -> str:
    with live.client(token) as c:
        return str(c.get(f"/api/v1/departments/{department}").json()["lead"])


def upload_photo(live: LiveServer, token: str) -> str:
    with live.client(token) as c:
        r = c.post("/api/v1/media", files={"file": ("photo.png", PNG_1PX, "image/png")})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


@dataclass(frozen=True)
class CaseSpec:
    id: str
    grid: str
    light: str | None
    left_min: int
    item: str = "ZA09"
    item_name: str = "机动车违停占道"
    category: str = "ZA"
    department: str | None = "jj"
    state: str = "dispatched"


def case_event(street: OrgData, spec: CaseSpec) -> dict[str, Any]:
    lat, lon = grid_centre(street, spec.grid)
    now = now_ms()
    deadline = now + spec.left_min * 60_000
    return {"type": "case", "case": {
        "id": spec.id, "item": spec.item, "item_name": spec.item_name,
        "category": spec.category, "grid": spec.grid, "station": station_of(street, spec.grid),
        "state": spec.state, "department": spec.department, "assignee": None,
        "reporter": f"gw{spec.grid}", "lat": lat, "lon": lon, "created": now - 3_600_000,
        "deadline": deadline, "yellow_at": deadline - 30 * 60_000, "light": spec.light,
    }}
