"""The field app survives the field, on a 390x844 touch phone in Debian's Chromium: installable
(manifest, icons, an active service worker: Chromium's own installability check), opened with
no signal and patrolled (every fix uploaded once when back), updated whole at the next open,
a report refused for its photo kept, explained in Chinese, edited and sent (and one picture
going with two reports), upload progress on Slow 3G, a photo the phone cannot decode refused
before upload, location denied, and an extra patrol at night. Screenshots: artifacts/app-*.png.

One server (at night in its time zone, with a copy of the web files the update test may
change) and one browser serve the whole module; each test is a new phone.
"""

from __future__ import annotations

import base64
import os
import shutil
import struct
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import redis
from playwright.sync_api import Browser, FilePayload, Page, Request, expect

from dispatch.bootstrap import bootstrap
from dispatch.http import web_routes
from dispatch.org.model import OrgData
from dispatch.org.seed import seed_org
from dispatch.settings import Settings
from tests.browser.conftest import ARTIFACTS, READY_MS, grid_centre, now_ms
from tests.browser.phones import PHONE_WIDTH, Phone, Phones, phone_maker, sign_in
from tests.browser.test_field_app import CONTENT_HEIGHT, stored_track
from tests.conftest import PASSWORD, TEST_SCRYPT_N, LiveServer, run_async, running

STEP_DEG = 0.00015
LIVE_MS = 5_000
DELIVER_MS = 15_000
POLL_MS = 100
#: Chrome DevTools' "Slow 3G": 400 kbit/s each way, 2 s of latency.
SLOW_3G = {"offline": False, "latency": 2000, "downloadThroughput": 50_000,
           "uploadThroughput": 50_000}
#: A photo the phone cannot decode (HEIC-like), larger than the server takes.
UNDECODABLE_BYTES = 12 * 1024 * 1024
LIMIT_MB = 8
NIGHT_HOUR = 23
#: What Chromium says of a page in a fresh (incognito-like) test profile, not of the app.
PROFILE_ONLY = {"in-incognito"}


def night_zone() -> str:
    """A time zone where it is now about 23:00 (Etc/GMT-N is N hours ahead of UTC)."""
    now = datetime.now(UTC)
    target = NIGHT_HOUR if now.minute < 50 else NIGHT_HOUR - 1
    offset = (target - now.hour) % 24
    if offset > 14:
        offset -= 24
    return "Etc/GMT" + (f"{-offset:+d}" if offset else "")


NIGHT_TZ = night_zone()


@dataclass
class Street:
    live: LiveServer
    org: OrgData
    web_dir: Path
    cache: dict[str, str] = field(default_factory=dict)

    def token(self, username: str) -> str:
        if username not in self.cache:
            self.cache[username] = self.live.login(username)
        return self.cache[username]

    def api(self, username: str) -> httpx.Client:
        return self.live.client(self.token(username))


@pytest.fixture(scope="module")
def night(redis_server: str, street: OrgData,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Street]:
    """The reference street at night (DISPATCH_TZ), served from a copy of the web files."""
    client = redis.Redis.from_url(redis_server)
    client.flushall()
    client.close()
    tmp = tmp_path_factory.mktemp("field-offline")
    web_dir = tmp / "web"
    shutil.copytree(web_routes.WEB_DIR, web_dir)
    settings = Settings.from_env({}, redis_url=redis_server, data_dir=tmp / "data",
                                 scrypt_n=TEST_SCRYPT_N, login_limit_user=1000,
                                 login_limit_addr=1000, tz=NIGHT_TZ)

    async def seed() -> None:
        c = bootstrap(settings)
        try:
            await seed_org(c.redis, c.keys, c.users, c.org, street, PASSWORD)
        finally:
            await c.aclose()

    run_async(seed())
    static = web_routes.static
    served = (web_routes.WEB_DIR, static.directory, static.all_directories)
    web_routes.WEB_DIR, static.directory, static.all_directories = web_dir, web_dir, [web_dir]
    try:
        with running(settings) as live:
            yield Street(live, street, web_dir)
    finally:
        web_routes.WEB_DIR, static.directory, static.all_directories = served


@pytest.fixture
def phones(browser: Browser) -> Iterator[Phones]:
    """``phones(lat, lon)``: a new phone there; ``phones()``: location refused. Its clock
    and language are the night street's."""
    with phone_maker(browser, timezone_id=NIGHT_TZ, locale="zh-CN") as make:
        yield make


