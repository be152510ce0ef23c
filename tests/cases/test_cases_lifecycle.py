"""The lifecycle through the API and the team sockets: report to rating, side paths."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest
import redis

from dispatch.keys import Keys
from tests.cases.helpers import CGJ_ITEM, HARD_ITEM, HW_ITEM, SIMPLE_ITEM, Cases, Socket, of_type
from tests.conftest import LiveServer

KEYS = Keys("jlc")
QUIET_S = 0.3



@pytest.fixture
def phone(rdb: redis.Redis) -> Iterator[Any]:
    """What is pushed to gw001's phone (its user channel)."""
    pubsub = rdb.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(KEYS.user_channel("gw001"))
    pubsub.get_message(timeout=1)
    yield pubsub
    pubsub.close()


def next_push(pubsub: Any, timeout: float = 5.0) -> dict[str, Any]:
    message = pubsub.get_message(timeout=timeout)
    assert message is not None, "nothing pushed"
    return dict(orjson.loads(message["data"]))


def socket(live: LiveServer, tokens: Callable[[str], str], user: str) -> Socket:
    """A team socket; what it gets on connect is kept for ``wait``."""
    return Socket(live, tokens(user), settle_s=QUIET_S)


def steps(case: dict[str, Any]) -> list[tuple[str, str | None, str]]:
    return [(e["action"], e["from"], e["to"]) for e in case["timeline"]]


def test_report_to_rating(live: LiveServer, tokens: Callable[[str], str], cases: Cases,
                          phone: Any) -> None:
    with socket(live, tokens, "dm001") as a, socket(live, tokens, "dm002") as b, \
            socket(live, tokens, "dm030") as foreign:
        photo = cases.photo("gw001")
        case = cases.report(media=[photo], description="三号楼路灯不亮")
        cid = case["id"]
        assert (case["state"], case["department"], case["tier"]) == ("dispatched", "cgj",
                                                                      "complex")
        assert case["light"] == "green" and case["deadline"] > case["created"]
        assert case["media"] == [photo]
        for s in (a, b):
            offered = s.wait(of_type("job.offered", cid))
            assert offered["case"]["state"] == "dispatched"
        assert foreign.drain(QUIET_S) == []  # another department hears nothing

        with socket(live, tokens, "dm003") as late:  # connects afterwards: gets the offer
            pending = late.wait(of_type("job.offered", cid))
            assert pending["pending"] is True

        accepted = cases.act("dm001", cid, "accept")
        assert accepted["state"] == "accepted" and accepted["assignee"] == "dm001"
        taken = b.wait(of_type("job.taken", cid))
        assert taken["by"] == "dm001"
        assert not [m for m in a.drain(QUIET_S) if m["type"] == "job.taken"]
        lost = cases.act("dm002", cid, "accept", expect=409)
        assert lost["error"]["code"] == "already_taken"

        cases.act("dm001", cid, "progress", note="到场，更换灯泡中")
        assert b.wait(of_type("job.updated", cid))["case"]["state"] == "accepted"

        fixed = cases.photo("dm001")
        resolved = cases.act("dm001", cid, "resolve", note="已修复", media=[fixed])
        assert resolved["state"] == "resolved" and resolved["media"] == [photo, fixed]
        task = next_push(phone)
        assert (task["type"], task["kind"], task["case"]["id"]) == ("task", "verify", cid)

        reopened = cases.act("gw001", cid, "verify", ok=False, note="还是不亮")
        assert reopened["state"] == "reopened" and reopened["rework_count"] == 1
        back = a.wait(of_type("job.offered", cid))
        assert back["case"]["state"] == "reopened"
        cases.act("dm002", cid, "accept", expect=409)  # offered back to the holder only
        cases.act("dm001", cid, "accept")
        cases.act("dm001", cid, "resolve", note="更换线路")
        closed = cases.act("gw001", cid, "verify", ok=True, note="已亮")
        assert closed["state"] == "closed"
        rated = cases.act("gw001", cid, "rate", score=5, note="满意")
        assert rated["rating"]["score"] == 5 and rated["state"] == "closed"

    final = cases.get("disp1", cid)
    assert steps(final) == [
        ("report", None, "reported"), ("route", "reported", "dispatched"),
        ("accept", "dispatched", "accepted"), ("progress", "accepted", "accepted"),
        ("resolve", "accepted", "resolved"), ("verify", "resolved", "reopened"),
        ("accept", "reopened", "accepted"), ("resolve", "accepted", "resolved"),
        ("verify", "resolved", "closed"), ("rate", "closed", "closed")]
    by = [e["by"] for e in final["timeline"]]
    assert by == ["gw001", "system", "dm001", "dm001", "dm001", "gw001", "dm001", "dm001",
                  "gw001", "gw001"]
    entries = final["timeline"]
    assert entries[0]["note"] == "三号楼路灯不亮" and entries[0]["media"] == [photo]
    assert entries[1]["department"] == "cgj" and entries[1]["rule"] == final["rule"]
    assert entries[4]["media"] == [fixed] and entries[5]["ok"] is False
    assert all(isinstance(e["ts"], int) for e in entries)
    assert final["light"] == "green"  # frozen when it was resolved in time


