"""The dispatcher's desk in Chromium: an overdue case raises an alert a dispatcher
acknowledges, a burst of missed patrols is one line, every desk action from the case card,
and a search that finds a closed case; screenshots at 1920x1080 and 1366x768."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import Locator, Page, expect

from dispatch.alerts import AlertKind, Scope, Subject
from dispatch.bootstrap import bootstrap
from dispatch.org.model import OrgData
from tests.browser.conftest import (
    ARTIFACTS,
    LIVE_MS,
    PageErrors,
    case_action,
    grid_centre,
    open_screen,
    report_case,
    station_of,
)
from tests.conftest import LiveServer, run_async

CGJ_ITEM = "SS01"  # city management (cgj), members dm001..dm024, lead lead01
DESK_SIZE = {"width": 1366, "height": 768}
AFTERNOON = "14:00-18:00"


def shoot(page: Page, name: str) -> None:
    """The page at the wall's size and at a desk's, saved to artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / f"{name}-1920x1080.png"))
    page.set_viewport_size(DESK_SIZE)
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / f"{name}-1366x768.png"))
    page.set_viewport_size({"width": 1920, "height": 1080})


def with_container(live: LiveServer, work: Callable[[Any], Any]) -> Any:
    async def go() -> Any:
        c = bootstrap(live.settings)
        try:
            return await work(c)
        finally:
            await c.aclose()

    return run_async(go())


def missed_afternoon(live: LiveServer, street: OrgData, grids: list[str]) -> None:
    """Missed patrols of one window, raised as the patrol area does when it closes."""
    day = "2026-05-06"

    async def work(c: Any) -> None:
        for grid in grids:
            await c.alerts.raise_alert(
                AlertKind.PATROL_MISSED, subject=Subject(worker=f"gw{grid}"),
                scope=Scope(station=station_of(street, grid)),
                data={"grid": grid, "window": AFTERNOON, "date": day},
                bucket=f"{day}|{AFTERNOON}")

    with_container(live, work)


def card_action(page: Page, name: str, **fields: str) -> Locator:
    """Open a desk action's form on the case card, fill it and submit it."""
    card = page.locator("#card")
    card.locator(f'[data-desk="{name}"]').click()
    form = card.locator(f'form[data-action="{name}"]')
    for field, value in fields.items():
        target = form.locator(f'[name="{field}"]')
        if target.evaluate("e => e.tagName") == "SELECT":
            target.select_option(value)
        else:
            target.fill(value)
    form.locator('button[type="submit"]').click()
    expect(card.locator(".notice")).to_have_text("已提交", timeout=LIVE_MS)
    return card


def test_an_overdue_case_raises_an_alert_a_dispatcher_acknowledges(
        page: Page, live: LiveServer, seeded: OrgData, tokens: Callable[[str], str],
        page_errors: PageErrors) -> None:
    open_screen(page, live, "disp1")
    lat, lon = grid_centre(seeded, "042")
    case = report_case(live, tokens("gw042"), CGJ_ITEM, lat, lon)
    missed_afternoon(live, seeded, [f"{n:03d}" for n in range(40, 102)])  # 62, many stations

    with_container(live, lambda c: c.cases.fire_due(case["deadline"]))  # the clock's timers
    row = page.locator("#alert-list li[data-kind=case_overdue]")
    expect(row).to_have_count(1, timeout=LIVE_MS)
    expect(row).to_contain_text("案件超期")
    expect(row).to_contain_text(case["id"])
    expect(row).to_contain_text("城市管理")
    expect(row).to_have_attribute("data-state", "open")
    fold = page.locator('#alert-list li.fold[data-kind="patrol_missed"]')
    expect(fold).to_contain_text("漏巡 ×62 (下午巡查时段)")
    expect(page.locator("#alert-count")).to_have_text(re.compile(r"^未确认 \d+$"))
    shoot(page, "desk-alert-overdue")

    row.locator('[data-act="ack"]').click()
    row.locator('form.alert-form input[name="note"]').fill("已电话督促城管处置")
    row.locator('form.alert-form button[type="submit"]').click()
    expect(row).to_have_attribute("data-state", "acked", timeout=LIVE_MS)
    expect(row.locator(".alert-state")).to_contain_text("disp1")
    with live.client(tokens("disp1")) as c:
        found = c.get("/api/v1/alerts", params={"kind": "case_overdue"}).json()["items"]
    assert [(a["state"], a["acked_by"], a["note"]) for a in found] == [
        ("acked", "disp1", "已电话督促城管处置")]

    fold.click()  # opens per station
    nested = page.locator('#alert-list li.nested[data-kind="patrol_missed"]')
    assert nested.count() > 1
    fold.locator('[data-act="ack"]').click()
    fold.locator('form.alert-form button[type="submit"]').click()
    expect(page.locator('#alert-list li.nested[data-state="open"]')).to_have_count(
        0, timeout=LIVE_MS)
    shoot(page, "desk-alert-acked")

    case_action(live, tokens("lead01"), case["id"], "suspend", reason="待产权单位")
    expect(row).to_have_attribute("data-cleared", "true", timeout=LIVE_MS)
    assert page_errors.items == []


