"""The command screen's map in Chromium: zoom, pan and fit-to-street, labels that fit,
clustered workers, a worker's track with its direction, a patrol's replay that moves, a
base map of tiles in GCJ-02, times in the street's zone; screenshots at 1920x1080 and
1366x768 in artifacts/."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect

from dispatch.bootstrap import bootstrap
from dispatch.org.model import OrgData
from tests.browser.conftest import (
    ARTIFACTS,
    LIVE_MS,
    CaseSpec,
    PageErrors,
    case_event,
    name_of,
    now_ms,
    open_screen,
)
from tests.browser.test_screen_page import busy_street, workers_on_map
from tests.conftest import PNG_1PX, LiveServer, emit, run_async
from tests.location.fixtures import local_ms, recent_morning, walk, worker_ref
from tests.location.walks import Outing, outing

WALL = {"width": 1920, "height": 1080}
DESK = {"width": 1366, "height": 768}
STREET_TZ = "Asia/Shanghai"
#: The browsers run in another zone than the street's: the screen must not care.
BROWSER_TZ = "America/Los_Angeles"
WORKER, GRID = "gw005", "005"
ZOOM_DELTA = 0.5
#: Past this zoom every worker is a dot of their own.
UNCLUSTERED_ZOOM = 16
TILES = "http://tiles.invalid/{z}/{x}/{y}.png"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"patrol_windows": "am=08:00-12:00,pm=14:00-18:00"}


@pytest.fixture
def open_page(browser: Browser, page_errors: PageErrors) -> Iterator[Callable[..., Page]]:
    """A page of a given size in a browser set to another time zone than the street's."""
    contexts = []

    def make(viewport: dict[str, int] = WALL) -> Page:
        context = browser.new_context(viewport=viewport, timezone_id=BROWSER_TZ)  # type: ignore[arg-type]
        contexts.append(context)
        page = context.new_page()
        page.on("console", page_errors.on_console)
        page.on("pageerror", page_errors.on_error)
        return page

    yield make
    for context in contexts:
        context.close()


def view(page: Page) -> tuple[float, tuple[float, float]]:
    """The map's zoom and centre, as the page publishes them."""
    el = page.locator("#map")
    lat, lon = (float(v) for v in (el.get_attribute("data-center") or "0,0").split(","))
    return float(el.get_attribute("data-zoom") or "nan"), (lat, lon)


def box(page: Page, selector: str) -> dict[str, float]:
    found = page.locator(selector).first.bounding_box()
    assert found is not None, selector
    return found


def centre(b: dict[str, float]) -> tuple[float, float]:
    return b["x"] + b["width"] / 2, b["y"] + b["height"] / 2


def street_clock(ts_ms: int) -> str:
    return datetime.fromtimestamp(ts_ms / 1000, ZoneInfo(STREET_TZ)).strftime("%H:%M:%S")


def recorded_patrol(live: LiveServer, street: OrgData,
                    tokens: Callable[[str], str]) -> tuple[dict[str, Any], Outing]:
    """A patrol of this morning (or yesterday's) with a stop and a walk outside the grid."""
    start = local_ms(recent_morning(), 9)

    async def begin() -> str:
        c = bootstrap(live.settings)
        try:
            record, _ = await c.patrols.start(worker_ref(street, WORKER), now=start - 1_000)
            return record.id
        finally:
            await c.aclose()

    patrol_id = str(run_async(begin()))
    done = outing(street, GRID, start)
    with live.client(tokens(WORKER)) as http:
        assert http.post("/api/v1/locations", json={"items": done.pings}).status_code == 200

    async def end() -> dict[str, Any]:  # the worker ended it on the phone as they came back
        c = bootstrap(live.settings)
        try:
            record = await c.patrols.store.get(patrol_id)
            assert record is not None
            return (await c.patrols.finish(record, at=done.end + 1_000, by="worker")).public()
        finally:
            await c.aclose()

    return dict(run_async(end())), done