def test_reject_goes_to_triage_then_reassign(live: LiveServer, tokens: Callable[[str], str],
                                             cases: Cases) -> None:
    cid = cases.report()["id"]
    with socket(live, tokens, "disp1") as desk, socket(live, tokens, "dm030") as zhzf:
        rejected = cases.act("dm001", cid, "reject", reason="不属于城管")
        assert (rejected["state"], rejected["department"]) == ("triage", "centre")
        assert desk.wait(of_type("job.updated", cid))["case"]["state"] == "triage"
        cases.act("dm001", cid, "accept", expect=403)  # no longer cgj's
        moved = cases.act("disp1", cid, "reassign", department="zhzf", note="执法")
        assert (moved["state"], moved["department"]) == ("dispatched", "zhzf")
        assert zhzf.wait(of_type("job.offered", cid))["case"]["department"] == "zhzf"
        held = cases.act("disp1", cid, "reassign", member="dm031")
        assert (held["state"], held["assignee"], held["department"]) == ("accepted", "dm031",
                                                                         "zhzf")
    assert [e["action"] for e in held["timeline"]][-3:] == ["reject", "reassign", "reassign"]
    assert held["timeline"][-3]["from_department"] == "cgj"
    bad = cases.act("disp1", cid, "reassign", department="nowhere", expect=400)
    assert bad["error"]["field"] == "department"
    bad = cases.act("disp1", cid, "reassign", member="gw003", expect=400)
    assert bad["error"]["code"] == "unknown_member"


def test_lead_reassigns_within_the_department(cases: Cases) -> None:
    cid = cases.report()["id"]
    held = cases.act("lead01", cid, "reassign", member="dm002")
    assert (held["state"], held["assignee"]) == ("accepted", "dm002")
    err = cases.act("lead01", cid, "reassign", department="zhzf", expect=403)
    assert err["error"]["field"] == "department"
    cases.act("lead02", cid, "reassign", member="dm030", expect=403)  # not their case


def test_extension_moves_the_deadline_and_the_timers(cases: Cases, rdb: redis.Redis) -> None:
    case = cases.report(item=HW_ITEM)
    cid = case["id"]
    cases.act("dm073", cid, "accept")
    asked = cases.act("dm073", cid, "extend", hours=2, reason="等清运车")
    assert asked["extension"]["hours"] == 2 and asked["deadline"] == case["deadline"]
    cases.act("dm073", cid, "extend", hours=1, reason="again", expect=409)
    cases.act("lead05", cid, "approve_extension", expect=403)
    approved = cases.act("disp1", cid, "approve_extension", note="同意")
    two_h = 2 * 3600 * 1000
    assert approved["deadline"] == case["deadline"] + two_h
    assert approved["extension"] is None
    assert approved["escalation"] == [t + two_h for t in case["escalation"]]
    timers = dict(rdb.zrange(KEYS.case_timers(), 0, -1, withscores=True))
    assert timers == {
        f"{cid}|yellow|0|2": approved["yellow_at"], f"{cid}|red|0|2": approved["deadline"],
        f"{cid}|esc|1|2": approved["escalation"][0], f"{cid}|esc|2|2": approved["escalation"][1],
    }
    cases.act("disp1", cid, "approve_extension", expect=409)