def shot(page: Page, name: str, *, whole: bool = False) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    size = page.viewport_size
    assert size is not None
    if whole:
        page.set_viewport_size({"width": size["width"],
                                "height": max(size["height"], page.evaluate(CONTENT_HEIGHT))})
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / f"app-{name}.png"))
    page.set_viewport_size(size)


def controlled(page: Page) -> None:
    """Wait until the service worker is active and serves this page."""
    # a function, not an expression: the page's CSP refuses eval
    page.wait_for_function("() => navigator.serviceWorker && navigator.serviceWorker.controller"
                           " && navigator.serviceWorker.controller.state === 'activated'",
                           timeout=READY_MS)


#: How long the probe waits for the worker's answer: a worker replaced meanwhile (an update
#: taking over) never answers, and page.evaluate itself has no time limit.
ANSWER_MS = 1000

SHELL_VERSION = """() => new Promise((done) => {
  const worker = navigator.serviceWorker.controller;
  if (!worker) { done(null); return; }
  const channel = new MessageChannel();
  channel.port1.onmessage = (event) => done(event.data.version);
  setTimeout(() => done(null), ANSWER_MS);
  worker.postMessage({type: "version"}, [channel.port2]);
})""".replace("ANSWER_MS", str(ANSWER_MS))


def shell_version(page: Page) -> str | None:
    """The version of the app the service worker controlling ``page`` serves."""
    found = page.evaluate(SHELL_VERSION)
    return str(found) if found else None


#: A new worker's install downloads every file of the shell before it takes over.
INSTALL_MS = 30_000


def wait_for_version(page: Page, done: Callable[[str | None], bool]) -> None:
    deadline = time.monotonic() + INSTALL_MS / 1000
    while not done(shell_version(page)):
        assert time.monotonic() < deadline, "the new version never took over"
        page.wait_for_timeout(POLL_MS)


def page_errors(phone: Phone) -> list[str]:
    return [e for e in phone.errors.items if "net::ERR_" not in e and "Failed to fetch" not in e]


def fits_the_phone(page: Page) -> None:
    """Nothing wider than the screen (a long id once pushed the page to 557 px)."""
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def noise_png(width: int, height: int) -> bytes:
    """A photo that does not compress: its JPEG stays large enough to watch it upload."""
    raw = os.urandom(width * height * 3)
    rows = b"".join(b"\x00" + raw[y * width * 3:(y + 1) * width * 3] for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 1))
            + chunk(b"IEND", b""))


def take(page: Page, picker: str, name: str, mime: str, data: bytes) -> None:
    photo: FilePayload = {"name": name, "mimeType": mime, "buffer": data}
    page.set_input_files(f'input[data-photo-input="{picker}"]', files=[photo])


def choose_item(page: Page, query: str, item: str) -> None:
    page.fill("#report-search", query)
    page.click(f'#report-items [data-item="{item}"]')


def small_jpeg(page: Page) -> bytes:
    """A small camera-like JPEG made by the browser (kept as it is by the app)."""
    encoded = page.evaluate("""async () => {
      const c = document.createElement("canvas"); c.width = 640; c.height = 480;
      const g = c.getContext("2d"); g.fillStyle = "#35506b"; g.fillRect(0, 0, 640, 480);
      g.fillStyle = "#f2c14e"; g.fillRect(120, 90, 400, 300);
      const blob = await new Promise((r) => c.toBlob(r, "image/jpeg", 0.9));
      const bytes = new Uint8Array(await blob.arrayBuffer());
      let s = ""; for (const b of bytes) s += String.fromCharCode(b); return btoa(s);
    }""")
    return base64.b64decode(encoded)


# --- installable, offline, updated whole ------------------------------------------------