def walk_today(live: LiveServer, street: OrgData, tokens: Callable[[str], str]) -> int:
    """The worker walked their grid for the last ten minutes (today, in the street's zone)."""
    now = now_ms()
    midnight = int(datetime.now(ZoneInfo(STREET_TZ)).replace(
        hour=0, minute=0, second=0, microsecond=0).timestamp() * 1000)
    start = max(now - 10 * 60_000, midnight + 1_000)
    pings = walk(street, GRID, start, minutes=max(0.5, (now - start) / 60_000 - 0.2), seed=3)
    with live.client(tokens(WORKER)) as http:
        r = http.post("/api/v1/locations", json={"items": pings})
    assert r.status_code == 200 and r.json()["stored"] == len(pings), r.text
    return len(pings)


def shoot(page: Page, name: str) -> None:
    page.mouse.move(2, 2)  # no hover tooltip in the picture
    page.wait_for_timeout(400)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


def test_zoom_pan_fit_labels_and_clusters(open_page: Callable[..., Page], live: LiveServer,
                                          seeded: OrgData, page_errors: PageErrors) -> None:
    page = open_page(WALL)
    open_screen(page, live, "disp1")
    emit(live.settings, *busy_street(seeded))
    expect(page.locator("#case-list li")).to_have_count(11, timeout=LIVE_MS)
    assert workers_on_map(page, 108) == 108
    fit_zoom, fit_centre = view(page)
    grid = '#map path.grid[data-grid="017"]'
    before = box(page, grid)
    label = page.locator('#map .grid-label[data-grid="017"]')
    expect(label).to_have_attribute("data-fit", "id")  # the id fits, the name does not yet
    marker = '#map .case-marker[data-case="C101"]'  # a red case in grid 003

    page.locator(".leaflet-control-zoom-in").click()
    expect(page.locator("#map")).to_have_attribute("data-zoom", f"{fit_zoom + ZOOM_DELTA:.2f}")
    page.wait_for_timeout(400)  # the zoom's animation
    after = box(page, grid)
    assert after["width"] == pytest.approx(before["width"] * 2 ** ZOOM_DELTA, rel=0.05)
    x, y = centre(box(page, marker))
    g3 = box(page, '#map path.grid[data-grid="003"]')
    assert g3["x"] < x < g3["x"] + g3["width"] and g3["y"] < y < g3["y"] + g3["height"]

    map_box = box(page, "#map")
    cx, cy = map_box["x"] + map_box["width"] / 2, map_box["y"] + map_box["height"] / 2
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.mouse.move(cx - 120, cy - 80, steps=8)
    page.wait_for_timeout(200)  # held still before letting go: no inertia after the drag
    page.mouse.up()
    page.wait_for_timeout(300)
    moved = box(page, grid)
    assert moved["x"] == pytest.approx(after["x"] - 120, abs=3)
    assert moved["y"] == pytest.approx(after["y"] - 80, abs=3)
    assert view(page)[1] != fit_centre

    page.mouse.move(*centre(box(page, grid)))
    for _ in range(3):  # the wheel zooms in where the pointer is
        page.mouse.wheel(0, -240)
        page.wait_for_timeout(350)
    assert view(page)[0] >= UNCLUSTERED_ZOOM
    expect(label).to_have_attribute("data-fit", "name")
    expect(label).to_contain_text("第")
    expect(page.locator("#map .worker-cluster")).to_have_count(0)  # every worker a dot
    expect(page.locator('#map .worker[data-worker="gw017"]')).to_be_visible()

    page.locator("#map-fit").click()
    expect(page.locator("#map")).to_have_attribute("data-zoom", f"{fit_zoom:.2f}")
    page.locator(".leaflet-control-zoom-out").click()
    expect(page.locator("#map")).to_have_attribute("data-zoom", f"{fit_zoom - ZOOM_DELTA:.2f}")
    expect(page.locator("#map .worker-cluster").first).to_be_attached()  # de-cluttered
    assert workers_on_map(page, 108) == 108
    page.locator("#map-fit").click()
    expect(page.locator("#map")).to_have_attribute("data-zoom", f"{fit_zoom:.2f}")
    shoot(page, "map-1920.png")
    assert page_errors.items == []