def test_suspend_and_resume(cases: Cases, rdb: redis.Redis) -> None:
    cid = cases.report(item=HW_ITEM)["id"]
    cases.act("dm073", cid, "suspend", reason="x", expect=403)
    suspended = cases.act("lead05", cid, "suspend", reason="长期工程")
    assert suspended["state"] == "suspended" and suspended["suspended_at"] is not None
    assert rdb.zcard(KEYS.case_timers()) == 0
    cases.act("dm073", cid, "accept", expect=409)
    resumed = cases.act("disp1", cid, "resume")
    assert resumed["state"] == "dispatched" and resumed["suspended_at"] is None
    assert resumed["deadline"] >= suspended["deadline"]
    assert rdb.zcard(KEYS.case_timers()) == 4
    assert rdb.zscore(KEYS.case_offers("hw"), cid) is not None


def test_cancel(cases: Cases, rdb: redis.Redis) -> None:
    mine = cases.report()["id"]
    cancelled = cases.act("gw001", mine, "cancel", reason="报错了")
    assert cancelled["state"] == "cancelled"
    assert rdb.zscore(KEYS.case_offers("cgj"), mine) is None
    assert rdb.zscore(KEYS.cases_open(), mine) is None
    assert not [m for m in rdb.zrange(KEYS.case_timers(), 0, -1) if m.startswith(mine + "|")]
    cases.act("gw001", mine, "cancel", reason="again", expect=409)
    taken = cases.report()["id"]
    cases.act("dm001", taken, "accept")
    assert cases.act("gw001", taken, "cancel", reason="x", expect=409)["error"]["code"] == \
        "invalid_state"
    cases.act("gw002", taken, "cancel", reason="x", expect=403)
    assert cases.act("disp1", taken, "cancel", reason="重复")["state"] == "cancelled"


def test_simple_tier_goes_to_the_grid_worker(cases: Cases, rdb: redis.Redis) -> None:
    pubsub = rdb.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(KEYS.user_channel("gw001"))
    pubsub.get_message(timeout=1)
    case = cases.report(item=SIMPLE_ITEM)
    assert (case["state"], case["assignee"], case["department"]) == ("accepted", "gw001", None)
    task = next_push(pubsub)
    assert (task["kind"], task["case"]["id"]) == ("handle", case["id"])
    pubsub.close()
    assert cases.act("gw001", case["id"], "resolve", note="已清理")["state"] == "resolved"
    assert cases.act("gw001", case["id"], "verify", ok=True)["state"] == "closed"


def test_hard_tier_goes_to_the_desk(live: LiveServer, tokens: Callable[[str], str],
                                    cases: Cases) -> None:
    with socket(live, tokens, "disp2") as desk:
        case = cases.report(item=HARD_ITEM)
        assert (case["state"], case["department"], case["tier"]) == ("dispatched", "centre",
                                                                      "hard")
        desk.wait(of_type("job.offered", case["id"]))
        cases.act("dm001", case["id"], "accept", expect=403)
        cases.act("disp1", case["id"], "accept")
        assert desk.wait(of_type("job.taken", case["id"]))["by"] == "disp1"


def test_screen_event_carries_the_same_summary(cases: Cases, rdb: redis.Redis) -> None:
    case = cases.report(item=CGJ_ITEM)
    accepted = cases.act("dm001", case["id"], "accept")
    _, fields = rdb.xrevrange(KEYS.events_stream(), count=1)[0]
    event = orjson.loads(fields["e"])
    assert event["type"] == "case"
    summary = event["case"]
    assert summary == {k: accepted[k] for k in summary}
    assert set(summary) < set(accepted)


def test_the_case_hash_stays_compact(cases: Cases, rdb: redis.Redis) -> None:
    """Free text and photos live in the timeline: the hash stays a small listpack."""
    photos = [cases.photo("gw001") for _ in range(3)]
    cid = cases.report(media=photos, description="长" * 600)["id"]
    cases.act("dm001", cid, "accept")
    cases.act("dm001", cid, "extend", hours=3, reason="需要" * 300)
    cases.act("disp1", cid, "approve_extension", note="同意" * 100)
    cases.act("dm001", cid, "resolve", note="好" * 500, media=[cases.photo("dm001")])
    cases.act("gw001", cid, "verify", ok=True)
    rated = cases.act("gw001", cid, "rate", score=4, note="很好" * 200)
    assert rdb.object("encoding", KEYS.case(cid)) in ("ziplist", "listpack")
    assert rated["description"] == "长" * 600 and len(rated["media"]) == 4
    assert rated["rating"] == {"score": 4, "note": "很好" * 200, "by": "gw001",
                               "ts": rated["timeline"][-1]["ts"]}
    assert "start" not in rdb.hgetall(KEYS.case(cid))  # a finished case keeps no clock
