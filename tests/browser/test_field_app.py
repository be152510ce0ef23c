"""The field app (/app) on a phone-sized Chromium with emulated GPS: a worker's patrol that
loses the network and loses no fix, a report with a photo made offline that arrives once, a
job two members race for, the reporter's verification, a lead's department view, and a
screenshot of each main view (artifacts/app-*.png)."""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    FilePayload,
    Page,
    Route,
    WebSocketRoute,
    expect,
)

from dispatch.alerts import AlertKind, Scope, Subject
from dispatch.bootstrap import bootstrap
from dispatch.org.model import OrgData
from tests.browser.conftest import (
    ARTIFACTS,
    READY_MS,
    department_lead,
    grid_centre,
    now_ms,
    report_case,
)
from tests.browser.phones import Phone, Phones, phone_maker, sign_in
from tests.conftest import PASSWORD, LiveServer, run_async

#: A step of the walk, in degrees (~19 m): under the GPS noise that never counts as a jump.
STEP_DEG = 0.00015
#: Routed to city management (cgj) by the shipped rules.
CGJ_ITEM = "SS01"
CGJ_ITEM_NAME = "路灯不亮"
#: How long delivering what waited offline may take once the network is back.
DELIVER_MS = 15_000
LIVE_MS = 5_000
#: A camera photo larger than the app keeps: it is shrunk to at most this on its long side.
PHOTO_SIZE = (2400, 1800)
MAX_EDGE_PX = 1600
JPEG_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3})
POLL_MS = 100
#: Where the report's place is tapped on its map (shares of the width and height): a little
#: north-east of the middle, where the phone stands.
PICK_AT = (0.6, 0.4)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Patrol windows covering the whole day, so that a patrol may start whenever this runs."""
    return {"patrol_windows": "00:00-12:00,12:00-00:00"}


@pytest.fixture
def phones(browser: Browser) -> Iterator[Phones]:
    """``phones(lat, lon)``: a new phone (its own context and storage) standing there."""
    with phone_maker(browser) as make:
        yield make


#: The height of everything in the view, or of the open case sheet (which scrolls by itself).
CONTENT_HEIGHT = """() => {
  const sheet = document.querySelector("#case-sheet:not([hidden])");
  return sheet ? sheet.scrollHeight : document.documentElement.scrollHeight;
}"""


def shot(page: Page, name: str, *, whole: bool = False) -> None:
    """What the phone's screen shows now, as artifacts/app-<name>.png; ``whole``: on a phone
    tall enough to show the whole view at once."""
    ARTIFACTS.mkdir(exist_ok=True)
    size = page.viewport_size
    assert size is not None
    if whole:
        page.set_viewport_size({"width": size["width"],
                                "height": max(size["height"], page.evaluate(CONTENT_HEIGHT))})
    page.wait_for_timeout(300)  # let transitions and fonts settle
    page.screenshot(path=str(ARTIFACTS / f"app-{name}.png"))
    page.set_viewport_size(size)


def stored_track(live: LiveServer, worker: str) -> list[tuple[int, float, float]]:
    """(ts, lat, lon) of every fix the server stored for ``worker`` today."""
    found: list[tuple[int, float, float]] = []

    async def go() -> None:
        c = bootstrap(live.settings)
        try:
            day = c.location.days.date_of(now_ms()).isoformat()
            track = await c.location.day_track(worker, day)
            found.extend(zip(track.ts.tolist(), track.lat.tolist(), track.lon.tolist(),
                             strict=True))
        finally:
            await c.aclose()

    run_async(go())
    return found


def open_alert(live: LiveServer, kind: AlertKind, worker: str, station: str,
               data: dict[str, Any]) -> None:
    """An alert raised as the location area does: to the screens and the worker's phone."""

    async def go() -> None:
        c = bootstrap(live.settings)
        try:
            await c.alerts.raise_alert(kind, subject=Subject(worker=worker),
                                       scope=Scope(station=station), data=data)
        finally:
            await c.aclose()

    run_async(go())


def big_png(width: int, height: int, shade: int = 0) -> bytes:
    """A PNG photo of ``width`` x ``height`` (bands of colour; ``shade`` makes another)."""
    rows = b"".join(b"\x00" + bytes((40 + y * 160 // height, 120 + shade, 200 - y * 100 // height))
                    * width for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 6))
            + chunk(b"IEND", b""))