def test_a_workers_track_and_a_patrol_replay(open_page: Callable[..., Page], live: LiveServer,
                                             seeded: OrgData, tokens: Callable[[str], str],
                                             page_errors: PageErrors) -> None:
    patrol, done = recorded_patrol(live, seeded, tokens)
    fixes_today = walk_today(live, seeded, tokens)
    page = open_page(WALL)
    open_screen(page, live, "disp1")
    # the clock at the top tells the street's time, not the browser's
    shanghai = datetime.now(ZoneInfo(STREET_TZ)).strftime("%H:%M")
    expect(page.locator("#clock")).to_contain_text(shanghai[:4])

    dot = page.locator(f'#map .worker[data-worker="{WORKER}"]')
    expect(dot).to_have_attribute("data-state", "idle", timeout=LIVE_MS)
    dot.click()
    card = page.locator("#card")
    name = name_of(seeded, WORKER)
    expect(card.locator("#card-title")).to_have_text(name)
    if patrol["date"] == datetime.now(ZoneInfo(STREET_TZ)).date().isoformat():
        fixes_today += len(done.pings)  # after noon this morning's patrol is today's too
    expect(card.locator(".track-status")).to_have_text(re.compile(rf"^{fixes_today} 个定位点"))
    line = page.locator("#map path.track.track-today")
    expect(line).to_be_visible()
    expect(line).to_have_css("stroke-width", re.compile(r"^([4-9]|\d\d)(\.\d+)?px$"))  # bold
    assert page.locator("#map .track-arrow.track-today").count() >= 2  # its direction
    expect(page.locator('#map .track-end[data-end="start"] span')).to_be_visible()
    shoot(page, "track-1920.png")

    card.locator(".card-subhead input.patrol-date").fill(patrol["date"])
    row = card.locator(f'.patrol-row[data-patrol="{patrol["id"]}"]')
    expect(row).to_contain_text("上午巡查")  # the window "am" by its name
    expect(row).to_contain_text(name)
    row.locator(".patrol-replay").click()

    replay = page.locator("#replay")
    expect(replay).to_be_visible()
    expect(replay).to_have_attribute("data-patrol", patrol["id"])
    expect(replay.locator(".replay-outside")).to_have_count(1)
    expect(replay.locator(".replay-stop")).to_have_count(1)
    expect(page.locator("#map .track-stop.track-replay")).to_have_count(1)
    expect(page.locator("#card")).to_have_attribute("data-kind", "patrol")
    expect(page.locator("#card .patrol-stops li")).to_have_count(1)
    expect(replay).to_have_attribute("data-playing", "true")

    replay.locator('[data-speed="60"]').click()
    expect(replay).to_have_attribute("data-speed", "60")
    t1 = int(replay.get_attribute("data-t") or 0)
    at1 = centre(box(page, "#map .replay-dot"))
    page.wait_for_timeout(1000)
    t2 = int(replay.get_attribute("data-t") or 0)
    at2 = centre(box(page, "#map .replay-dot"))
    assert t2 - t1 >= 30_000  # a second at x60: about a minute of the patrol
    assert at1 != at2  # the position moves along the track
    replay.locator(".replay-play").click()
    expect(replay).to_have_attribute("data-playing", "false")
    paused = replay.get_attribute("data-t")
    page.wait_for_timeout(300)
    assert replay.get_attribute("data-t") == paused

    middle = (done.outside[0] + done.outside[1]) // 2
    replay.locator(".replay-slider").evaluate(
        "(s, v) => { s.value = String(v); s.dispatchEvent(new Event('input')); }", middle)
    expect(page.locator("#map .replay-dot")).to_have_attribute("data-state", "outside")
    expect(replay.locator(".replay-status")).to_have_text("出格")
    shown = int(replay.get_attribute("data-t") or 0)
    expect(replay.locator(".replay-time")).to_have_text(street_clock(shown))
    shoot(page, "replay-1920.png")

    page.locator("#card .patrol-stops li").click()  # to the stop
    expect(page.locator("#map .replay-dot")).to_have_attribute("data-state", "inside")
    replay.locator(".replay-close").click()
    expect(replay).to_be_hidden()
    expect(page.locator("#map .replay-dot")).to_have_count(0)
    assert page_errors.items == []


