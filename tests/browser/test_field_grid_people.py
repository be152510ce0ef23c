"""The field app for a grid's other people (一格多员), on phone-sized Chromium with emulated
GPS: an informant (网格信息员) sees only reporting and their own reports, is never tracked
(no position stream, no patrol, no phone socket), and solves a simple problem on the spot
with a photo, which the grid's worker then verifies; a grid assistant (网格辅助员) patrols
and reports in their grid."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import expect

from dispatch.org.model import OrgData
from tests.browser.conftest import grid_centre, name_of
from tests.browser.test_field_app import (  # noqa: F401
    LIVE_MS,
    Phones,
    api,
    phones,
    shot,
    sign_in,
    take_photo,
)
from tests.conftest import LiveServer

SIMPLE_ITEM = "SR04"  # flyers (小广告): simple tier, solved on the spot
#: Counts the page's calls to watchPosition (tracking) before the app loads.
WATCH_SPY = """
window.__watches = 0;
const original = navigator.geolocation.watchPosition.bind(navigator.geolocation);
navigator.geolocation.watchPosition = (...args) => { window.__watches += 1;
  return original(...args); };
"""
TRACKING_PATHS = ("/api/v1/locations", "/api/v1/patrols", "/ws/phone", "/ws/team")


def tabs(page) -> list[str]:  # type: ignore[no-untyped-def]
    return [t.get_attribute("data-tab") for t in page.locator("#tabs [data-tab]").all()]


def test_an_informant_reports_and_solves_a_simple_problem_on_the_spot_untracked(
        phones: Phones, live: LiveServer, seeded: OrgData,  # noqa: F811
        tokens: Callable[[str], str]) -> None:
    lat, lon = grid_centre(seeded, "017")
    phone = phones(lat, lon)
    page = phone.page
    page.add_init_script(WATCH_SPY)
    calls: list[str] = []
    page.on("request", lambda r: calls.append(r.url))
    page.on("websocket", lambda ws: calls.append(ws.url))
    sign_in(page, live, "inf017-1")
    assert tabs(page) == ["report", "cases"]
    expect(page.locator('[data-tab="cases"]')).to_contain_text("我的上报")
    expect(page.locator("#sos-button")).to_have_count(0)
    expect(page.locator("#patrol-button")).to_have_count(0)
    page.click("#menu-button")
    expect(page.locator("#menu-user")).to_contain_text("网格信息员")
    expect(page.locator("#menu-tracking")).to_be_hidden()
    page.click("#menu-button")

    # the report's place from one position: the form says it is the phone's
    page.click('[data-tab="report"]')
    expect(page.locator("#report-place")).to_have_attribute("data-source", "gps",
                                                            timeout=LIVE_MS)
    page.fill("#report-search", SIMPLE_ITEM)
    page.click(f'#report-items [data-item="{SIMPLE_ITEM}"]')
    page.fill("#report-description", "楼道口小广告")
    take_photo(page, "report")
    page.click("#report-submit")
    expect(page.locator("#report-queue li[data-state=sent]")).to_have_count(1,
                                                                            timeout=LIVE_MS)

    # its own simple case, to solve on the spot with a photo
    page.click('[data-tab="cases"]')
    page.locator("#view-cases .centre button").click()
    task = page.locator("#case-todo [data-case]")
    expect(task).to_have_count(1, timeout=LIVE_MS)
    cid = task.get_attribute("data-case")
    assert cid
    expect(page.locator("#case-grid-panel")).to_have_count(0)
    task.locator("button").first.click()
    sheet = page.locator("#case-sheet")
    expect(sheet).to_have_attribute("data-case", cid, timeout=LIVE_MS)
    # the people by name: the informant reported it and holds it; routing is the system's
    expect(sheet.locator("dl.facts")).to_contain_text(name_of(seeded, "inf017-1"))
    assert "inf017-1" not in sheet.locator("dl.facts").inner_text()
    expect(sheet.locator(".timeline")).to_contain_text("系统")
    for refused in ("accept", "reject", "extend", "verify"):
        expect(sheet.locator(f'form[data-action="{refused}"]')).to_have_count(0)
    resolve = sheet.locator('form[data-action="resolve"]')
    resolve.locator("textarea").fill("已现场清除")
    take_photo(page, "resolve", shade=40)
    expect(resolve.locator(".thumbs")).to_have_attribute("data-count", "1")
    shot(page, "app-informant-solve", whole=True)
    resolve.locator('button[type="submit"]').click()
    expect(sheet).to_have_attribute("data-state", "resolved", timeout=LIVE_MS)
    expect(sheet.locator('form[data-action="verify"]')).to_have_count(0)

    # the grid's worker verifies it
    with api(live, tokens("gw017")) as c:
        got = c.get(f"/api/v1/cases/{cid}").json()
        assert (got["reporter"], got["assignee"], got["tier"]) == ("inf017-1", "inf017-1",
                                                                    "simple")
        assert len(got["media"]) == 2  # the report's photo and the result's
        done = c.post(f"/api/v1/cases/{cid}/verify", json={"ok": True, "note": "已核实"})
        assert done.status_code == 200, done.text
        assert done.json()["state"] == "closed"

    # never tracked: no position stream, no patrol, no phone socket, no watchPosition
    assert [u for u in calls if any(p in u for p in TRACKING_PATHS)] == []
    assert page.evaluate("window.__watches") == 0
    assert phone.errors.items == []


def test_a_grid_assistant_patrols_and_reports_in_their_grid(
        phones: Phones, live: LiveServer, seeded: OrgData,  # noqa: F811
        tokens: Callable[[str], str]) -> None:
    lat, lon = grid_centre(seeded, "017")
    phone = phones(lat, lon)
    page = phone.page
    sign_in(page, live, "ga017")  # the phone socket is open (sign_in waits for it)
    assert tabs(page) == ["patrol", "report", "cases"]
    page.click("#menu-button")
    expect(page.locator("#menu-user")).to_contain_text("网格辅助员")
    expect(page.locator("#menu-tracking")).to_be_hidden()  # no tracking app set-up of its own
    page.click("#menu-button")
    page.click('[data-tab="patrol"]')
    page.click("#patrol-button")
    expect(page.locator("#view-patrol")).to_have_attribute("data-patrol", "in_progress",
                                                          timeout=LIVE_MS)
    with api(live, tokens("disp1")) as c:
        items = c.get("/api/v1/patrols", params={"worker": "ga017"}).json()["items"]
    assert [p["worker"] for p in items] == ["ga017"]
    page.click('[data-tab="report"]')
    expect(page.locator("#report-place")).to_have_attribute("data-source", "gps",
                                                            timeout=LIVE_MS)
    assert phone.errors.items == []