def test_every_desk_action_from_the_case_card(page: Page, live: LiveServer, seeded: OrgData,
                                              tokens: Callable[[str], str],
                                              page_errors: PageErrors) -> None:
    worker = tokens("gw050")
    made = [report_case(live, worker, CGJ_ITEM, *grid_centre(seeded, f"{n:03d}"))
            for n in range(50, 56)]
    first, second, third, fourth, fifth, sixth = (c["id"] for c in made)
    case_action(live, tokens("dm001"), fifth, "accept")
    case_action(live, tokens("dm001"), fifth, "extend", hours=4, reason="需协调产权单位")
    case_action(live, tokens("dm001"), sixth, "accept")
    case_action(live, tokens("dm001"), sixth, "resolve", note="已更换灯泡")
    case_action(live, worker, sixth, "verify", ok=True)
    open_screen(page, live, "disp1")

    def show(cid: str) -> Locator:
        page.locator(f'#case-list li[data-case="{cid}"]').click()
        card = page.locator("#card")
        expect(card).to_have_attribute("data-key", cid)
        return card

    row = page.locator(f'#case-list li[data-case="{first}"]')
    show(first)
    card_action(page, "supervise", note="群众反映强烈，请今日处置")
    expect(page.locator("#card .timeline")).to_contain_text("督办")
    card_action(page, "assign", member="dm003")
    expect(row).to_have_attribute("data-state", "accepted", timeout=LIVE_MS)
    shoot(page, "desk-card-actions")
    card_action(page, "reassign", department="zhzf")
    expect(row.locator(".case-dept")).to_have_text("综合执法", timeout=LIVE_MS)
    card_action(page, "return", reason="需中心重新研判")
    expect(row).to_have_attribute("data-state", "triage", timeout=LIVE_MS)
    expect(row.locator(".case-dept")).to_have_text("指挥调度中心")
    triage = page.locator('#card form[data-action="triage"]')
    triage.locator("select").select_option("cgj")
    triage.locator("button[type=submit]").click()
    expect(row).to_have_attribute("data-state", "dispatched", timeout=LIVE_MS)

    show(second)
    card_action(page, "suspend", reason="待雨季结束施工")
    second_row = page.locator(f'#case-list li[data-case="{second}"]')
    expect(second_row).to_have_attribute("data-state", "suspended", timeout=LIVE_MS)
    page.locator('#card [data-desk="resume"]').click()
    page.locator('#card form[data-action="resume"] button[type=submit]').click()
    expect(second_row).to_have_attribute("data-state", "dispatched", timeout=LIVE_MS)

    show(third)
    card_action(page, "duplicate", of=first)
    expect(page.locator(f'#case-list li[data-case="{third}"]')).to_have_count(0,
                                                                            timeout=LIVE_MS)
    show(fourth)
    card_action(page, "cancel", reason="误报")
    expect(page.locator(f'#case-list li[data-case="{fourth}"]')).to_have_count(0,
                                                                             timeout=LIVE_MS)
    show(fifth)
    page.locator('#card [data-action="refuse_extension"]').click()
    expect(page.locator("#card .notice")).to_have_text("已提交", timeout=LIVE_MS)
    expect(page.locator('#card [data-action="approve_extension"]')).to_have_count(0)

    with live.client(tokens("disp1")) as c:
        got = {cid: c.get(f"/api/v1/cases/{cid}").json() for cid in
               (first, second, third, fourth, fifth)}
    assert [e["action"] for e in got[first]["timeline"]][2:] == [
        "supervise", "assign", "reassign", "return", "reassign", "duplicate_reported"]
    assert got[first]["department"] == "cgj" and got[first]["state"] == "dispatched"
    assert [e["action"] for e in got[second]["timeline"]][-2:] == ["suspend", "resume"]
    assert (got[third]["state"], got[third]["duplicate_of"]) == ("duplicate", first)
    assert got[fourth]["state"] == "cancelled"
    assert got[fifth]["timeline"][-1]["approved"] is False

    page.locator("#search-toggle").click()  # the closed one: found and reopened
    page.fill('#search-form input[name="q"]', sixth)
    page.locator('#search-form button[type="submit"]').click()
    page.locator(f'#search-list li[data-case="{sixth}"]').click()
    card_action(page, "reopen", reason="群众反映路灯仍不亮")
    with live.client(tokens("disp1")) as c:
        reopened = c.get(f"/api/v1/cases/{sixth}").json()
    assert (reopened["state"], reopened["assignee"]) == ("reopened", "dm001")
    assert page_errors.items == []


