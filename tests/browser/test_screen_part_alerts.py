"""An assisting part's own alerts on the command screen, in Chromium: when the part of
综合执法 (zhzf) nears and then passes its own limit, the alert panel shows 协办临期 and then
协办超期, naming the case and the department by its name (never its code)."""

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
from tests.browser.test_screen_desk import shoot, with_container
from tests.conftest import LiveServer

#: The screen palette's --red and --green, as the browser computes them.
RED = "rgb(255, 77, 79)"
GREEN = "rgb(46, 204, 113)"
HW_ITEM = "SR01"


def test_an_assisting_part_s_alerts_on_the_screen(page: Page, live: LiveServer,
                                                  seeded: OrgData,
                                                  tokens: Callable[[str], str],
                                                  page_errors: PageErrors) -> None:
    case = report_case(live, tokens("gw062"), HW_ITEM, *grid_centre(seeded, "062"))
    cid = case["id"]
    case_action(live, tokens("dm073"), cid, "accept")
    case_action(live, tokens("disp1"), cid, "assist", department="cgj")
    joint = case_action(live, tokens("disp1"), cid, "assist", department="zhzf",
                        limit_hours=1)
    zhzf = next(p for p in joint["parts"] if p["department"] == "zhzf")
    open_screen(page, live, "disp1")

    due = zhzf["deadline"]
    with_container(live, lambda c: c.cases.fire_parts_due(due - 60_000))  # its yellow passed
    near = page.locator("#alert-list li[data-kind=part_near_limit]")
    expect(near).to_have_count(1, timeout=LIVE_MS)
    expect(near).to_contain_text("协办临期")
    expect(near).to_contain_text(cid)
    expect(near).to_contain_text("综合执法")
    expect(near).not_to_contain_text("zhzf")

    with_container(live, lambda c: c.cases.fire_parts_due(due))
    late = page.locator("#alert-list li[data-kind=part_overdue]")
    expect(late).to_have_count(1, timeout=LIVE_MS)
    expect(late).to_contain_text("协办超期")
    expect(late).to_contain_text("协办部门：综合执法")
    expect(late).not_to_contain_text("zhzf")
    expect(late).to_have_attribute("data-cleared", "false")
    expect(near).to_have_attribute("data-cleared", "true", timeout=LIVE_MS)
    # overdue is red on the wall, as a case's is; the cleared near-limit line turns green
    expect(late).to_have_css("border-left-color", RED)
    expect(near).to_have_css("border-left-color", GREEN)
    expect(page.locator("#alert-list li[data-kind=part_overdue]")
           .filter(has_text="城管")).to_have_count(0)  # cgj's part is in time
    shoot(page, "screen-part-overdue")
    page.locator(".lang-toggle:visible").first.click()
    expect(late).to_contain_text("Assisting part overdue")
    assert page_errors.items == []