def jpeg_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a JPEG's start-of-frame segment."""
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    at = 2
    while at < len(data):
        marker, length = data[at + 1], struct.unpack(">H", data[at + 2:at + 4])[0]
        if marker in JPEG_SOF:
            height, width = struct.unpack(">HH", data[at + 5:at + 9])
            return width, height
        at += 2 + length
    raise AssertionError("no start of frame in the JPEG")


def wait_until(page: Page, done: Callable[[], bool], timeout_ms: int = DELIVER_MS) -> None:
    """Let the page run until ``done()`` (something the test itself records) holds."""
    waited = 0
    while not done():
        assert waited < timeout_ms, "timed out"
        page.wait_for_timeout(POLL_MS)
        waited += POLL_MS


def page_errors(phone: Phone) -> list[str]:
    """The page's errors, without the failed requests of a phone that went offline."""
    return [e for e in phone.errors.items if "net::ERR_" not in e]


def api(live: LiveServer, token: str) -> httpx.Client:
    return live.client(token)


def upload_picture(live: LiveServer, token: str) -> str:
    """A photo uploaded as another phone app would (not shrunk): its id."""
    with api(live, token) as c:
        r = c.post("/api/v1/media", files={"file": ("street.png", big_png(640, 480, 20),
                                                    "image/png")})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def take_photo(page: Page, picker: str, shade: int = 0) -> None:
    """The camera of the photo picker ``picker`` gives a large photo."""
    photo: FilePayload = {"name": f"IMG_{shade}.png", "mimeType": "image/png",
                          "buffer": big_png(*PHOTO_SIZE, shade)}
    page.set_input_files(f'input[data-photo-input="{picker}"]', files=[photo])


# --- the grid worker ---------------------------------------------------------------------


def test_a_patrol_loses_no_fix_offline(phones: Phones, live: LiveServer, seeded: OrgData,
                                       tokens: Callable[[str], str]) -> None:
    lat, lon = grid_centre(seeded, "001")
    phone = phones(lat, lon)
    page = phone.page
    sign_in(page, live, "gw001")
    tracking = page.locator("#tracking")
    expect(tracking).to_have_attribute("data-link", "live")
    expect(tracking).to_have_attribute("data-delivered", "1", timeout=LIVE_MS)

    page.click("#patrol-button")
    view = page.locator("#view-patrol")
    expect(view).to_have_attribute("data-patrol", "in_progress")
    expect(page.locator(".patrol-window")).to_contain_text("剩余")

    walk = [(lat + STEP_DEG * n, lon + STEP_DEG * n * 2 / 3) for n in range(1, 7)]
    taken = 1
    for step in walk[:3]:  # online: each fix goes up live and is acknowledged
        phone.move(*step)
        taken += 1
        expect(tracking).to_have_attribute("data-taken", str(taken), timeout=LIVE_MS)
        expect(tracking).to_have_attribute("data-queued", "0", timeout=LIVE_MS)
    expect(tracking).to_have_attribute("data-delivered", str(taken))
    expect(page.locator('[data-figure="distance"]')).not_to_have_text("0 m", timeout=DELIVER_MS)
    shot(page, "patrol", whole=True)

    phone.context.set_offline(True)
    expect(page.locator("#conn")).to_have_attribute("data-state", "offline")
    expect(tracking).to_have_attribute("data-link", "offline")
    for n, step in enumerate(walk[3:], start=1):  # offline: kept on the phone
        phone.move(*step)
        taken += 1
        expect(tracking).to_have_attribute("data-taken", str(taken), timeout=LIVE_MS)
        expect(tracking).to_have_attribute("data-queued", str(n))
    expect(page.locator("#tracking .queued")).to_contain_text("待上传 3 个")
    assert len(stored_track(live, "gw001")) == taken - 3
    shot(page, "patrol-offline", whole=True)

    phone.context.set_offline(False)
    expect(tracking).to_have_attribute("data-queued", "0", timeout=DELIVER_MS)
    expect(tracking).to_have_attribute("data-delivered", str(taken))
    expect(tracking).to_have_attribute("data-link", "live", timeout=LIVE_MS)

    stored = stored_track(live, "gw001")
    times = [ts for ts, _, _ in stored]
    assert len(times) == len(set(times)) == taken  # every fix once
    places = {(round(a, 6), round(b, 6)) for _, a, b in stored}
    for step_lat, step_lon in [(lat, lon), *walk]:
        assert (round(step_lat, 6), round(step_lon, 6)) in places

    button = page.locator("#patrol-button")
    button.click()
    expect(button).to_have_text("再点一次，确认结束")
    button.click()
    expect(view).to_have_attribute("data-patrol", "none")
    expect(view).to_have_attribute("data-pending", "0")  # the end reached the server
    with api(live, tokens("gw001")) as c:
        patrols = c.get("/api/v1/patrols").json()["items"]
    assert [p["status"] for p in patrols] == ["incomplete"]  # too short to be complete
    assert patrols[0]["points"] == taken - 1  # all but the fix from before the start
    assert page_errors(phone) == []


