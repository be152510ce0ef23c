"""The field app (/app) for joint handling and the whistle, on phone-sized Chromium with
emulated GPS: a city-management member wins their department's part of an illegal-
construction case (协办) from the offer, reports it, and checks in on site when a whistle
summons the department (报到); a law-enforcement member 2 km away is refused."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import expect

from dispatch.org.model import OrgData
from tests.browser.conftest import LIVE_MS, grid_centre, report_case
from tests.browser.test_field_app import Phones, phones, shot, sign_in  # noqa: F401
from tests.conftest import LiveServer

M_PER_DEG_LAT = 111_000.0


def test_a_member_wins_a_part_and_checks_in_on_site(phones: Phones, live: LiveServer,  # noqa: F811
                                                    seeded: OrgData,
                                                    tokens: Callable[[str], str]) -> None:
    case = report_case(live, tokens("gw030"), "SR07", *grid_centre(seeded, "030"))
    cid, lat, lon = case["id"], case["lat"], case["lon"]
    assert [p["department"] for p in case["parts"]] == ["zhzf", "cgj"]

    member = phones(lat + 15 / M_PER_DEG_LAT, lon)  # on site
    sign_in(member.page, live, "dm001")
    page = member.page
    expect(page.locator("#offer")).to_have_attribute("data-case", cid, timeout=LIVE_MS)
    page.click("#offer-accept")
    sheet = page.locator("#case-sheet")
    expect(sheet).to_have_attribute("data-case", cid, timeout=LIVE_MS)
    expect(sheet.locator('.parts li[data-part="cgj"]')).to_contain_text("协办中",
                                                                        timeout=LIVE_MS)
    form = sheet.locator('form[data-action="part_resolve"]')
    form.locator("textarea").fill("已配合拆除")
    form.locator('button[type="submit"]').click()
    expect(sheet.locator('.parts li[data-part="cgj"]')).to_contain_text("已办结",
                                                                        timeout=LIVE_MS)
    with live.client(tokens("disp1")) as c:
        got = c.get(f"/api/v1/cases/{cid}").json()
        assert [(p["department"], p["state"], p["assignee"]) for p in got["parts"]][1] == (
            "cgj", "resolved", "dm001")
        blown = c.post(f"/api/v1/cases/{cid}/whistle",
                       json={"departments": ["cgj", "zhzf"], "respond_min": 30})
        assert blown.status_code == 200, blown.text

    page.locator("#case-sheet .back").click()
    page.locator(f'#held-list [data-case="{cid}"] button').first.click()
    expect(sheet.locator('[data-action="checkin"]')).to_be_visible(timeout=LIVE_MS)
    shot(page, "app-joint-checkin")
    sheet.locator('[data-action="checkin"]').click()
    expect(sheet.locator(".notice")).to_have_text("已提交", timeout=LIVE_MS)
    expect(sheet.locator('[data-action="checkin"]')).to_have_count(0, timeout=LIVE_MS)

    far = phones(lat + 2000 / M_PER_DEG_LAT, lon)  # 2 km away
    sign_in(far.page, live, "dm025")
    expect(far.page.locator("#offer")).to_have_attribute("data-case", cid, timeout=LIVE_MS)
    far.page.click("#offer-later")
    far.page.locator(f'#offer-list [data-case="{cid}"] .case-button').click()
    far_sheet = far.page.locator("#case-sheet")
    far_sheet.locator('[data-action="checkin"]').click()
    expect(far_sheet.locator(".notice.error")).to_contain_text("你还不在现场附近",
                                                               timeout=LIVE_MS)
    with live.client(tokens("disp1")) as c:
        whistle = c.get(f"/api/v1/cases/{cid}").json()["whistle"]
    by = {d["department"]: d["checkin"] for d in whistle["departments"]}
    assert by["cgj"]["member"] == "dm001" and by["cgj"]["distance_m"] < 40
    assert by["zhzf"] is None
    assert member.errors.items == []
    assert all("409" in e and "/checkin" in e for e in far.errors.items)  # the refusal only
