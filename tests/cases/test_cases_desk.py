"""The dispatcher's desk through the API: supervise (督办), mark a duplicate, assign to a
member, return to triage, reopen a closed case, refuse an extension; each checks the
caller's role (403) and the case's state (409), goes on the timeline and to the screens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import redis

from dispatch.keys import Keys
from tests.cases.helpers import HW_ITEM, Cases, Socket, of_type
from tests.conftest import LiveServer

KEYS = Keys("jlc")
QUIET_S = 0.3



def last(case: dict[str, Any]) -> dict[str, Any]:
    return dict(case["timeline"][-1])


def screen_event(rdb: redis.Redis) -> dict[str, Any]:
    _, fields = rdb.xrevrange(KEYS.events_stream(), count=1)[0]
    return dict(orjson.loads(fields["e"]))


def closed_case(cases: Cases) -> str:
    cid = cases.report()["id"]
    cases.act("dm001", cid, "accept")
    cases.act("dm001", cid, "resolve", note="已修复")
    cases.act("gw001", cid, "verify", ok=True)
    return str(cid)


def test_supervise_tells_the_handler_and_the_lead(live: LiveServer,
                                                  tokens: Callable[[str], str],
                                                  cases: Cases, rdb: redis.Redis) -> None:
    cid = cases.report()["id"]  # city management (cgj): lead01, members dm001..
    cases.act("lead01", cid, "supervise", note="x", expect=403)
    cases.act("gw001", cid, "supervise", note="x", expect=403)
    assert cases.act("disp1", cid, "supervise", expect=400)["error"]["field"] == "note"
    with Socket(live, tokens("dm002"), settle_s=QUIET_S) as member:
        urged = cases.act("disp1", cid, "supervise", note="群众多次反映，请今日处置")
        notice = member.wait(of_type("job.supervised", cid))  # nobody holds it: the department
        assert (notice["note"], notice["by"]) == ("群众多次反映，请今日处置", "disp1")
    assert urged["state"] == "dispatched"
    entry = last(urged)
    assert (entry["action"], entry["by"], entry["from"], entry["to"]) == (
        "supervise", "disp1", "dispatched", "dispatched")
    assert (entry["department"], entry["lead"], entry["light"]) == ("cgj", "lead01", "green")
    assert screen_event(rdb)["case"]["id"] == cid

    cases.act("dm001", cid, "accept")
    with Socket(live, tokens("dm001"), settle_s=QUIET_S) as holder, \
            Socket(live, tokens("lead01"), settle_s=QUIET_S) as lead, \
            Socket(live, tokens("dm002"), settle_s=QUIET_S) as colleague:
        again = cases.act("admin", cid, "supervise", note="再次督办")
        assert holder.wait(of_type("job.supervised", cid))["note"] == "再次督办"
        assert lead.wait(of_type("job.supervised", cid))["by"] == "admin"
        assert not [m for m in colleague.drain() if m["type"] == "job.supervised"]
    assert last(again)["assignee"] == "dm001"
    assert [e["action"] for e in again["timeline"]].count("supervise") == 2
    closed = closed_case(cases)
    assert cases.act("disp1", closed, "supervise", note="x", expect=409)["error"]["code"] == \
        "invalid_state"


def test_duplicate_links_both_cases(cases: Cases, rdb: redis.Redis) -> None:
    first = cases.report(grid="010")["id"]
    second = cases.report(grid="011")["id"]
    cases.act("lead01", second, "duplicate", of=first, expect=403)
    assert cases.act("disp1", second, "duplicate", of=second, expect=400)["error"][
        "field"] == "of"
    cases.act("disp1", second, "duplicate", of="C99999", expect=400)
    marked = cases.act("disp1", second, "duplicate", of=first, note="同一井盖")
    assert (marked["state"], marked["duplicate_of"]) == ("duplicate", first)
    assert (last(marked)["action"], last(marked)["duplicate_of"]) == ("duplicate", first)
    assert rdb.zscore(KEYS.cases_open(), second) is None
    assert not [m for m in rdb.zrange(KEYS.case_timers(), 0, -1) if m.startswith(second + "|")]
    assert screen_event(rdb)["case"]["state"] == "duplicate"
    original = cases.get("disp1", first)
    assert original["state"] == "dispatched"
    assert (last(original)["action"], last(original)["case"]) == ("duplicate_reported", second)
    cases.act("disp1", second, "duplicate", of=first, expect=409)  # already one

    third = cases.report(grid="012")["id"]
    assert cases.act("disp1", third, "duplicate", of=second)["duplicate_of"] == first
    gone = cases.report(grid="013")["id"]
    cases.act("disp1", gone, "cancel", reason="误报")
    assert cases.act("disp1", cases.report(grid="014")["id"], "duplicate", of=gone,
                     expect=409)["error"]["code"] == "invalid_original"


def test_assign_to_a_named_member(live: LiveServer, tokens: Callable[[str], str],
                                  cases: Cases, rdb: redis.Redis) -> None:
    cid = cases.report()["id"]
    cases.act("lead05", cid, "assign", member="dm073", expect=403)  # another department's
    assert cases.act("lead01", cid, "assign", member="dm073", expect=403)["error"][
        "field"] == "department"
    assert cases.act("disp1", cid, "assign", member="gw002", expect=400)["error"][
        "code"] == "unknown_member"
    cases.act("dm001", cid, "assign", member="dm002", expect=403)
    with Socket(live, tokens("dm003"), settle_s=QUIET_S) as member:
        held = cases.act("disp1", cid, "assign", member="dm003", note="熟悉该片区")
        task = member.wait(of_type("task", cid))
        assert task["kind"] == "handle"
    assert (held["state"], held["assignee"], held["department"]) == ("accepted", "dm003", "cgj")
    assert (last(held)["action"], last(held)["member"], last(held)["note"]) == (
        "assign", "dm003", "熟悉该片区")
    assert rdb.zscore(KEYS.case_offers("cgj"), cid) is None
    assert screen_event(rdb)["case"]["assignee"] == "dm003"
    moved = cases.act("lead01", cid, "assign", member="dm004")
    assert moved["assignee"] == "dm004"
    hw = cases.act("disp1", cid, "assign", member="dm073")  # the desk: any department
    assert (hw["department"], hw["assignee"]) == ("hw", "dm073")
    cases.act("disp1", closed_case(cases), "assign", member="dm003", expect=409)


def test_return_to_triage(cases: Cases, rdb: redis.Redis) -> None:
    cid = cases.report()["id"]
    cases.act("dm001", cid, "accept")
    cases.act("dm001", cid, "return", reason="x", expect=403)
    assert cases.act("disp1", cid, "return", expect=400)["error"]["field"] == "reason"
    back = cases.act("disp1", cid, "return", reason="应由综合执法处置")
    assert (back["state"], back["department"], back["assignee"]) == ("triage", "centre", None)
    entry = last(back)
    assert (entry["action"], entry["from_department"], entry["from_assignee"]) == (
        "return", "cgj", "dm001")
    assert rdb.zscore(KEYS.cases_held_by("dm001"), cid) is None
    assert screen_event(rdb)["case"]["state"] == "triage"
    assert cases.act("disp1", cid, "return", reason="again", expect=409)["error"][
        "code"] == "invalid_state"
    other = cases.report()["id"]
    assert cases.act("lead01", other, "return", reason="不属本部门")["state"] == "triage"


def test_reopen_a_closed_case(live: LiveServer, tokens: Callable[[str], str], cases: Cases,
                              rdb: redis.Redis) -> None:
    cid = closed_case(cases)
    cases.act("lead01", cid, "reopen", reason="x", expect=403)
    with Socket(live, tokens("dm001"), settle_s=QUIET_S) as holder:
        reopened = cases.act("disp1", cid, "reopen", reason="群众反映问题仍在")
        holder.wait(of_type("job.offered", cid))
    assert (reopened["state"], reopened["assignee"], reopened["rework_count"]) == (
        "reopened", "dm001", 1)
    assert reopened["light"] == "green" and reopened["deadline"] > reopened["created"]
    assert (last(reopened)["action"], last(reopened)["from"]) == ("reopen", "closed")
    assert rdb.zscore(KEYS.cases_open(), cid) is not None
    assert rdb.zcard(KEYS.case_timers()) >= 2
    assert screen_event(rdb)["case"]["state"] == "reopened"
    assert cid in [c["id"] for c in cases.listing("disp1", state="open")["items"]]
    cases.act("disp1", cid, "reopen", reason="again", expect=409)
    assert cases.act("dm001", cid, "accept")["state"] == "accepted"


def test_refuse_an_extension(cases: Cases) -> None:
    cid = cases.report(item=HW_ITEM)["id"]
    cases.act("dm073", cid, "accept")
    asked = cases.act("dm073", cid, "extend", hours=6, reason="等配件")
    refused = cases.act("disp1", cid, "approve_extension", approve=False, note="可先临时处置")
    assert refused["deadline"] == asked["deadline"] and refused["extension"] is None
    assert (last(refused)["action"], last(refused)["approved"]) == ("approve_extension", False)
    cases.act("disp1", cid, "approve_extension", approve=False, expect=409)