def test_a_report_made_offline_arrives_once_with_its_photo(
        phones: Phones, live: LiveServer, seeded: OrgData,
        tokens: Callable[[str], str]) -> None:
    lat, lon = grid_centre(seeded, "002")
    phone = phones(lat, lon)
    page = phone.page
    sign_in(page, live, "gw002")
    page.click('[data-tab="report"]')
    expect(page.locator("#report-place")).to_have_attribute("data-source", "gps")

    phone.context.set_offline(True)
    page.fill("#report-search", "路灯")
    page.click(f'#report-items [data-item="{CGJ_ITEM}"]')
    expect(page.locator("#report-item")).to_contain_text(CGJ_ITEM_NAME)
    description = f"路灯不亮，三号楼门口 {now_ms()}"
    page.fill("#report-description", description)
    page.click('#report-severity [data-severity="high"]')
    place_map = page.locator("#view-report .gridmap")
    box = place_map.bounding_box()
    assert box is not None
    place_map.click(position={"x": box["width"] * PICK_AT[0], "y": box["height"] * PICK_AT[1]})
    expect(page.locator("#report-place")).to_have_attribute("data-source", "map")
    take_photo(page, "report")
    expect(page.locator("#report-form .thumbs")).to_have_attribute("data-count", "1")
    shot(page, "report", whole=True)
    page.click("#report-submit")
    queue = page.locator("#report-queue li")
    expect(queue).to_have_count(1)
    expect(queue).to_contain_text("等待网络")

    # Back online, the first answer is lost on the way (the server has the case, the phone
    # does not know): the report stays queued and the next try gets the same case back.
    lost: list[str] = []

    def lose_first_answer(route: Route) -> None:
        if route.request.method == "POST" and not lost:
            lost.append(route.fetch().text())
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/api/v1/cases", lose_first_answer)
    phone.context.set_offline(False)
    wait_until(page, lambda: bool(lost))
    page.wait_for_timeout(500)
    expect(queue).to_have_count(1)
    assert '"duplicate_of"' in lost[0]  # the server did file it
    phone.context.set_offline(True)  # the signal drops and comes back: the report goes again
    phone.context.set_offline(False)
    expect(page.locator("#report-queue li:not([data-state=sent])")).to_have_count(
        0, timeout=DELIVER_MS)
    expect(page.locator("#report-queue li[data-state=sent]")).to_contain_text("已上报")
    result = page.locator("#report-result .newest")
    expect(result).to_contain_text("城市管理办理")
    case_id = result.get_attribute("data-case")
    assert case_id

    with api(live, tokens("gw002")) as c:
        mine = [x for x in c.get("/api/v1/cases").json()["items"] if x["reporter"] == "gw002"]
        assert [x["id"] for x in mine] == [case_id]  # once
        case = c.get(f"/api/v1/cases/{case_id}").json()
        assert case["description"] == description
        assert case["severity"] == "high"
        assert case["department"] == "cgj"
        assert case["lon"] > lon and case["lat"] > lat  # where it was tapped: north-east
        assert len(case["media"]) == 1
        photo = c.get(f"/api/v1/media/{case['media'][0]}")
    assert photo.headers["content-type"] == "image/jpeg"
    width, height = jpeg_size(photo.content)
    assert max(width, height) == MAX_EDGE_PX
    assert abs(width / height - PHOTO_SIZE[0] / PHOTO_SIZE[1]) < 0.01
    page.click('[data-tab="cases"]')
    expect(page.locator(f'#case-mine [data-case="{case_id}"]')).to_be_visible()
    assert page_errors(phone) == []


# --- disposal members, the reporter's verification, the lead ------------------------------


#: What a phone that lags behind has not heard yet when it taps accept.
MISSED = ('"job.taken"', '"job.updated"')


