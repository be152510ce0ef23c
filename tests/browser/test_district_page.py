"""The district screen in Chromium: a district centre's user signs in, sees every street of
a three-street district, sees a case escalated to the district appear live, switches to
English, and drills down to a street's own command screen, which shows that street."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from dispatch.org.model import OrgData
from dispatch.settings import Settings
from tests.browser.conftest import ARTIFACTS, LIVE_MS, READY_MS, PageErrors
from tests.conftest import PASSWORD, LiveServer
from tests.districts import district_overrides, escalate_to_district, seed_small_district

GRIDS_PER_STREET = 48
DESK = {"width": 1366, "height": 768}


@pytest.fixture
def settings_overrides(tmp_path: Path) -> dict[str, Any]:
    return district_overrides(tmp_path, district_figures_every_s=1.0)


@pytest.fixture
def streets(settings: Settings) -> list[OrgData]:
    return seed_small_district(settings)


def open_district(page: Page, live: LiveServer, username: str = "district.screen") -> None:
    page.goto(f"{live.url}/district")
    page.fill("#login-username", username)
    page.fill("#login-password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_selector("#district-view[data-at]", state="attached", timeout=READY_MS)


def test_the_district_sees_its_streets_an_escalation_live_and_drills_down(
        page: Page, settings: Settings, streets: list[OrgData], live: LiveServer,
        page_errors: PageErrors) -> None:
    open_district(page, live)
    codes = [s.street.code for s in streets]
    expect(page.locator("#map path.street-area")).to_have_count(len(streets))
    for s in streets:
        expect(page.locator(f'#streets-body tr[data-street="{s.street.code}"]')) \
            .to_contain_text(s.street.name)
        expect(page.locator(f'#map .street-label-box[data-street="{s.street.code}"]')) \
            .to_contain_text(s.street.name)
    expect(page.locator('#totals [data-figure="streets"] .figure-value')).to_have_text("3")
    expect(page.locator("#conn")).to_have_attribute("data-state", "open")
    expect(page.locator("#escalation-empty")).to_be_visible()

    second = streets[1]
    case_id = escalate_to_district(settings, second, int(time.time() * 1000))
    item = page.locator(f'#escalation-list li[data-street="{second.street.code}"]'
                        f'[data-case="{case_id}"]')
    expect(item).to_contain_text(second.street.name, timeout=LIVE_MS)
    expect(item).to_contain_text("第 3 级督办")
    # the figures follow by the setting's clock: the street's row and its map colour
    row = page.locator(f'#streets-body tr[data-street="{second.street.code}"]')
    expect(row.locator('td[data-figure="escalated"]')).to_have_text("1", timeout=3 * LIVE_MS)
    expect(row.locator('td[data-figure="open"]')).to_have_text("1")
    page.select_option("#shade-figure", "escalated")
    expect(page.locator(f'#map path[data-street="{second.street.code}"]')) \
        .to_have_attribute("data-shade", "4")
    expect(page.locator(f'#map path[data-street="{codes[0]}"]')).to_have_attribute(
        "data-shade", "0")

    page.locator("#district-view .lang-toggle").click()
    expect(page.locator("#district-view h1 span")).to_have_text("District Command Centre")
    expect(item).to_contain_text("Escalation level 3")
    expect(page.locator("#streets-head")).to_contain_text("On-time rate")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "district-screen.png"))
    page.set_viewport_size(DESK)  # a desk: everything still on the page
    expect(page.locator("#escalation-list li")).to_have_count(1)
    page.screenshot(path=str(ARTIFACTS / "district-screen-1366.png"))

    page.locator(f'#map path[data-street="{second.street.code}"]').click()
    page.wait_for_url(f"**/?street={second.street.code}")
    page.wait_for_selector("#screen-view[data-seq]", state="attached", timeout=READY_MS)
    expect(page.locator("#map path.grid")).to_have_count(GRIDS_PER_STREET)
    expect(page.locator("#street-name")).to_have_text(second.street.name_en or
                                                      second.street.name)
    expect(page.locator(f"#case-list li[data-case=\"{case_id}\"]")).to_have_count(1)
    back = page.locator("#district-back")
    expect(back).to_be_visible()
    back.click()
    page.wait_for_selector("#district-view[data-at]", state="attached", timeout=READY_MS)
    page.goto(f"{live.url}/")  # the street screen without a street: the district's own
    page.wait_for_url("**/district")
    page.wait_for_selector("#district-view[data-at]", state="attached", timeout=READY_MS)
    assert page_errors.items == []


def test_a_streets_user_is_told_the_district_screen_is_not_theirs(
        page: Page, streets: list[OrgData], live: LiveServer, page_errors: PageErrors) -> None:
    code = streets[0].street.code
    page.goto(f"{live.url}/district")
    page.fill("#login-username", f"{code}.screen")
    page.fill("#login-password", PASSWORD)
    page.click("#login-submit")
    expect(page.locator("#refusal")).to_contain_text(f"{code}.screen", timeout=READY_MS)
    expect(page.locator("#refusal a")).to_have_attribute("href", "/")
