"""Joint handling (协办) on the command screen, in Chromium: the desk adds assisting
departments from the case card, each part shows on the card with its own light and state,
a part past its own deadline turns red while the other is reported, and the desk removes
one; screenshots at 1920x1080 and 1366x768."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from dispatch.org.model import OrgData
from tests.browser.conftest import (
    LIVE_MS,
    PageErrors,
    case_action,
    grid_centre,
    open_screen,
    report_case,
)
from tests.browser.test_screen_desk import card_action, shoot
from tests.conftest import LiveServer

HW_ITEM = "SR01"  # sanitation (hw) leads: members dm073.., 2 h on the calendar clock


def part_action(live: LiveServer, token: str, case: str, department: str, action: str,
                **body: object) -> None:
    with live.client(token) as c:
        r = c.post(f"/api/v1/cases/{case}/parts/{department}/{action}", json=body or None)
    assert r.status_code == 200, r.text


def test_the_parts_on_the_case_card(page: Page, live: LiveServer, seeded: OrgData,
                                    tokens: Callable[[str], str],
                                    page_errors: PageErrors) -> None:
    case = report_case(live, tokens("gw060"), HW_ITEM, *grid_centre(seeded, "060"))
    cid = case["id"]
    case_action(live, tokens("dm073"), cid, "accept")
    open_screen(page, live, "disp1")
    page.locator(f'#case-list li[data-case="{cid}"]').click()
    card = page.locator("#card")
    expect(card).to_have_attribute("data-key", cid)
    expect(card.locator(".parts")).to_have_count(0)  # a case alone shows as before
    # people by their names, not their logins: the reporter, the holder, the timeline's actors
    named = {p.user.username: p.user.name for p in seeded.people}
    fields = card.locator("dl.fields")
    expect(fields).to_contain_text(named["gw060"])
    expect(fields).to_contain_text(named["dm073"])
    expect(card.locator(".timeline tbody")).to_contain_text(named["dm073"])
    assert "gw060" not in fields.inner_text() and "dm073" not in fields.inner_text()

    card_action(page, "assist", department="cgj")
    card_action(page, "assist", department="zhzf", limit_hours="1")
    rows = card.locator(".parts li")
    expect(rows).to_have_count(2, timeout=LIVE_MS)
    cgj, zhzf = card.locator('.parts li[data-part="cgj"]'), card.locator(
        '.parts li[data-part="zhzf"]')
    expect(cgj).to_contain_text("城市管理")
    expect(cgj).to_contain_text("待接单")
    expect(cgj).to_have_attribute("data-light", "green")
    expect(card.locator(".timeline")).to_contain_text("增加协办部门")

    part_action(live, tokens("dm001"), cid, "cgj", "accept")
    part_action(live, tokens("dm001"), cid, "cgj", "resolve", note="已清运")
    part_action(live, tokens("dm025"), cid, "zhzf", "accept")
    expect(cgj).to_contain_text("已办结", timeout=LIVE_MS)
    expect(zhzf).to_contain_text("协办中")
    expect(zhzf).to_contain_text(named["dm025"])
    shoot(page, "desk-card-parts")

    # zhzf's own hour passes (the page's clock moves; the server judges the same way)
    page.clock.install()
    page.clock.fast_forward(61 * 60 * 1000)
    page.locator(f'#case-list li[data-case="{cid}"]').click()
    expect(zhzf).to_have_attribute("data-light", "red", timeout=LIVE_MS)
    expect(cgj).to_have_attribute("data-light", "green")

    zhzf.locator("[data-unassist]").click()
    form = card.locator('form[data-action="unassist"]')
    form.locator('[name="reason"]').fill("改由主办部门处置")
    form.locator('button[type="submit"]').click()
    expect(rows).to_have_count(1, timeout=LIVE_MS)
    with live.client(tokens("disp1")) as c:
        got = c.get(f"/api/v1/cases/{cid}").json()
    assert [p["department"] for p in got["parts"]] == ["cgj"]
    assert [e["action"] for e in got["timeline"]][-1] == "unassist"
    assert page_errors.items == []
