"""The archive of closed cases: a closed case compacted into one record takes under
1,500 bytes of Redis with its photos and timeline, reads the same through the API (detail,
listing, search, its photos), counts the same in every report, comes back live when the
desk reopens it, and a compaction killed halfway leaves every case whole."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis

from dispatch.bootstrap import bootstrap
from dispatch.cases.actions import Action
from dispatch.cases.commands import Command, ReportCommand
from dispatch.embedded_redis import EmbeddedRedis
from dispatch.identity.principal import Principal
from dispatch.identity.roles import Role
from dispatch.jobs.schedule import periodic_jobs
from dispatch.keys import Keys
from dispatch.org.model import OrgData
from dispatch.org.seed import seed_org
from dispatch.reports.definitions import CASE_FIGURES
from dispatch.reports.periods import Kind
from dispatch.settings import Settings
from tests.cases.helpers import Cases, Places
from tests.conftest import PNG_1PX, LiveServer, run_async, running
from tests.open311.helpers import V2, api_key, file_request, members_of
from tests.waiting import wait_until

#: The goal per closed case (its keys, its photos' and its share of the index keys).
GOAL_BYTES = 1500
#: How long a compactor process may take to archive its first case.
COMPACT_S = 60.0
DESCRIPTION = "小区东门路灯不亮，夜间通行不便，请尽快维修"



def closed_case(cases: Cases, grid: str = "001", reporter: str = "gw001") -> tuple[str, list[str]]:
    """A street-light case closed the usual way: 2 photos reported, 2 with the result,
    progress twice, verified on site, rated twice (9 timeline entries)."""
    shots = [cases.photo(reporter), cases.photo(reporter)]
    cid = cases.report(reporter, grid=grid, description=DESCRIPTION, media=shots)["id"]
    cases.act("dm001", cid, "accept")
    cases.act("dm001", cid, "progress", note="已到现场，正在排查线路")
    cases.act("dm001", cid, "progress", note="配件已到，今晚更换")
    fixed = [cases.photo("dm001"), cases.photo("dm001")]
    cases.act("dm001", cid, "resolve", note="已更换灯泡和镇流器，夜间测试正常", media=fixed)
    cases.act(reporter, cid, "verify", ok=True, note="现场核查，路灯已亮")
    cases.act(reporter, cid, "rate", score=5, note="满意")
    cases.act("assess1", cid, "rate", score=4, note="处理及时")
    return cid, shots + fixed


def compact(settings: Settings, *ids: str) -> list[str]:
    async def go() -> list[str]:
        c = bootstrap(settings)
        try:
            return [await c.archive.compact(cid) for cid in ids]
        finally:
            await c.aclose()

    return list(run_async(go()))


def case_keys(rdb: redis.Redis, keys: Keys, cid: str, media: list[str]) -> list[str]:
    """Every key that holds something of one case alone."""
    found = [keys.case(cid), keys.case_timeline(cid), keys.case_archived(cid)]
    for m in media:
        found += [keys.media(m), keys.media_owners(m), keys.media_cases(m)]
    return [k for k in found if rdb.exists(k)]


def usage(rdb: redis.Redis, found: list[str]) -> int:
    return sum(int(rdb.memory_usage(k, samples=0) or 0) for k in found)


def test_an_archived_case_is_small_and_reads_as_before(cases: Cases, settings: Settings,
                                                       rdb: redis.Redis) -> None:
    keys = Keys(settings.street)
    cid, media = closed_case(cases)
    before = cases.get("disp1", cid)
    live_bytes = usage(rdb, case_keys(rdb, keys, cid, media))

    assert compact(settings, cid) == ["archived"]
    assert compact(settings, cid) == ["already"]  # idempotent
    held = case_keys(rdb, keys, cid, media)
    assert held == [keys.case_archived(cid)]  # hash, timeline and photo records folded in
    for index in (keys.cases_all(), keys.cases_in_state("closed"),
                  keys.cases_in_department("cgj"), keys.cases_in_grid("001"),
                  keys.cases_reported_by("gw001"), keys.cases_held_by("dm001")):
        assert rdb.zscore(index, cid) is None
    archived_bytes = usage(rdb, held) + usage(rdb, [keys.archive_bucket(0),
                                                    keys.archive_buckets()])
    assert archived_bytes <= GOAL_BYTES < live_bytes, (live_bytes, archived_bytes)

    for user in ("disp1", "dm001", "gw001", "assess1"):
        assert cases.get(user, cid) == before
    cases.get("dm073", cid, expect=403)  # sanitation does not see city management's case
    cases.get("gw021", cid, expect=403)
    for m in media:  # the photos: to their uploaders and to whoever sees the case
        for user in ("gw001", "dm001", "disp1"):
            r = cases.call(user, "GET", f"/api/v1/media/{m}")
            assert r.status_code == 200 and r.content.startswith(b"\x89PNG"), (user, r.text)
        assert cases.call("dm073", "GET", f"/api/v1/media/{m}").status_code == 403


def test_archived_cases_are_listed_and_searched_in_every_scope(cases: Cases,
                                                              settings: Settings) -> None:
    old, _ = closed_case(cases, grid="001")
    other, _ = closed_case(cases, grid="002", reporter="gw002")
    fresh = cases.report(grid="001", description="井盖缺失")["id"]
    compact(settings, old, other)

    def ids(user: str, **params: Any) -> list[str]:
        return [c["id"] for c in cases.listing(user, **params)["items"]]

    assert ids("disp1") == [fresh, other, old]
    assert ids("disp1", q="东门 路灯") == [other, old]
    assert ids("disp1", q="东门", grid="002") == [other]
    assert ids("disp1", state="closed") == [other, old]
    assert ids("disp1", state="open") == [fresh]
    assert ids("dm001", q="closed") == [other, old]  # the department's
    assert ids("dm073") == []
    assert ids("gw001") == [fresh, old]  # the grid's and the worker's own
    assert ids("gw002", q="green") == [other]
    page = cases.listing("disp1", limit=2)
    assert [c["id"] for c in page["items"]] == [fresh, other]
    rest = cases.listing("disp1", limit=2, cursor=page["next_cursor"])
    assert [c["id"] for c in rest["items"]] == [old] and rest["next_cursor"] is None
    summary = next(c for c in cases.listing("disp1")["items"] if c["id"] == old)
    assert summary["state"] == "closed" and summary["department"] == "cgj"


def test_reopening_an_archived_case_restores_the_live_case(cases: Cases, settings: Settings,
                                                          rdb: redis.Redis) -> None:
    keys = Keys(settings.street)
    cid, media = closed_case(cases)
    before = cases.get("disp1", cid)
    compact(settings, cid)

    cases.act("dm001", cid, "reopen", expect=403, reason="x")  # refused: still archived
    assert rdb.exists(keys.case_archived(cid))
    after = cases.act("disp1", cid, "reopen", reason="群众反映路灯又不亮")
    assert after["state"] == "reopened" and after["assignee"] == "dm001"
    assert after["timeline"][:len(before["timeline"])] == before["timeline"]
    assert not rdb.exists(keys.case_archived(cid))
    assert rdb.hget(keys.archive_bucket(0), cid[1:]) is None
    assert not rdb.exists(keys.archive_buckets())  # the only archived case left
    assert rdb.zscore(keys.cases_all(), cid) is not None
    assert rdb.zscore(keys.cases_in_department("cgj"), cid) is not None
    for m in media:
        assert rdb.smembers(keys.media_cases(m)) == {cid}
    cases.act("dm001", cid, "accept")
    cases.act("dm001", cid, "resolve", note="已修复")
    closed = cases.act("gw001", cid, "verify", ok=True)
    assert closed["state"] == "closed" and closed["rework_count"] == 1
    assert compact(settings, cid) == ["archived"]  # and it goes back to the archive
    assert cases.get("disp1", cid)["rework_count"] == 1


def test_a_late_rating_of_an_archived_case_is_kept(cases: Cases, settings: Settings) -> None:
    shots = [cases.photo("gw001")]
    cid = cases.report(media=shots)["id"]
    cases.act("dm001", cid, "accept")
    cases.act("dm001", cid, "resolve", note="已修复")
    cases.act("gw001", cid, "verify", ok=True)
    compact(settings, cid)
    rated = cases.act("assess1", cid, "rate", score=3, note="较慢")
    assert rated["rating"]["score"] == 3 and rated["state"] == "closed"


def test_the_clock_pass_archives_only_after_the_delay(cases: Cases, settings: Settings,
                                                     rdb: redis.Redis) -> None:
    keys = Keys(settings.street)
    cid, _ = closed_case(cases)
    open_case = cases.report(description="井盖缺失")["id"]
    updated = int(rdb.hget(keys.case(cid), "updated") or 0)

    async def pass_at(now: int) -> int:  # the clock's own job, at ``now``
        c = bootstrap(settings)
        try:
            job = next(j for j in periodic_jobs(c) if j.name == "archive")
            assert job.every_s == settings.archive_every_s
            before = await c.archive.count()
            await job.action(now)
            return await c.archive.count() - before
        finally:
            await c.aclose()

    delay = settings.archive_after_s * 1000
    assert run_async(pass_at(updated + delay - 1)) == 0
    assert run_async(pass_at(updated + delay)) == 1
    assert rdb.exists(keys.case_archived(cid)) and rdb.exists(keys.case(open_case))
    assert run_async(pass_at(updated + 10 * delay)) == 0


def test_a_killed_compaction_leaves_every_case_whole(settings: Settings, seeded: OrgData,
                                                    rdb: redis.Redis, tmp_path: Path) -> None:
    keys = Keys(settings.street)
    places = Places(seeded.grids)
    disp = Principal("disp1", Role.DISPATCHER)

    async def make() -> dict[str, dict[str, Any]]:
        c = bootstrap(settings)
        reporter = Principal("gw001", Role.GRID_WORKER, "001")
        member = Principal("dm001", Role.DISPOSAL_MEMBER, "cgj")
        try:
            made = {}
            for n in range(40):  # more than one pass moves before it is killed
                lat, lon = places.point(f"{n % 10 + 1:03d}")
                shot = await c.media.save(PNG_1PX + os.urandom(16), "gw001")
                case, _ = await c.cases.report(reporter, ReportCommand(
                    f"kill-{n}", "SS01", lat, lon, DESCRIPTION, None, (shot.id,), None))
                cid = str(case["id"])
                await c.cases.act(member, cid, Command(Action.ACCEPT))
                fixed = await c.media.save(PNG_1PX + os.urandom(16), "dm001")
                await c.cases.act(member, cid, Command(Action.RESOLVE, note="已修复",
                                                       media=(fixed.id,)))
                await c.cases.act(reporter, cid, Command(Action.VERIFY, ok=True))
                made[cid] = await c.cases.get(disp, cid)
            return made
        finally:
            await c.aclose()

    async def read(ids: list[str]) -> dict[str, dict[str, Any]]:
        c = bootstrap(settings)
        try:
            return {cid: await c.cases.get(disp, cid) for cid in ids}
        finally:
            await c.aclose()

    details = run_async(make())
    made = list(details)
    script = tmp_path / "compact.py"
    script.write_text(COMPACTOR)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
           "REDIS_URL": settings.redis_url or "", "DISPATCH_DATA": str(settings.data_dir)}
    proc = subprocess.Popen([sys.executable, str(script), *made], env=env)
    wait_until(lambda: proc.poll() is None and any(rdb.exists(keys.case_archived(c))
                                                   for c in made),
               "the compactor's first case", COMPACT_S)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)

    archived = [c for c in made if rdb.exists(keys.case_archived(c))]
    live = [c for c in made if rdb.exists(keys.case(c))]
    assert archived and live and sorted(archived + live) == sorted(made)  # each one place
    assert not set(archived) & set(live)
    assert run_async(read(made)) == details
    with running(settings) as server, server.client(server.login("disp1")) as http:
        listed = http.get("/api/v1/cases", params={"state": "closed", "limit": 100}).json()
        assert {c["id"] for c in listed["items"]} == set(made)
        for cid in archived[:3]:  # their photos too
            for m in details[cid]["media"]:
                assert http.get(f"/api/v1/media/{m}").status_code == 200
    compact(settings, *live)  # the next pass finishes the work
    assert all(rdb.exists(keys.case_archived(c)) for c in made)


COMPACTOR = """
import asyncio, sys
from dispatch.bootstrap import bootstrap
from dispatch.cases.actions import Action
from dispatch.cases.commands import Command, ReportCommand
from dispatch.identity.principal import Principal
from dispatch.identity.roles import Role
from dispatch.jobs.schedule import periodic_jobs
from dispatch.settings import Settings