def test_a_search_finds_a_closed_case(page: Page, live: LiveServer, seeded: OrgData,
                                      tokens: Callable[[str], str],
                                      page_errors: PageErrors) -> None:
    worker = tokens("gw070")
    closed = report_case(live, worker, "SS03", *grid_centre(seeded, "070"),
                         description="七号楼前井盖缺失，夜间危险")
    case_action(live, tokens("dm001"), closed["id"], "accept")
    case_action(live, tokens("dm001"), closed["id"], "resolve", note="已更换井盖")
    case_action(live, worker, closed["id"], "verify", ok=True)
    other = report_case(live, worker, CGJ_ITEM, *grid_centre(seeded, "071"),
                        description="路灯不亮")
    open_screen(page, live, "disp1")
    expect(page.locator(f'#case-list li[data-case="{closed["id"]}"]')).to_have_count(0)

    page.locator("#search-toggle").click()
    expect(page.locator("#case-list")).to_be_hidden()
    page.fill('#search-form input[name="q"]', "井盖")
    day = datetime.fromtimestamp(closed["created"] / 1000, ZoneInfo("Asia/Shanghai"))
    page.fill('#search-form input[name="from"]', day.date().isoformat())  # the street's day
    page.locator('#search-form button[type="submit"]').click()
    found = page.locator("#search-list li")
    expect(found).to_have_count(1, timeout=LIVE_MS)
    expect(found).to_have_attribute("data-state", "closed")
    expect(found).to_contain_text("已结案")
    expect(found).to_contain_text("城市管理")
    page.locator('#search-form select[name="state"]').select_option("open")
    page.fill('#search-form input[name="q"]', "")
    page.locator('#search-form button[type="submit"]').click()
    expect(page.locator("#search-list li")).to_have_count(1, timeout=LIVE_MS)
    expect(page.locator("#search-list li")).to_have_attribute("data-case", other["id"])
    page.locator('#search-form select[name="state"]').select_option("closed")
    page.locator('#search-form button[type="submit"]').click()
    page.locator(f'#search-list li[data-case="{closed["id"]}"]').click()
    card = page.locator("#card")
    expect(card).to_have_attribute("data-key", closed["id"])
    expect(card.locator(".timeline")).to_contain_text("核查")
    expect(card.locator('[data-desk="reopen"]')).to_be_visible()
    shoot(page, "desk-search-closed")
    assert page_errors.items == []
