"""The station's screen (网格站), in Chromium: a station lead signs in to the command screen
and sees the station's grids, cases and alerts only; the desk offers them the whistle
(吹哨) on the station's own cases; a department late on site is an alert on the station's
screen and on the centre's, while another station's whistle stays off the station's; the
department's check-in then clears the alert on both."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from dispatch.org.model import OrgData
from tests.browser.conftest import (
    LIVE_MS,
    PageErrors,
    grid_centre,
    name_of,
    open_screen,
    report_case,
    screen_page,
    station_of,
)
from tests.browser.test_screen_desk import shoot, with_container
from tests.browser.test_screen_whistle import M_PER_DEG_LAT, send_fix
from tests.conftest import LiveServer

HW_ITEM = "SR01"  # sanitation (hw) leads
LEAD, STATION = "sl01", "S01"  # grids 001..010
OWN_GRID, OTHER_GRID = "003", "013"


@pytest.fixture
def centre(browser: Browser, page_errors: PageErrors) -> Iterator[Page]:
    """A second page: the centre's screen, signed in as a dispatcher."""
    with screen_page(browser, page_errors) as opened:
        yield opened


def test_the_station_screen_and_its_whistle(page: Page, centre: Page, live: LiveServer,
                                            seeded: OrgData, tokens: Callable[[str], str],
                                            page_errors: PageErrors) -> None:
    assert (station_of(seeded, OWN_GRID), station_of(seeded, OTHER_GRID)) == (STATION, "S02")
    own = report_case(live, tokens(f"gw{OWN_GRID}"), HW_ITEM, *grid_centre(seeded, OWN_GRID))
    other = report_case(live, tokens(f"gw{OTHER_GRID}"), HW_ITEM,
                        *grid_centre(seeded, OTHER_GRID))
    with live.client(tokens("disp1")) as c:
        stations = {s["id"]: s["name"] for s in c.get("/api/v1/stations").json()["items"]}
    station_grids = sum(1 for f in seeded.grids["features"]
                        if f["properties"]["station"] == STATION)

    open_screen(page, live, LEAD)
    expect(page.locator("#user")).to_contain_text(stations[STATION])
    expect(page.locator("#user")).to_contain_text("网格站站长")
    expect(page.locator(".map-panel h2")).to_have_text(f"{stations[STATION]}网格图")
    expect(page.locator("#grid-count")).to_have_text(f"{station_grids} 个网格")
    expect(page.locator(f'#case-list li[data-case="{own["id"]}"]')).to_have_count(1)
    expect(page.locator(f'#case-list li[data-case="{other["id"]}"]')).to_have_count(0)
    expect(page.locator("#patrols-open")).to_be_hidden()
    expect(page.locator("#figures .figures-caption")).to_have_text("本站指标")
    # the station's own figures: its one case, not the street's two
    expect(page.locator('#figures [data-figure="reported"] .figure-value')).to_have_text("1")

    # The desk offers the station lead the whistle alone.
    page.locator(f'#case-list li[data-case="{own["id"]}"]').click()
    card = page.locator("#card")
    expect(card).to_have_attribute("data-key", own["id"])
    expect(card.locator("[data-desk]")).to_have_count(1)
    card.locator('[data-desk="whistle"]').click()
    form = card.locator('form[data-action="whistle"]')
    form.locator('input[value="cgj"]').check()
    form.locator('input[value="zhzf"]').check()
    expect(form.locator('[name="respond_min"]')).to_have_value("30")
    form.locator('button[type="submit"]').click()
    expect(card.locator(".notice")).to_have_text("已提交", timeout=LIVE_MS)
    expect(card.locator(".whistle li")).to_have_count(2, timeout=LIVE_MS)
    expect(card.locator('.whistle li[data-summoned="zhzf"]')).to_contain_text("待报到")
    expect(card.locator(".whistle li").first).to_contain_text("城市管理")
    lead_name = name_of(seeded, LEAD)
    expect(card.locator(".timeline")).to_contain_text(lead_name)
    expect(card.locator(".timeline")).to_contain_text("系统")  # the routing, not "system"

    # Another station's case: neither seen nor whistled by this lead (the centre may).
    with live.client(tokens(LEAD)) as c:
        assert c.get(f"/api/v1/cases/{other['id']}").status_code == 403
        refused = c.post(f"/api/v1/cases/{other['id']}/whistle",
                         json={"departments": ["zhzf"], "respond_min": 30})
        listed = c.get("/api/v1/cases").json()["items"]
    assert refused.status_code == 403
    assert {x["id"] for x in listed} == {own["id"]}
    with live.client(tokens("disp1")) as c:
        assert c.post(f"/api/v1/cases/{other['id']}/whistle",
                      json={"departments": ["zhzf"], "respond_min": 30}).status_code == 200
        due = c.get(f"/api/v1/cases/{own['id']}").json()["whistle"]["due"]
        other_due = c.get(f"/api/v1/cases/{other['id']}").json()["whistle"]["due"]

    # cgj checks in on site; when the limit passes zhzf is late on both cases.
    send_fix(live, tokens("dm001"), own["lat"] + 20 / M_PER_DEG_LAT, own["lon"])
    with live.client(tokens("dm001")) as c:
        assert c.post(f"/api/v1/cases/{own['id']}/checkin").status_code == 200
    expect(card.locator('.whistle li[data-summoned="cgj"]')).to_have_attribute(
        "data-checked", "true", timeout=LIVE_MS)
    expect(card.locator('.whistle li[data-summoned="cgj"]')).to_contain_text(
        name_of(seeded, "dm001"))
    open_screen(centre, live, "disp1")
    expect(centre.locator("#figures .figures-caption")).to_have_count(0)
    expect(centre.locator('#figures [data-figure="reported"] .figure-value')).to_have_text("2")
    with_container(live, lambda c: c.cases.fire_whistles(max(due, other_due) + 1))

    late = page.locator("#alert-list li[data-kind=checkin_late]")
    expect(late).to_have_count(1, timeout=LIVE_MS)  # the station's own, not S02's
    expect(late).to_contain_text("吹哨未按时报到")
    expect(late).to_contain_text("综合执法")
    expect(late).not_to_contain_text("zhzf")
    expect(late.locator("[data-act]")).to_have_count(0)  # the centre acknowledges
    expect(card.locator('.whistle li[data-summoned="zhzf"]')).to_contain_text("未按时报到",
                                                                              timeout=LIVE_MS)
    shoot(page, "station-screen-whistle")

    at_centre = centre.locator("#alert-list li[data-kind=checkin_late]")
    expect(at_centre).to_have_count(2, timeout=LIVE_MS)
    expect(at_centre.first).to_contain_text("吹哨未按时报到")
    expect(at_centre.first).to_contain_text("综合执法")
    centre.locator(f'#case-list li[data-case="{other["id"]}"]').click()
    expect(centre.locator('#card .whistle li[data-summoned="zhzf"]')).to_contain_text(
        "未按时报到", timeout=LIVE_MS)

    # zhzf comes on site after all (the clock was moved past the limit, the server's own
    # time was not): the card shows who is there, and the station's alert clears on both.
    send_fix(live, tokens("dm025"), own["lat"] - 30 / M_PER_DEG_LAT, own["lon"])
    with live.client(tokens("dm025")) as c:
        assert c.post(f"/api/v1/cases/{own['id']}/checkin").status_code == 200
    zhzf = card.locator('.whistle li[data-summoned="zhzf"]')
    expect(zhzf).to_have_attribute("data-checked", "true", timeout=LIVE_MS)
    expect(zhzf).to_contain_text(name_of(seeded, "dm025"))
    expect(late).to_have_attribute("data-cleared", "true", timeout=LIVE_MS)
    expect(centre.locator("#alert-list li[data-kind=checkin_late][data-cleared=false]")
           ).to_have_count(1, timeout=LIVE_MS)  # S02's zhzf is still not there

    # In English, no raw codes either.
    page.locator("#screen-view .lang-toggle").click()
    expect(page.locator("#user")).to_contain_text("station lead")
    expect(page.locator(".map-panel h2")).to_contain_text("grid map")
    expect(late).to_contain_text("Not on site in time (whistle)")
    assert page_errors.items == []
