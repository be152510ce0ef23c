"""The public page (/report) on a phone-sized Chromium: a resident reports a problem with a
place on the map and a photo, through the Open311 API; the case is handled; the page
then shows it closed, and the resident rates it (artifacts/citizen-*.png)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import Browser, FilePayload, expect

from dispatch.org.model import OrgData
from tests.browser.conftest import ARTIFACTS, READY_MS, PageErrors
from tests.browser.phones import PHONE
from tests.conftest import PNG_1PX, LiveServer

LIVE_MS = 5_000


def _case(live: LiveServer, token: str, cid: str) -> dict[str, Any]:
    with live.client(token) as http:
        r = http.get(f"/api/v1/cases/{cid}")
    assert r.status_code == 200, r.text
    return dict(r.json())


def _act(live: LiveServer, token: str, cid: str, action: str, **body: Any) -> None:
    with live.client(token) as http:
        r = http.post(f"/api/v1/cases/{cid}/{action}", json=body)
    assert r.status_code == 200, r.text


def test_a_resident_reports_follows_and_rates(browser: Browser, live: LiveServer,
                                              seeded: OrgData, tokens: Callable[[str], str],
                                              page_errors: PageErrors) -> None:
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.on("console", page_errors.on_console)
    page.on("pageerror", page_errors.on_error)
    try:
        page.goto(f"{live.url}/report")
        page.wait_for_selector("body[data-ready=true]", timeout=READY_MS)
        page.select_option("#report-service", "SS01")  # a street light out
        page.locator('#report-map path.grid[data-grid="007"]').click()
        expect(page.locator("#report-place")).to_have_attribute("data-placed", "true")
        page.fill("#report-description", "小区门口路灯不亮，晚上很黑")
        page.set_input_files("#report-photo", FilePayload(name="light.png", mimeType="image/png",
                                                          buffer=PNG_1PX))
        page.fill("#report-phone", "13900000000")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "citizen-report.png"), full_page=True)
        page.click("#report-submit")
        expect(page.locator("#report-done")).to_be_visible(timeout=LIVE_MS)
        cid = page.locator("#done-id").inner_text()
        assert len(page.locator("#done-token").inner_text()) >= 16  # the follow-up code

        desk = _case(live, tokens("disp1"), cid)
        assert (desk["grid"], desk["source"], desk["item"]) == ("007", "open311", "SS01")
        assert desk["citizen"] == {"phone": "13900000000"} and len(desk["media"]) == 1
        with live.client(tokens("admin")) as http:
            member = http.get(f"/api/v1/departments/{desk['department']}").json()["members"][0]
        _act(live, tokens(member), cid, "accept")
        _act(live, tokens(member), cid, "resolve", note="已更换灯泡")
        _act(live, tokens("gw007"), cid, "verify", ok=True)

        page.click("#done-link")
        page.wait_for_selector("body[data-ready=true]", timeout=READY_MS)
        expect(page.locator("#request-status")).to_have_attribute("data-status", "closed",
                                                                  timeout=LIVE_MS)
        expect(page.locator("#request-status")).to_have_text("已办结")
        expect(page.locator("#request-notes")).to_have_text("已现场核查，办结")
        expect(page.locator("#request-photo")).to_be_visible()
        page.check('#rating-form input[name="score"][value="4"]')
        page.fill("#rating-note", "修得挺快")
        page.click("#rating-form button[type=submit]")
        expect(page.locator("#request-rating")).to_contain_text("4", timeout=LIVE_MS)
        expect(page.locator("#rating-form")).to_be_hidden()
        page.screenshot(path=str(ARTIFACTS / "citizen-rated.png"), full_page=True)
        ratings = _case(live, tokens("disp1"), cid)["ratings"]
        assert [(r["rater"], r["score"], r["note"]) for r in ratings] == [
            ("citizen", 4, "修得挺快")]
        assert page_errors.items == []
    finally:
        context.close()