def test_installable_opened_offline_and_patrolled(phones: Phones, night: Street) -> None:
    live = night.live
    lat, lon = grid_centre(night.org, "011")
    phone = phones(lat, lon)
    page = phone.page
    sign_in(page, live, "gw011")
    controlled(page)

    # Lighthouse's installability, from Chromium itself: the manifest parses, the icons load,
    # a service worker controls the start URL
    cdp = phone.context.new_cdp_session(page)
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["errors"] == [], manifest["errors"]
    assert manifest["url"].endswith("/app/manifest.webmanifest")
    errors = {e["errorId"] for e in cdp.send("Page.getInstallabilityErrors")[
        "installabilityErrors"]}
    assert errors <= PROFILE_ONLY, errors
    with live.client() as http:
        served = http.get("/app/manifest.webmanifest")
        worker = http.get("/app/sw.js")
        body = served.json()
        icons = {i["sizes"]: http.get(i["src"]).content for i in body["icons"]}
    assert served.headers["content-type"].startswith("application/manifest+json")
    assert (body["start_url"], body["scope"], body["display"]) == ("/app", "/app", "standalone")
    assert {png_size(data) for data in icons.values()} == {(192, 192), (512, 512)}
    assert worker.headers["service-worker-allowed"] == "/app"
    assert worker.headers["cache-control"] == "no-cache"
    scope = page.evaluate("navigator.serviceWorker.ready.then((r) => r.scope)")
    assert scope == f"{live.url}/app"

    # no signal: the app closes and opens again from the phone, and the patrol goes on
    expect(page.locator("#tracking")).to_have_attribute("data-delivered", "1", timeout=LIVE_MS)
    before = len(stored_track(live, "gw011"))
    phone.context.set_offline(True)
    page = phone.reopen()
    opened = page.goto(f"{live.url}/app")
    assert opened is not None and opened.from_service_worker
    page.wait_for_selector("body[data-ready=true]", timeout=READY_MS)
    expect(page.locator("#conn")).to_have_attribute("data-state", "offline")
    assert page.evaluate("fetch('/healthz').then(() => 'online', () => 'offline')") == "offline"
    tracking = page.locator("#tracking")
    expect(tracking).to_have_attribute("data-locating", "true", timeout=LIVE_MS)
    view = page.locator("#view-patrol")
    button = page.locator("#patrol-button")
    expect(button).to_have_text("开始额外巡查")  # 23:00 in the street: no window is open
    tapped = now_ms()
    button.click()
    expect(view).to_have_attribute("data-patrol", "in_progress")
    expect(view).to_have_attribute("data-unsent", "true")
    expect(page.locator("#patrol-message")).to_contain_text("联网后自动补登")
    taken = int(tracking.get_attribute("data-taken") or "0")
    for n in range(1, 4):
        phone.move(lat + STEP_DEG * n, lon + STEP_DEG * n * 2 / 3)  # under the GPS noise
        taken += 1
        expect(tracking).to_have_attribute("data-taken", str(taken), timeout=LIVE_MS)
    expect(tracking).to_have_attribute("data-queued", str(taken))
    expect(page.locator("#tracking")).to_contain_text("无网络：定位先存在手机上")
    fits_the_phone(page)
    shot(page, "offline-patrol", whole=True)
    button.click()
    button.click()  # the second tap ends it, offline too
    expect(view).to_have_attribute("data-patrol", "none")
    expect(view).to_have_attribute("data-pending", "2")
    assert len(stored_track(live, "gw011")) == before

    phone.context.set_offline(False)
    expect(view).to_have_attribute("data-pending", "0", timeout=DELIVER_MS)
    expect(tracking).to_have_attribute("data-queued", "0", timeout=DELIVER_MS)
    stored = stored_track(live, "gw011")
    times = [ts for ts, _, _ in stored]
    assert len(times) == len(set(times)) == before + taken  # every fix, once
    with night.api("gw011") as http:
        patrols = http.get("/api/v1/patrols").json()["items"]
    assert len(patrols) == 1
    record = patrols[0]
    assert record["kind"] == "extra" and record["status"] == "incomplete"
    assert tapped <= record["start"] <= tapped + LIVE_MS  # when it was tapped, not sent
    assert record["points"] == 3  # the fixes walked between the taps
    expect(page.locator(".patrol-list li[data-kind=extra]")).to_contain_text("额外巡查")
    assert page_errors(phone) == []