async def main(ids):
    c = bootstrap(Settings.from_env())
    for cid in ids:
        await c.archive.compact(cid)
        await asyncio.sleep(0.02)

asyncio.run(main(sys.argv[1:]))
"""


def test_every_report_counts_the_same_before_and_after_archiving(cases: Cases,
                                                                settings: Settings) -> None:
    """Closed (on time, reworked, rated), reopened and closed again, cancelled and open
    cases: every report, score and figure's case list is the same once the closed ones are
    archived."""
    closed, _ = closed_case(cases)
    reworked = cases.report(grid="003")["id"]
    cases.act("dm001", reworked, "accept")
    cases.act("dm001", reworked, "resolve", note="已处理")
    cases.act("gw001", reworked, "verify", ok=False, note="未修好")
    cases.act("dm001", reworked, "accept")
    cases.act("dm001", reworked, "resolve", note="再次处理")
    cases.act("gw001", reworked, "verify", ok=True)
    again = cases.report(grid="004")["id"]
    cases.act("dm001", again, "accept")
    cases.act("dm001", again, "resolve", note="已处理")
    cases.act("gw001", again, "verify", ok=True)
    cases.act("disp1", again, "reopen", reason="复发")
    cases.act("dm001", again, "accept")
    cases.act("dm001", again, "resolve", note="彻底修复")
    cases.act("gw001", again, "verify", ok=True)
    cancelled = cases.report(grid="005")["id"]
    cases.act("disp1", cancelled, "cancel", reason="误报")
    cases.report(grid="006")
    now = int(time.time() * 1000) + 1000

    async def everything() -> list[Any]:
        c = bootstrap(settings)
        try:
            day = c.reports.today(now)
            out: list[Any] = []
            for kind in Kind:
                out.append(await c.reports.build(kind, day, now))
                out.append(await c.reports.scores(kind, day, now))
                tally = await c.reports.tally(kind, day, now)
                out.append({figure: tally.ids(figure) for figure in CASE_FIGURES})
            out.append(await c.reports.today_figures(now))
            return out
        finally:
            await c.aclose()

    before = run_async(everything())
    assert compact(settings, closed, reworked, again, cancelled) == [
        "archived", "archived", "archived", "state"]
    assert run_async(everything()) == before
    assert before[0]["totals"]["closed"] == 3



def test_a_citizens_archived_request_reads_and_takes_a_rating(
        cases: Cases, live: LiveServer, settings: Settings,
        tokens: Callable[[str], str]) -> None:
    key = api_key(settings)
    lat, lon = cases.places.point("007")
    created = file_request(live, key, service_code="SS01", lat=lat, long=lon,
                           description="路灯坏了三天", first_name="王", phone="022-12345678")
    cid, token = created[0]["service_request_id"], created[0]["token"]
    member = members_of(live, tokens("admin"), cases.get("disp1", cid)["department"])[0]
    cases.act(member, cid, "accept")
    cases.act(member, cid, "resolve", note="已修复")
    cases.act("gw007", cid, "verify", ok=True)
    with live.client() as http:
        before = http.get(f"{V2}/requests/{cid}.json").json()
        assert compact(settings, cid) == ["archived"]
        assert http.get(f"{V2}/requests/{cid}.json").json() == before
        assert before[0]["status"] == "closed"
        rated = http.post(f"{V2}/tokens/{token}/rating.json", data={"score": "4"})
        assert rated.status_code == 200 and rated.json()[0]["rating"] == 4
    desk = cases.get("disp1", cid)
    assert desk["citizen"] == {"first_name": "王", "phone": "022-12345678"}


def test_the_command_line_archives_what_is_due(cases: Cases, settings: Settings) -> None:
    first, _ = closed_case(cases)
    cases.report(description="井盖缺失")
    env = {**os.environ, "REDIS_URL": settings.redis_url or "",
           "DISPATCH_DATA": str(settings.data_dir), "DISPATCH_ARCHIVE_AFTER": "0",
           "DISPATCH_ARCHIVE_BATCH": "1"}

    def cli(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "dispatch", "archive", *args], env=env,
                              capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert cli("--status").splitlines() == ["0 cases in the archive"]
    second, _ = closed_case(cases, grid="002", reporter="gw002")
    out = cli().splitlines()
    assert out == ["archived 2 closed cases (untouched for 0 s)", "2 cases in the archive"]
    assert cases.get("disp1", first)["state"] == cases.get("disp1", second)["state"] == "closed"


def test_pages_run_through_live_and_archived_cases_across_buckets(
        settings: Settings, seeded: OrgData) -> None:
    """140 closed cases over three buckets, every other one archived, a page budget of 30
    cases: the pages give every case once, newest first, in every scope."""
    places = Places(seeded.grids)
    reporter = Principal("gw001", Role.GRID_WORKER, "001")
    member = Principal("dm001", Role.DISPOSAL_MEMBER, "cgj")

    async def make() -> list[str]:
        c = bootstrap(settings)
        made = []
        try:
            for n in range(140):
                lat, lon = places.point(f"{n % 10 + 1:03d}")
                case, _ = await c.cases.report(reporter, ReportCommand(
                    f"many-{n}", "SS01", lat, lon, "路灯不亮", None, (), None))
                cid = str(case["id"])
                await c.cases.act(member, cid, Command(Action.ACCEPT))
                await c.cases.act(member, cid, Command(Action.RESOLVE, note="已修复"))
                await c.cases.act(reporter, cid, Command(Action.VERIFY, ok=True))
                made.append(cid)
            for cid in made[::2]:
                assert await c.archive.compact(cid) == "archived"
            return made
        finally:
            await c.aclose()

    made = run_async(make())
    newest_first = sorted(made, key=lambda cid: -int(cid[1:]))
    with running(settings.replace(case_scan_max=30)) as live:
        for user, params, expected in (
                ("disp1", {}, newest_first),
                ("dm001", {"q": "路灯"}, newest_first),
                ("gw001", {"grid": "003"}, [c for i, c in enumerate(made) if i % 10 == 2][::-1])):
            token = live.login(user)
            seen: list[str] = []
            cursor = None
            with live.client(token) as http:
                for _ in range(100):
                    query = {"limit": 25, **params, **({"cursor": cursor} if cursor else {})}
                    page = http.get("/api/v1/cases", params=query).json()
                    seen += [item["id"] for item in page["items"]]
                    cursor = page["next_cursor"]
                    if cursor is None:
                        break
            assert seen == expected, user


def test_redis_killed_while_cases_are_archived_loses_nothing(tmp_path: Path,
                                                            street: OrgData) -> None:
    """The embedded Redis (AOF, fsync always) killed with SIGKILL in the middle of a
    compaction pass: once it is back, every case is whole, live or archived, and reads as
    before; the next pass finishes the work."""
    server = EmbeddedRedis(tmp_path / "redis", "always")
    url, _ = server.start()
    settings = Settings.from_env({}, redis_url=url, data_dir=tmp_path / "data", scrypt_n=16,
                                 duplicate_radius_m=0.0, archive_after_s=0)
    places = Places(street.grids)
    disp = Principal("disp1", Role.DISPATCHER)

    async def make() -> dict[str, dict[str, Any]]:
        c = bootstrap(settings)
        try:
            await seed_org(c.redis, c.keys, c.users, c.org, street, "pass-word")
            reporter = Principal("gw001", Role.GRID_WORKER, "001")
            member = Principal("dm001", Role.DISPOSAL_MEMBER, "cgj")
            made = {}
            for n in range(60):
                lat, lon = places.point(f"{n % 10 + 1:03d}")
                case, _ = await c.cases.report(reporter, ReportCommand(
                    f"k-{n}", "SS01", lat, lon, DESCRIPTION, None, (), None))
                cid = str(case["id"])
                await c.cases.act(member, cid, Command(Action.ACCEPT))
                await c.cases.act(member, cid, Command(Action.RESOLVE, note="已修复"))
                await c.cases.act(reporter, cid, Command(Action.VERIFY, ok=True))
                made[cid] = await c.cases.get(disp, cid)
            return made
        finally:
            await c.aclose()

    async def read(ids: list[str]) -> tuple[dict[str, dict[str, Any]], list[str], int]:
        c = bootstrap(settings)
        try:
            found = {cid: await c.cases.get(disp, cid) for cid in ids}
            both = [cid for cid in ids if await c.redis.exists(c.keys.case(cid))
                    and await c.redis.exists(c.keys.case_archived(cid))]
            return found, both, await c.archive.compact_all(c.clock())
        finally:
            await c.aclose()

    try:
        before = run_async(make())
        keys = Keys(settings.street)
        script = tmp_path / "compact.py"
        script.write_text(COMPACTOR)
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
               "REDIS_URL": url, "DISPATCH_DATA": str(settings.data_dir)}
        proc = subprocess.Popen([sys.executable, str(script), *before], env=env,
                                stderr=subprocess.DEVNULL)
        rdb = redis.Redis.from_url(url)
        wait_until(lambda: proc.poll() is None and any(rdb.exists(keys.case_archived(c))
                                                       for c in before),
                   "the compactor's first case", COMPACT_S)
        rdb.close()
        pid = server.pid()
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        proc.wait(60)
        assert server.start() == (url, True)  # back on its port, from its AOF
        after, both, moved = run_async(read(list(before)))
        assert after == before and both == []
        assert 0 < moved < len(before)  # some were archived before the kill, the rest now
    finally:
        server.stop()


def test_a_new_report_marked_a_duplicate_of_an_archived_case(cases: Cases, settings: Settings,
                                                           rdb: redis.Redis) -> None:
    keys = Keys(settings.street)
    old, _ = closed_case(cases)
    compact(settings, old)
    again = cases.report("gw002", grid="002")["id"]
    marked = cases.act("disp1", again, "duplicate", of=old, note="同一路灯")
    assert marked["duplicate_of"] == old
    original = cases.get("disp1", old)
    assert original["state"] == "closed"
    assert (original["timeline"][-1]["action"], original["timeline"][-1]["case"]) == (
        "duplicate_reported", again)
    assert rdb.exists(keys.case(old)) and not rdb.exists(keys.case_archived(old))
    assert compact(settings, old) == ["archived"]  # quiet again: back to the archive
    assert cases.get("disp1", old) == original
