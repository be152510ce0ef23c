"""The report pages in Chromium: each rhythm's figures, charts and rankings, the cases behind
a count, English, the XLSX download opened with openpyxl; screenshots at 1920x1080 and
1366x768 in artifacts/."""

from __future__ import annotations

from collections.abc import Callable

import openpyxl
from playwright.sync_api import Page, expect

from dispatch.org.model import OrgData
from tests.browser.conftest import (
    ARTIFACTS,
    READY_MS,
    PageErrors,
    case_action,
    grid_centre,
    name_of,
)
from tests.browser.conftest import report_case as report
from tests.conftest import PASSWORD, LiveServer

HW_ITEM = "SR01"  # sanitation
SIZES = {"1920x1080": {"width": 1920, "height": 1080}, "1366x768": {"width": 1366, "height": 768}}


def sign_in(page: Page, live: LiveServer, username: str = "assess1", query: str = "") -> None:
    page.goto(f"{live.url}/reports{query}")
    page.fill("#login-username", username)
    page.fill("#login-password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_selector("#report-view[data-label]", timeout=READY_MS)


def test_each_report_page_with_its_figures_rankings_and_downloads(
        page: Page, live: LiveServer, seeded: OrgData, tokens: Callable[[str], str],
        page_errors: PageErrors) -> None:
    ids = []
    for n, grid in enumerate(("001", "002", "003")):
        lat, lon = grid_centre(seeded, grid)
        ids.append(report(live, tokens(f"gw{grid}"), HW_ITEM, lat, lon + n * 0.001)["id"])
    case_action(live, tokens("disp1"), ids[2], "cancel", reason="误报")
    case_action(live, tokens("dm080"), ids[0], "accept")
    sign_in(page, live)
    ARTIFACTS.mkdir(exist_ok=True)
    reported = page.locator('#totals .tile[data-figure="reported"] .count-link')
    expect(reported).to_have_text("3")
    expect(page.locator("#departments tbody tr[data-department='hw'] td").first).to_have_text(
        "环卫公司")
    expect(page.locator("#chart-rates")).to_have_attribute("data-points", "7")
    expect(page.locator("#chart-patrols")).to_have_attribute("data-bars", "11")
    expect(page.locator("#rank-departments tbody tr")).to_have_count(18)
    # the workers' ranking names people, not logins
    gw001 = name_of(seeded, "gw001")
    workers_ranked = page.locator("#rank-workers tbody")
    expect(workers_ranked).to_contain_text(gw001)
    assert "gw001" not in workers_ranked.inner_text()
    expect(page.locator("#as-of")).to_contain_text("Asia/Shanghai")
    assert "centre" not in page.locator("#report-view").inner_text()

    reported.click()
    panel = page.locator("#members")
    expect(panel).to_have_attribute("data-count", "3")
    expect(panel.locator("li")).to_have_count(3)
    expect(panel.locator(f'li[data-id="{ids[0]}"]')).to_contain_text("环卫公司")
    page.click("#members-close")

    for kind in ("daily", "weekly", "monthly"):
        page.click(f'[data-kind="{kind}"]')
        expect(page.locator("#report-view")).to_have_attribute("data-kind", kind)
        expect(reported).to_have_text("3")
        for name, size in SIZES.items():
            page.set_viewport_size(size)  # type: ignore[arg-type]
            page.screenshot(path=str(ARTIFACTS / f"report-{kind}-{name}.png"), full_page=True)
    page.set_viewport_size(SIZES["1920x1080"])  # type: ignore[arg-type]

    page.click("#report-view .lang-toggle")
    expect(page.locator('#totals .tile[data-figure="reported"] .name')).to_have_text("Reported")
    expect(page.locator("#departments tbody tr[data-department='hw'] td").first).to_have_text(
        "Sanitation contractor")
    page.screenshot(path=str(ARTIFACTS / "report-monthly-en-1920x1080.png"), full_page=True)

    with page.expect_download() as info:
        page.click('.download[data-what="report"][data-format="xlsx"]')
    download = info.value
    assert download.suggested_filename.startswith("jlc-monthly-")
    assert download.suggested_filename.endswith(".xlsx")
    path = ARTIFACTS / download.suggested_filename
    download.save_as(path)
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[4]]
    total = next(r for r in sheet.iter_rows(min_row=5) if r[0].value == "全街道")
    assert total[header.index("reported")].value == 3
    assert total[header.index("cancelled")].value == 1
    assert page_errors.items == []


def test_a_figure_link_opens_its_cases(page: Page, live: LiveServer, seeded: OrgData,
                                       tokens: Callable[[str], str],
                                       page_errors: PageErrors) -> None:
    lat, lon = grid_centre(seeded, "010")
    case = report(live, tokens("gw010"), HW_ITEM, lat, lon)
    sign_in(page, live, "lead05",  # sanitation's lead: their own department
            "?kind=daily&period=day&figure=reported&group=department&name=hw")
    panel = page.locator("#members")
    expect(panel).to_have_attribute("data-count", "1")
    expect(panel.locator(f'li[data-id="{case["id"]}"]')).to_be_visible()
    expect(page.locator("#departments tbody tr")).to_have_count(1)
    assert page_errors.items == []