def test_an_update_runs_whole_at_the_next_open(phones: Phones, night: Street) -> None:
    live = night.live
    phone = phones()
    page = phone.page
    page.goto(f"{live.url}/app")
    expect(page.locator("#login-form .muted")).to_have_text("网格员 · 处置人员登录")
    controlled(page)
    first = shell_version(page)
    assert first is not None and len(first) == 16

    texts = night.web_dir / "app" / "texts.js"
    page_file = night.web_dir / "app" / "index.html"
    old_texts, old_page = texts.read_text(), page_file.read_text()
    try:  # a new version: a page and a module changed together
        login_title = "网格员 · 处置人员登录"
        texts.write_text(old_texts.replace(login_title, login_title + "（新版）"))
        page_file.write_text(old_page.replace("<title>", '<meta name="build" content="2">\n'
                                              "  <title>"))
        page = phone.reopen()
        page.goto(f"{live.url}/app")  # this open still runs the old version, all of it
        expect(page.locator("#login-form .muted")).to_have_text("网格员 · 处置人员登录")
        assert page.locator('meta[name="build"]').count() == 0
        wait_for_version(page, lambda version: version not in (None, first))
        page = phone.reopen()
        page.goto(f"{live.url}/app")  # the next open: the new version, all of it
        expect(page.locator("#login-form .muted")).to_have_text("网格员 · 处置人员登录（新版）")
        assert page.locator('meta[name="build"]').count() == 1
        names = page.evaluate("caches.keys()")
        assert len([n for n in names if n.startswith("dispatch-app-shell-")]) == 1
    finally:
        texts.write_text(old_texts)
        page_file.write_text(old_page)
    assert page_errors(phone) == []


# --- reports: never lost, told in Chinese, progress that tells the truth ------------------


def test_a_refused_report_is_kept_explained_edited_and_sent(phones: Phones,
                                                            night: Street) -> None:
    live = night.live
    lat, lon = grid_centre(night.org, "012")
    phone = phones(lat, lon)
    page = phone.page
    sign_in(page, live, "gw012")
    page.click('[data-tab="report"]')
    expect(page.locator("#report-place")).to_have_attribute("data-source", "gps")

    # one picture showing two problems goes with both reports
    street_photo = noise_png(320, 240)
    for item, query in (("SS01", "路灯"), ("SR01", "")):
        if query:
            choose_item(page, query, item)
        else:
            page.click('#report-categories [data-category="SR"]')
            page.click(f'#report-items [data-item="{item}"]')
        page.fill("#report-description", f"一张照片两个问题 {item}")
        take(page, "report", "IMG_2001.png", "image/png", street_photo)
        expect(page.locator("#report-form .thumbs")).to_have_attribute("data-count", "1")
        page.click("#report-submit")
        expect(page.locator("#report-queue li[data-state=sent]")).to_have_count(
            1 if item == "SS01" else 2, timeout=DELIVER_MS)
    with night.api("gw012") as http:
        mine = [c for c in http.get("/api/v1/cases").json()["items"] if c["reporter"] == "gw012"]
        media = [http.get(f"/api/v1/cases/{c['id']}").json()["media"] for c in mine]
    assert len(mine) == 2 and media[0] == media[1] and len(media[0]) == 1

    # a picture forwarded by a neighbour who reported it first: refused, kept, explained
    picture = small_jpeg(page)
    with night.api("gw013") as http:
        photo = http.post("/api/v1/media", files={"file": ("wx.jpg", picture, "image/jpeg")})
        first = http.post("/api/v1/cases", json={
            "client_id": "wx-1", "item": "SS01", "description": "邻居转来的照片",
            "media": [photo.json()["id"]],
            **dict(zip(("lat", "lon"), grid_centre(night.org, "013"), strict=True))}).json()
    choose_item(page, "路灯", "SS01")
    text = "三号楼门口路灯不亮，照片是邻居转来的"
    page.fill("#report-description", text)
    take(page, "report", "wx_camera_1700000000.jpg", "image/jpeg", picture)
    expect(page.locator("#report-form .thumbs")).to_have_attribute("data-count", "1")
    page.click("#report-submit")
    refused = page.locator("#report-queue li[data-state=failed]")
    expect(refused).to_have_count(1, timeout=DELIVER_MS)
    told = f"第 1 张照片已用于案件 {first['id']}，可去掉这张照片后重新上报"
    expect(refused).to_contain_text(told)
    expect(refused).to_contain_text(text)
    toast = page.locator("#toast")
    expect(toast).to_be_visible()
    expect(toast).to_have_attribute("data-kind", "error")
    expect(toast).to_contain_text(told)
    expect(page.locator('#tabs [data-tab="report"] .badge')).to_have_text("1")
    for shown in (refused.inner_text(), toast.inner_text()):
        assert "belongs" not in shown and photo.json()["id"][:8] not in shown  # no raw English
    fits_the_phone(page)
    assert page.locator("#report-outbox").bounding_box()["y"] < page.locator(  # type: ignore[index]
        "#report-form").bounding_box()["y"]  # type: ignore[index]
    shot(page, "report-refused")

    refused.locator('[data-action="discard"]').click()  # delete asks first
    expect(refused).to_contain_text("无法恢复")
    refused.locator('[data-action="discard-cancel"]').click()
    expect(refused).to_have_count(1)
    page.reload()  # the refused report is kept on the phone, photos and all
    page.wait_for_selector("body[data-ready=true]", timeout=READY_MS)
    refused = page.locator("#report-queue li[data-state=failed]")
    expect(refused).to_contain_text(told)
    refused.locator('[data-action="edit"]').click()
    expect(page.locator("#report-editing")).to_contain_text(told)
    expect(page.locator("#report-description")).to_have_value(text)
    marked = page.locator('#report-form .thumb[data-marked="true"]')
    expect(marked).to_have_count(1)
    shot(page, "report-editing", whole=True)
    marked.locator(".thumb-remove").click()
    page.fill("#report-description", text + "（已去掉转来的照片）")
    page.click("#report-submit")
    expect(page.locator("#report-queue li[data-state=failed]")).to_have_count(0,
                                                                         timeout=DELIVER_MS)
    sent = page.locator("#report-queue li[data-state=sent]").first
    expect(sent).to_contain_text("已上报")
    with night.api("gw012") as http:
        mine = [c for c in http.get("/api/v1/cases").json()["items"] if c["reporter"] == "gw012"]
        newest = http.get(f"/api/v1/cases/{max(mine, key=lambda c: c['created'])['id']}").json()
    assert len(mine) == 3 and newest["description"].startswith(text)
    assert newest["media"] == []
    assert page.evaluate("""import('/static/app/errors.js').then((m) => m.errorText(
      {status: 400, code: 'a_code_from_a_newer_server', details: {}}))""") == (
        "服务器未接受（错误代码 a_code_from_a_newer_server），请联系指挥中心")
    assert page_errors(phone) == [] or all("400" in e for e in page_errors(phone))


