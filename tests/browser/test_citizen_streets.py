"""The public page of one street of a multi-street deployment: chosen by ?street=, it lists
the streets to choose from, files into its own street and follows the request there."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import Browser, expect

from dispatch.org.model import OrgData
from tests.browser.conftest import READY_MS, PageErrors
from tests.browser.phones import PHONE
from tests.conftest import LiveServer
from tests.test_district import HOME, OTHER, call, login  # noqa: F401
from tests.test_district_home import district, settings_overrides  # noqa: F401

LIVE_MS = 5_000


def test_a_streets_page_files_into_that_street(
        browser: Browser, live: LiveServer, district: dict[str, OrgData],  # noqa: F811
        login: Callable[[str], str], page_errors: PageErrors) -> None:  # noqa: F811
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.on("console", page_errors.on_console)
    page.on("pageerror", page_errors.on_error)
    try:
        page.goto(f"{live.url}/report?street={OTHER}")
        page.wait_for_selector("body[data-ready=true]", timeout=READY_MS)
        choice = page.locator("#street-choice a")
        expect(choice).to_have_count(2)
        expect(page.locator('#street-choice a[aria-current="page"]')).to_have_text("华东街道")
        page.select_option("#report-service", "SS01")
        page.locator('#report-map path.grid[data-grid="005"]').click()
        expect(page.locator("#report-place")).to_have_attribute("data-placed", "true")
        page.fill("#report-description", "路灯不亮")
        page.click("#report-submit")
        expect(page.locator("#report-done")).to_be_visible(timeout=LIVE_MS)
        cid = page.locator("#done-id").inner_text()
        theirs: Any = call(live, login(f"disp1@{OTHER}"), "GET", f"/api/v1/cases/{cid}")
        assert theirs.status_code == 200 and theirs.json()["grid"] == "005"
        home: Any = call(live, login("disp1"), "GET", "/api/v1/cases")
        assert home.json()["items"] == []  # nothing filed at home
        page.click("#done-link")  # followed by its code alone, wherever it was filed
        page.wait_for_selector("body[data-ready=true]", timeout=READY_MS)
        expect(page.locator("#request-id")).to_have_text(cid, timeout=LIVE_MS)
        expect(page.locator("#request-status")).to_have_attribute("data-status", "open")
        assert page_errors.items == []
    finally:
        context.close()
