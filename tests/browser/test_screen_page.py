"""The command screen page in Chromium: sign-in, the street's grids, live cases and workers,
the lights, the language switch, a dispatcher's triage, and a full-screen screenshot."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect

from dispatch.bootstrap import bootstrap
from dispatch.org.model import OrgData
from tests.browser.conftest import (
    ARTIFACTS,
    LIVE_MS,
    CaseSpec,
    PageErrors,
    case_action,
    case_event,
    department_lead,
    grid_centre,
    now_ms,
    open_screen,
    position,
    report_case,
    send_fix,
    upload_photo,
)
from tests.conftest import PASSWORD, LiveServer, emit, run_async

GRIDS = 108
#: Routed to city management (cgj) by the shipped rules.
CGJ_ITEM = "SS01"
TRIAGE_TO = "hw"
#: The dots' move transition (1 s) and a little more.
TRANSITION_MS = 1200
RED = "rgb(255, 77, 79)"
#: A shift of a worker's position east, in degrees (about 90 m), walked in a minute.
STEP_DEG = 0.001
WALK_MS = 60_000
#: Workers of the busy street stand up to a few of these from their grid's middle (~20 m).
SPREAD_DEG = 0.0002


def test_screen_shows_the_street_and_a_reported_case(
        page: Page, live: LiveServer, seeded: OrgData, tokens: Callable[[str], str],
        page_errors: PageErrors) -> None:
    open_screen(page, live)
    expect(page.locator("#map path.grid")).to_have_count(GRIDS)
    expect(page.locator("#map .grid-label")).to_have_count(GRIDS)
    expect(page.locator("#conn")).to_have_attribute("data-state", "open")

    lat, lon = grid_centre(seeded, "017")
    case = report_case(live, tokens("gw017"), CGJ_ITEM, lat, lon)
    row = page.locator(f'#case-list li[data-case="{case["id"]}"]')
    expect(row).to_have_attribute("data-light", case["light"], timeout=LIVE_MS)
    expect(row).to_contain_text("城市管理")
    expect(row.locator(".case-left")).to_have_text(re.compile(r"\d+:\d\d"))
    expect(page.locator(f'#map .case-marker[data-case="{case["id"]}"]')).to_have_attribute(
        "data-light", case["light"])
    expect(page.locator('#map path.grid[data-grid="017"]')).to_have_attribute("data-shade", "c1")

    case_action(live, tokens("disp1"), case["id"], "cancel", reason="重复上报")
    expect(row).to_have_count(0, timeout=LIVE_MS)
    assert page_errors.items == []


def test_fixes_move_a_worker_dot(page: Page, live: LiveServer, seeded: OrgData,
                                 page_errors: PageErrors) -> None:
    open_screen(page, live)
    lat, lon = grid_centre(seeded, "005")
    first_ts = now_ms() - 2 * WALK_MS
    send_fix(live, "gw005", lat, lon, first_ts)
    dot = page.locator('#map .worker[data-worker="gw005"]')
    expect(dot).to_have_attribute("data-state", "idle", timeout=LIVE_MS)
    before = dot.get_attribute("style")

    send_fix(live, "gw005", lat, lon + STEP_DEG, first_ts + WALK_MS)
    expect(dot).to_have_attribute("data-lon", str(lon + STEP_DEG), timeout=LIVE_MS)
    assert dot.get_attribute("style") != before

    dot.click()
    card = page.locator("#card")
    expect(card).to_have_attribute("data-kind", "worker")
    expect(card).to_contain_text("gw005")
    expect(card.locator(".track-status")).to_have_text(re.compile(r"^2 个定位点"))
    expect(page.locator("#map path.track")).to_have_attribute(
        "d", re.compile(r"^M-?[\d.]+ -?[\d.]+L-?[\d.]+ -?[\d.]+$"))
    assert page_errors.items == []


def test_a_case_going_overdue_shows_a_red_light(page: Page, live: LiveServer,
                                                seeded: OrgData, tokens: Callable[[str], str],
                                                page_errors: PageErrors) -> None:
    open_screen(page, live)
    lat, lon = grid_centre(seeded, "042")
    case = report_case(live, tokens("gw042"), CGJ_ITEM, lat, lon)
    row = page.locator(f'#case-list li[data-case="{case["id"]}"]')
    expect(row).to_have_attribute("data-light", "green", timeout=LIVE_MS)

    async def deadline_passes() -> None:  # the clock's timer job, at the case's deadline
        c = bootstrap(live.settings)
        try:
            await c.cases.fire_due(case["deadline"])
        finally:
            await c.aclose()

    run_async(deadline_passes())
    expect(row).to_have_attribute("data-light", "red", timeout=LIVE_MS)
    assert row.locator(".light").evaluate("e => getComputedStyle(e).backgroundColor") == RED
    expect(page.locator(f'#map .case-marker[data-case="{case["id"]}"]')).to_have_attribute(
        "data-light", "red")
    assert page_errors.items == []


def test_switching_to_english_changes_the_labels(page: Page, live: LiveServer,
                                                 seeded: OrgData,
                                                 page_errors: PageErrors) -> None:
    open_screen(page, live)
    expect(page.locator(".topbar h1 span")).to_have_text("网格化指挥调度中心")
    page.locator(".topbar .lang-toggle").click()
    expect(page.locator(".topbar h1 span")).to_have_text("Grid Command and Dispatch Centre")
    expect(page.locator('#figures [data-figure="reported"] .figure-label')).to_have_text(
        "Reported today")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.reload()  # remembered, and the session too
    page.wait_for_selector("#screen-view[data-seq]", state="attached")
    expect(page.locator(".cases-panel h2")).to_have_text("Open cases")
    assert page_errors.items == []


def test_a_role_that_may_not_watch_gets_a_clear_message(page: Page, live: LiveServer,
                                                        seeded: OrgData) -> None:
    page.goto(f"{live.url}/")
    page.fill("#login-username", "gw001")
    page.fill("#login-password", PASSWORD)
    page.click("#login-submit")
    expect(page.locator("#login-message")).to_contain_text("无权查看指挥大屏")
    expect(page.locator("#screen-view")).to_be_hidden()


def test_a_dispatcher_triages_a_returned_case(page: Page, live: LiveServer, seeded: OrgData,
                                              tokens: Callable[[str], str],
                                              page_errors: PageErrors) -> None:
    lat, lon = grid_centre(seeded, "060")
    photo = upload_photo(live, tokens("gw060"))
    case = report_case(live, tokens("gw060"), CGJ_ITEM, lat, lon, media=[photo])
    lead = department_lead(live, tokens("admin"), case["department"])
    case_action(live, tokens(lead), case["id"], "reject", reason="不属于本部门")

    open_screen(page, live, "disp1")
    row = page.locator(f'#case-list li[data-case="{case["id"]}"]')
    expect(row).to_have_attribute("data-state", "triage")
    row.click()
    card = page.locator("#card")
    expect(card.locator(".timeline tbody tr")).to_have_count(3)
    expect(card.locator(f'img[data-media="{photo}"]')).to_have_attribute(
        "src", re.compile(r"^blob:"))
    form = card.locator('form[data-action="triage"]')
    form.locator("select").select_option(TRIAGE_TO)
    form.locator("button").click()
    expect(row).to_have_attribute("data-state", "dispatched", timeout=LIVE_MS)
    expect(row.locator(".case-dept")).to_have_text("环卫公司")
    with live.client(tokens("disp1")) as c:
        assert c.get(f"/api/v1/cases/{case['id']}").json()["department"] == TRIAGE_TO
    assert page_errors.items == []


WORKERS_ON_MAP = """() => {
    const dots = document.querySelectorAll("#map .worker").length;
    const grouped = [...document.querySelectorAll("#map .worker-cluster")]
        .reduce((n, c) => n + Number(c.dataset.count), 0);
    return dots + grouped;
}"""


def workers_on_map(page: Page, expected: int | None = None) -> int:
    """Workers the map shows: a dot each, or counted in a cluster when zoomed out (with
    ``expected``: once the map shows that many, as it settles)."""
    if expected is not None:
        page.wait_for_function(f"() => ({WORKERS_ON_MAP})() === {expected}", timeout=LIVE_MS)
    return int(page.evaluate(WORKERS_ON_MAP))


def alert(alert_id: str, kind: str, severity: str, station: str, members: list[str],
          ts: int, data: dict[str, Any], bucket: str = "",
          department: str | None = None) -> dict[str, Any]:
    """An ``alert`` event of the alert model (one burst: its members)."""
    scope = {"street": "jlc", "station": station}
    if department:
        scope["department"] = department
    event: dict[str, Any] = {
        "type": "alert", "id": alert_id, "kind": kind, "severity": severity,
        "owner": "department" if department else "station", "scope": scope,
        "subject": {"worker": members[-1]}, "state": "open", "count": len(members),
        "active": len(members), "members": dict.fromkeys(members, True), "first_ts": ts,
        "last_ts": ts, "data": data}
    if bucket:
        event["bucket"] = bucket
    return event


def busy_street(street: OrgData) -> list[dict[str, Any]]:
    """Events for a lively screen: every worker placed, cases of every light, alerts, figures."""
    states = ["patrolling"] * 6 + ["idle", "idle", "out_of_grid", "signal_lost", "offline"]
    grids = [f"{n:03d}" for n in range(1, GRIDS + 1)]
    items = [position(street, g, states[i % len(states)], shift=SPREAD_DEG * (i * 5 % 7 - 3),
                      north=SPREAD_DEG * (i * 3 % 5 - 2))
             for i, g in enumerate(grids)]
    specs = [
        CaseSpec("C101", "003", "red", -42),
        CaseSpec("C102", "021", "red", -8, "SR03", "道路不洁", "SR", "hw"),
        CaseSpec("C103", "033", "yellow", 18, "SS02", "井盖缺失破损", "SS", "sw"),
        CaseSpec("C104", "047", "yellow", 25),
        CaseSpec("C105", "058", "green", 190, "MS01", "独居老人异常", "MS", "mz"),
        CaseSpec("C106", "066", "green", 300, "AQ02", "消防通道堵塞", "AQ", "xf"),
        CaseSpec("C107", "071", "green", 1500, "SR01", "暴露垃圾", "SR", "hw"),
        CaseSpec("C108", "088", None, 95, "MD01", "邻里纠纷", "MD", None, "triage"),
        CaseSpec("C109", "099", "green", 2900, "SS05", "交通信号灯故障", "SS", "jj"),
        CaseSpec("C110", "104", "yellow", 12, "AQ05", "液化气瓶违规使用", "AQ", "rq"),
        CaseSpec("C111", "021", "green", 600),
    ]
    now = now_ms()
    alerts = [  # as the alert area sends them
        alert("A1", "out_of_grid", "warning", "S01", ["gw009"], now - 600_000,
              {"grid": "009", "at_grid": "010"}),
        alert("A2", "signal_lost", "warning", "S01", ["gw010"], now - 300_000, {"grid": "010"}),
        alert("A3", "patrol_missed", "warning", "S03", [f"gw0{n}" for n in range(21, 27)],
              now - 200_000, {"grid": "026", "window": "08:00-12:00"},
              bucket="2026-05-06|08:00-12:00"),
        {**alert("A4", "case_overdue", "major", "S01", ["C101"], now - 120_000,
                 {"item_name": "机动车违停占道"}, department="jj"), "subject": {"case": "C101"}},
        alert("A5", "sos", "critical", "S02", ["gw015"], now - 30_000,
              {"grid": "015", "batt": 0.18}),
        {**alert("A1", "out_of_grid", "warning", "S01", ["gw009"], now - 600_000,
                 {"grid": "009", "at_grid": "010"}),
         "state": "cleared", "members": {"gw009": False}, "active": 0,
         "cleared_ts": now - 60_000, "reason": "back_in_grid"},
    ]
    figures: dict[str, Any] = {"type": "figures", "figures": {
        "reported": 57, "closed": 36, "on_time_rate": 0.917, "overdue": 2,
        "patrols_done": 131, "patrols_missed": 4, "workers_online": 99}}
    return [{"type": "positions", "items": items},
            *(case_event(street, s) for s in specs), *alerts, figures]


def test_full_screen_screenshot(page: Page, live: LiveServer, seeded: OrgData,
                                tokens: Callable[[str], str], page_errors: PageErrors) -> None:
    lat, lon = grid_centre(seeded, "012")
    photo = upload_photo(live, tokens("gw012"))
    real = report_case(live, tokens("gw012"), CGJ_ITEM, lat, lon, media=[photo])
    lead = department_lead(live, tokens("admin"), real["department"])
    case_action(live, tokens(lead), real["id"], "accept")
    case_action(live, tokens(lead), real["id"], "extend", hours=4, reason="需协调产权单位")
    open_screen(page, live, "disp1")
    emit(live.settings, *busy_street(seeded))
    expect(page.locator("#case-list li")).to_have_count(12, timeout=LIVE_MS)
    assert workers_on_map(page, GRIDS) == GRIDS  # each worker a dot or counted in a cluster
    expect(page.locator("#alert-list li")).to_have_count(5)
    expect(page.locator('#alert-list li[data-kind="patrol_missed"]')).to_contain_text(
        "漏巡 ×6 (上午巡查时段)")
    expect(page.locator('#figures [data-figure="closure_rate"] .figure-value')).to_have_text(
        "63.2%")
    page.locator(f'#case-list li[data-case="{real["id"]}"]').click()
    card = page.locator("#card")
    expect(card.locator(f'img[data-media="{photo}"]')).to_have_attribute(
        "src", re.compile(r"^blob:"))
    expect(card.locator('[data-action="approve_extension"]')).to_be_visible()
    page.locator("#case-list").evaluate("list => { list.scrollTop = 0; }")
    page.wait_for_timeout(TRANSITION_MS)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "screen.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 768})  # a dispatcher's desk
    page.wait_for_timeout(TRANSITION_MS)
    expect(page.locator("#case-list li .case-dept").first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "screen-1366x768.png"))
    page.set_viewport_size({"width": 1920, "height": 1080})

    card.locator('[data-action="approve_extension"]').click()
    expect(card.locator(".notice")).to_have_text("已提交")
    expect(card.locator('[data-action="approve_extension"]')).to_have_count(0)
    with live.client(tokens("disp1")) as c:
        assert c.get(f"/api/v1/cases/{real['id']}").json()["deadline"] > real["deadline"]
    assert page_errors.items == []