def test_the_map_at_a_1366_desk(open_page: Callable[..., Page], live: LiveServer,
                                seeded: OrgData, tokens: Callable[[str], str],
                                page_errors: PageErrors) -> None:
    patrol, _ = recorded_patrol(live, seeded, tokens)
    page = open_page(DESK)
    open_screen(page, live, "disp1")
    emit(live.settings, *busy_street(seeded))
    assert workers_on_map(page, 108) == 108
    expect(page.locator("#map .worker-cluster").first).to_be_attached()
    shoot(page, "map-1366.png")

    page.locator("#patrols-open").click()
    card = page.locator("#card")
    expect(card).to_have_attribute("data-kind", "patrols")
    card.locator("input.patrol-date").fill(patrol["date"])
    row = card.locator(f'.patrol-row[data-patrol="{patrol["id"]}"]')
    expect(row).to_have_attribute("data-status", patrol["status"])
    row.click()
    replay = page.locator("#replay")
    expect(replay.locator(".replay-stop")).to_have_count(1)
    map_box = box(page, "#map")
    # the desk (cases with their department, alerts) takes the rest of a 1366 px wall
    assert map_box["width"] >= 660 and map_box["height"] >= 380
    for part in (".replay-play", '.replay-speeds [data-speed="60"]', ".replay-slider",
                 ".replay-time", ".replay-close"):
        b = box(page, f"#replay {part}")
        assert b["x"] >= map_box["x"] and b["x"] + b["width"] <= map_box["x"] + map_box["width"]
        assert b["y"] + b["height"] <= DESK["height"], part
    replay.locator(".replay-slider").evaluate(
        "(s) => { s.value = String((Number(s.min) + Number(s.max)) / 2);"
        " s.dispatchEvent(new Event('input')); }")
    shoot(page, "replay-1366.png")

    page.locator(".topbar .lang-toggle").click()  # the same names in English
    expect(replay.locator(".replay-title")).to_contain_text("Track replay")
    expect(replay.locator(".replay-info")).to_contain_text("Morning patrol")
    expect(page.locator("#card #card-title")).to_contain_text("Morning patrol")
    assert page_errors.items == []


@pytest.mark.parametrize("settings_overrides", [{
    "map_tiles_url": TILES, "map_tiles_crs": "gcj02", "map_tiles_attribution": "测试底图",
    "map_tiles_subdomains": "ab"}])
def test_a_gcj02_base_map(open_page: Callable[..., Page], live: LiveServer, seeded: OrgData,
                          page_errors: PageErrors) -> None:
    asked: list[str] = []

    def tile(route: Any) -> None:
        asked.append(route.request.url)
        route.fulfill(status=200, content_type="image/png", body=PNG_1PX)

    page = open_page(WALL)
    page.route("http://tiles.invalid/**", tile)
    open_screen(page, live)
    expect(page.locator("#map")).to_have_attribute("data-crs", "gcj02")
    expect(page.locator("#map img.leaflet-tile-loaded").first).to_be_attached()
    assert asked and all(re.fullmatch(r"http://tiles\.invalid/\d+/\d+/\d+\.png", u) for u in asked)
    expect(page.locator(".leaflet-control-attribution")).to_contain_text("测试底图")
    # positions move by the GCJ-02 offset (hundreds of metres near Tianjin) through gcoord
    shift = page.evaluate("""async () => {
        const m = await import("/static/screen/basemap.js");
        const [lat, lon] = m.createBaseMap({url: "x/{z}/{x}/{y}", crs: "gcj02"})
            .toMap(117.42, 39.03);
        const [wLat, wLon] = m.createBaseMap(null).toMap(117.42, 39.03);
        return [(lon - 117.42) * 86_500, (lat - 39.03) * 111_000, wLon - 117.42, wLat - 39.03];
    }""")
    east_m, north_m, w_east, w_north = shift
    assert 100 < (east_m**2 + north_m**2) ** 0.5 < 1000 and (w_east, w_north) == (0, 0)
    emit(live.settings, case_event(seeded, CaseSpec("C201", "017", "red", -5)))
    expect(page.locator('#map .case-marker[data-case="C201"]')).to_have_attribute(
        "data-light", "red", timeout=LIVE_MS)
    x, y = centre(box(page, '#map .case-marker[data-case="C201"]'))
    g = box(page, '#map path.grid[data-grid="017"]')  # converted alike: still in its grid
    assert g["x"] < x < g["x"] + g["width"] and g["y"] < y < g["y"] + g["height"]
    assert page_errors.items == []