def miss_the_news(ws: WebSocketRoute) -> None:
    """A team socket that hears offers but not who took them: only the 409 tells it."""
    server = ws.connect_to_server()
    server.on_message(lambda message: None if any(m in str(message) for m in MISSED)
                      else ws.send(message))
    ws.on_message(lambda message: server.send(message))


def test_members_race_for_a_job_and_the_reporter_verifies(
        phones: Phones, live: LiveServer, seeded: OrgData,
        tokens: Callable[[str], str]) -> None:
    with api(live, tokens("admin")) as c:
        members = c.get("/api/v1/departments/cgj").json()["members"]
    first, second, slow = members[:3]
    a, b, c3 = phones(), phones(), phones()
    c3.page.route_web_socket(re.compile(r".*/ws/team.*"), miss_the_news)
    for phone, name in ((a, first), (b, second), (c3, slow)):
        sign_in(phone.page, live, name)
        expect(phone.page.locator("#offer-list")).to_contain_text("暂无新任务")

    lat, lon = grid_centre(seeded, "017")
    reporter = phones(lat, lon)
    sign_in(reporter.page, live, "gw017")
    photo = upload_picture(live, tokens("gw017"))
    case = report_case(live, tokens("gw017"), CGJ_ITEM, lat, lon, media=[photo],
                       description="路灯不亮，夜间行人看不清")
    cid = case["id"]
    for phone in (a, b, c3):
        expect(phone.page.locator("#offer")).to_have_attribute("data-case", cid, timeout=LIVE_MS)
    expect(a.page.locator("#offer")).to_contain_text(CGJ_ITEM_NAME)
    shot(a.page, "job-offer")

    a.page.click("#offer-accept")
    sheet = a.page.locator("#case-sheet")
    expect(sheet).to_have_attribute("data-case", cid)
    expect(sheet).to_have_attribute("data-state", "accepted")
    expect(sheet.locator(f'img[data-media="{photo}"]')).to_have_attribute(
        "src", re.compile(r"^blob:"))  # the reporter's photo, fetched with the token
    expect(b.page.locator("#offer")).to_have_attribute("data-taken", first, timeout=LIVE_MS)
    expect(b.page.locator("#offer")).to_contain_text(f"已被 {first} 接单")
    expect(b.page.locator(f'#offer-list [data-case="{cid}"]')).to_have_attribute(
        "data-taken", first)
    shot(b.page, "job-taken")

    c3.page.click("#offer-accept")  # never told: the server's 409 says who won
    expect(c3.page.locator("#offer")).to_have_attribute("data-taken", first, timeout=LIVE_MS)
    expect(c3.page.locator(f'#offer-list [data-case="{cid}"]')).to_contain_text(
        f"已被 {first} 接单")

    progress = sheet.locator('form[data-action="progress"]')
    progress.locator("textarea").fill("已联系供电所，今晚更换灯泡")
    progress.locator("button").click()
    expect(sheet.locator(".timeline")).to_contain_text("已联系供电所")
    resolve = sheet.locator('form[data-action="resolve"]')
    resolve.locator("textarea").fill("灯泡已更换，路灯恢复")
    take_photo(a.page, "resolve", shade=40)
    expect(resolve.locator(".thumbs")).to_have_attribute("data-count", "1")
    shot(a.page, "job", whole=True)
    resolve.locator('button[type="submit"]').click()
    expect(sheet).to_have_attribute("data-state", "resolved", timeout=LIVE_MS)
    sheet.locator(".back").click()
    expect(a.page.locator(f'#held-list [data-case="{cid}"]')).to_have_attribute(
        "data-state", "resolved")
    shot(a.page, "jobs")

    # the reporter is asked to verify on site
    rp = reporter.page
    rp.click('[data-tab="cases"]')
    task = rp.locator(f'#case-todo [data-case="{cid}"]')
    expect(task).to_be_visible(timeout=LIVE_MS)
    shot(rp, "cases")
    task.locator("button").click()
    verify = rp.locator('#case-sheet form[data-action="verify"]')
    verify.locator("textarea").fill("现场查看，路灯已亮")
    take_photo(rp, "verify", shade=80)
    expect(verify.locator(".thumbs")).to_have_attribute("data-count", "1")
    expect(rp.locator("#case-sheet img[data-media]")).to_have_count(2)  # report's + result's
    expect(rp.locator("#case-sheet img[data-media]").last).to_have_attribute(
        "src", re.compile(r"^blob:"))
    shot(rp, "verify", whole=True)
    verify.locator('[data-verify="pass"]').click()
    expect(rp.locator("#case-sheet")).to_have_attribute("data-state", "closed", timeout=LIVE_MS)
    with api(live, tokens("gw017")) as c:
        done = c.get(f"/api/v1/cases/{cid}").json()
    assert done["assignee"] == first
    assert done["state"] == "closed"
    assert len(done["media"]) == 3  # the report's, the result's and the verification's
    for phone in (a, b, reporter):
        assert phone.errors.items == []
    assert [e for e in c3.errors.items if "409 (Conflict)" not in e] == []  # only the refusal