def test_upload_progress_on_slow_3g_and_a_photo_the_phone_cannot_decode(
        phones: Phones, night: Street, tmp_path: Path) -> None:
    live = night.live
    lat, lon = grid_centre(night.org, "014")
    phone = phones(lat, lon)
    page = phone.page
    sign_in(page, live, "gw014")
    page.click('[data-tab="report"]')
    uploads: list[str] = []
    page.on("request", lambda r: uploads.append(r.url) if "/api/v1/media" in r.url else None)

    heic = tmp_path / "IMG_0042.HEIC"  # a file on disk: the browser reads it as a phone would
    heic.write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"
                     + os.urandom(UNDECODABLE_BYTES))
    page.set_input_files('input[data-photo-input="report"]', files=[heic])
    refusal = page.locator("#report-form .photo-refused")
    expect(refusal).to_contain_text(f"超过 {LIMIT_MB} MB 上限")
    expect(refusal).to_contain_text("12.0 MB")
    expect(page.locator("#toast")).to_contain_text("没有上传")
    expect(page.locator("#report-form .thumbs")).to_have_attribute("data-count", "0")
    fits_the_phone(page)
    shot(page, "photo-refused")
    assert uploads == []

    choose_item(page, "路灯", "SS01")
    page.fill("#report-description", "慢网络上传进度")
    take(page, "report", "IMG_0043.png", "image/png", noise_png(400, 300))
    expect(page.locator("#report-form .thumbs")).to_have_attribute("data-count", "1")
    cdp = phone.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    # the tap as the page gets it (Playwright's click would wait for the upload it starts)
    page.evaluate("document.querySelector('#report-submit').click()")
    item = page.locator("#report-queue li").first
    seen: list[int] = []
    deadline = time.monotonic() + 60
    while item.get_attribute("data-state") != "sent":
        assert time.monotonic() < deadline, "the report never went up"
        status = item.locator(".queue-status").inner_text()
        if status.startswith("上传中"):
            seen.append(int(status.removeprefix("上传中").strip().rstrip("%")))
            if len(seen) == 8:
                shot(page, "report-uploading")
        page.wait_for_timeout(POLL_MS)
    cdp.send("Network.emulateNetworkConditions", {**SLOW_3G, "latency": 0,
                                                  "downloadThroughput": -1,
                                                  "uploadThroughput": -1})
    expect(item).to_contain_text("已上报")
    assert seen == sorted(seen), seen  # it only goes forward
    assert len({n for n in seen if 0 < n < 100}) >= 3, seen  # and shows the bytes going
    assert len(uploads) == 1
    assert page_errors(phone) == []


