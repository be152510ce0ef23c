"""The whistle (吹哨报到) on the dispatcher's desk, in Chromium: blown from the case card on
two departments, one member checks in on site and one 2 km away is refused, the card shows
who is on site; when the limit passes the late department is an alert on the screen."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from dispatch.org.model import OrgData
from tests.browser.conftest import (
    LIVE_MS,
    PageErrors,
    grid_centre,
    name_of,
    now_ms,
    open_screen,
    report_case,
)
from tests.browser.test_screen_desk import shoot, with_container
from tests.conftest import LiveServer

HW_ITEM = "SR01"
M_PER_DEG_LAT = 111_000.0


def send_fix(live: LiveServer, token: str, lat: float, lon: float) -> None:
    with live.client(token) as c:
        r = c.post("/api/v1/locations",
                   json={"items": [{"lat": lat, "lon": lon, "ts": now_ms() - 2_000, "acc": 6}]})
    assert r.status_code == 200, r.text


def test_the_whistle_on_the_desk(page: Page, live: LiveServer, seeded: OrgData,
                                 tokens: Callable[[str], str],
                                 page_errors: PageErrors) -> None:
    case = report_case(live, tokens("gw061"), HW_ITEM, *grid_centre(seeded, "061"))
    cid, lat, lon = case["id"], case["lat"], case["lon"]
    open_screen(page, live, "disp1")
    page.locator(f'#case-list li[data-case="{cid}"]').click()
    card = page.locator("#card")
    expect(card).to_have_attribute("data-key", cid)
    card.locator('[data-desk="whistle"]').click()
    form = card.locator('form[data-action="whistle"]')
    form.locator('input[value="cgj"]').check()
    form.locator('input[value="zhzf"]').check()
    form.locator('[name="respond_min"]').fill("20")
    form.locator('button[type="submit"]').click()
    expect(card.locator(".notice")).to_have_text("已提交", timeout=LIVE_MS)
    summoned = card.locator(".whistle li")
    expect(summoned).to_have_count(2, timeout=LIVE_MS)
    expect(card.locator('.whistle li[data-summoned="cgj"]')).to_contain_text("待报到")

    send_fix(live, tokens("dm001"), lat + 20 / M_PER_DEG_LAT, lon)
    send_fix(live, tokens("dm025"), lat + 2000 / M_PER_DEG_LAT, lon)
    with live.client(tokens("dm001")) as c:
        assert c.post(f"/api/v1/cases/{cid}/checkin").status_code == 200
    with live.client(tokens("dm025")) as c:
        far = c.post(f"/api/v1/cases/{cid}/checkin")
    assert (far.status_code, far.json()["error"]["code"]) == (409, "not_on_site")
    cgj = card.locator('.whistle li[data-summoned="cgj"]')
    expect(cgj).to_have_attribute("data-checked", "true", timeout=LIVE_MS)
    expect(cgj).to_contain_text(name_of(seeded, "dm001"))
    expect(card.locator('.whistle li[data-summoned="zhzf"]')).to_have_attribute(
        "data-checked", "false")
    expect(card.locator(".timeline")).to_contain_text("吹哨")
    # a whistle keeps the case's state: its row names that state once, not "A → A"
    whistled = card.locator(".timeline tbody tr", has_text="吹哨").first
    expect(whistled).not_to_contain_text("→")
    shoot(page, "desk-card-whistle")

    due = case["created"]  # the limit passes: the clock marks zhzf late
    with live.client(tokens("disp1")) as c:
        due = c.get(f"/api/v1/cases/{cid}").json()["whistle"]["due"]
    with_container(live, lambda c: c.cases.fire_whistles(due + 1))
    row = page.locator("#alert-list li[data-kind=checkin_late]")
    expect(row).to_have_count(1, timeout=LIVE_MS)
    expect(row).to_contain_text("吹哨未按时报到")
    expect(row).to_contain_text("综合执法")  # the department by its name, never its code
    expect(row).not_to_contain_text("zhzf")
    expect(card.locator('.whistle li[data-summoned="zhzf"]')).to_contain_text("未按时报到",
                                                                              timeout=LIVE_MS)
    shoot(page, "desk-alert-whistle")
    assert page_errors.items == []