def test_a_lead_sees_who_holds_each_open_job(phones: Phones, live: LiveServer,
                                             seeded: OrgData,
                                             tokens: Callable[[str], str]) -> None:
    lead = department_lead(live, tokens("admin"), "cgj")
    with api(live, tokens("admin")) as c:
        member = c.get("/api/v1/departments/cgj").json()["members"][0]
    held = report_case(live, tokens("gw030"), CGJ_ITEM, *grid_centre(seeded, "030"))
    waiting = report_case(live, tokens("gw031"), "SS03", *grid_centre(seeded, "031"))
    with api(live, tokens(member)) as c:
        assert c.post(f"/api/v1/cases/{held['id']}/accept").status_code == 200

    phone = phones()
    page = phone.page
    sign_in(page, live, lead)
    expect(page.locator("#offer")).to_have_attribute("data-case", waiting["id"])
    page.click("#offer-later")  # the lead looks at the department first
    expect(page.locator("#offer")).to_be_hidden()
    page.click('[data-tab="team"]')
    expect(page.locator("#team-summary")).to_contain_text("在办 2 件")
    row = page.locator(f'#view-team [data-case="{held["id"]}"]')
    expect(row.locator(".holder")).to_have_attribute("data-holder", member)
    expect(page.locator(f'#view-team [data-group="waiting"] [data-case="{waiting["id"]}"]')
           ).to_contain_text("无人接单")
    shot(page, "team")

    page.locator(".bar .lang-toggle").click()
    expect(page.locator("#view-title")).to_have_text("Department")
    expect(page.locator("#team-summary")).to_contain_text("2 open")
    assert phone.errors.items == []


def test_sign_in_and_the_tracking_setup_page(phones: Phones, live: LiveServer,
                                             seeded: OrgData) -> None:
    phone = phones()
    page = phone.page
    page.goto(f"{live.url}/app")
    expect(page.locator("#login-form h1")).to_have_text("网格通")
    shot(page, "login")
    page.fill("#login-username", "disp1")
    page.fill("#login-password", PASSWORD)
    page.click("#login-submit")
    expect(page.locator("#login-message")).to_contain_text("指挥大屏")

    sign_in(page, live, "gw005")
    page.reload()  # the token is kept on the phone
    page.wait_for_selector("body[data-ready=true]", timeout=READY_MS)
    expect(page.locator("#conn")).to_have_attribute("data-state", "open", timeout=READY_MS)
    open_alert(live, AlertKind.OUT_OF_GRID, "gw005", "S01", {"grid": "005", "at_grid": "006"})
    banner = page.locator("#banner")
    expect(banner).to_contain_text("离开责任网格 · 当前在 006 网格", timeout=LIVE_MS)
    expect(page.locator("#alert-list li[data-kind=out_of_grid]")).to_have_count(1)
    banner.locator(".banner-close").click()
    expect(banner).to_be_hidden()
    page.click("#menu-button")
    expect(page.locator("#menu-user")).to_contain_text("gw005")
    page.click("#menu-tracking")
    expect(page.locator("code.copy").first).to_have_text(f"{live.url}/osmand")
    expect(page.locator("code.username").first).to_have_text("gw005")
    expect(page.locator("body")).to_contain_text("OwnTracks")
    shot(page, "tracking")
    page.go_back()
    page.wait_for_selector("body[data-ready=true]", timeout=READY_MS)
    page.click("#menu-button")
    page.click("#logout")
    expect(page.locator("#login-view")).to_be_visible()
    assert page.evaluate("localStorage.getItem('dispatch.app.session')") is None
    assert phone.errors.items == []