# --- location: honest, and extra patrols ----------------------------------------------


def test_location_denied_is_said_and_a_patrol_goes_without(phones: Phones,
                                                           night: Street) -> None:
    live = night.live
    phone = phones()  # the phone refuses location to the site
    page = phone.page
    sign_in(page, live, "gw015")
    tracking = page.locator("#tracking")
    expect(tracking).to_have_attribute("data-geo", "denied", timeout=LIVE_MS)
    expect(tracking).not_to_contain_text("定位实时上传")
    expect(tracking).to_contain_text("已连接服务器，但没有定位：位置没有上传")
    view = page.locator("#view-patrol")
    page.click("#patrol-button")
    warning = page.locator("#patrol-location")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("未允许本网站使用位置")
    expect(view).to_have_attribute("data-patrol", "none")  # not started behind the worker's back
    page.click("#patrol-ask-again")
    expect(tracking).to_have_attribute("data-asks", "1")
    expect(tracking).to_have_attribute("data-geo", "denied", timeout=LIVE_MS)
    fits_the_phone(page)
    shot(page, "location-denied")
    page.click("#patrol-without-location")
    expect(view).to_have_attribute("data-patrol", "in_progress")
    expect(view).to_have_attribute("data-without-location", "true")
    expect(page.locator(".patrol-state")).to_contain_text("无定位巡查")
    expect(view).to_have_attribute("data-pending", "0", timeout=LIVE_MS)
    with night.api("gw015") as http:
        patrols = http.get("/api/v1/patrols").json()["items"]
    assert [p["without_location"] for p in patrols] == [True]
    shot(page, "patrol-without-location")
    assert page_errors(phone) == []


def test_an_extra_patrol_at_night_with_the_track_fetched_by_increments(
        phones: Phones, night: Street) -> None:
    live = night.live
    lat, lon = grid_centre(night.org, "016")
    phone = phones(lat, lon)
    page = phone.page
    tracks: list[str] = []

    def on_request(request: Request) -> None:
        if "/api/v1/workers/" in request.url:
            tracks.append(request.url)

    page.on("request", on_request)
    sign_in(page, live, "gw016")
    clock = page.evaluate("new Date().getHours()")
    assert clock in (NIGHT_HOUR - 1, NIGHT_HOUR, 0)  # the phone shows the street's night
    expect(page.locator(".patrol-window")).to_contain_text("现在不在巡查时段：可以开始额外巡查")
    button = page.locator("#patrol-button")
    expect(button).to_have_text("开始额外巡查")
    expect(page.locator("#tracking")).to_have_attribute("data-locating", "true", timeout=LIVE_MS)
    button.click()
    view = page.locator("#view-patrol")
    expect(view).to_have_attribute("data-kind", "extra")
    expect(view).to_have_attribute("data-pending", "0", timeout=LIVE_MS)
    expect(page.locator(".patrol-state")).to_contain_text("额外巡查")
    expect(page.locator(".patrol-window")).to_have_text("额外巡查 · 不计入巡查时段")
    tracking = page.locator("#tracking")
    for n in range(1, 3):  # each fix comes back as an increment of the track (since=)
        phone.move(lat - STEP_DEG * n, lon + STEP_DEG * n * 2 / 3)
        expect(tracking).to_have_attribute("data-points", str(n + 1), timeout=DELIVER_MS)
    expect(page.locator('[data-figure="distance"]')).not_to_have_text("0 m", timeout=DELIVER_MS)
    fits_the_phone(page)
    shot(page, "extra-patrol-night", whole=True)
    whole = [u for u in tracks if "since=" not in u]
    # the day once, then only what is new; once more at most when a first fix went up by
    # HTTP (the socket still signing in) older than the track the page had just fetched
    assert 1 <= len(whole) <= 2, tracks
    assert "since=" in tracks[-1] and len(tracks) > len(whole), tracks
    with night.api("gw016") as http:
        patrols = http.get("/api/v1/patrols").json()["items"]
    assert [(p["kind"], p["window"]["name"]) for p in patrols] == [("extra", "")]
    assert page_errors(phone) == []
