"""Joint handling (主办 / 协办) through the API: a lead department and assisting departments,
each with its own part (offer, winner, limit, light, progress, result, timeline), the lead
resolving once every part is reported or naming the part left open; the desk adding and
removing assisting departments. Time moves with an injected clock."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import orjson
import pytest
import redis

from dispatch.bootstrap import bootstrap
from dispatch.keys import Keys
from dispatch.settings import Settings
from tests.cases.conftest import MovableClock
from tests.cases.helpers import HW_ITEM, Cases, Socket, of_type
from tests.conftest import LiveServer

KEYS = Keys("jlc")
MIN = 60_000
QUIET_S = 0.3
#: hw (sanitation) leads SR01 (2 h, calendar clock): lead05, members dm073..dm102.
#: Assisting: cgj (members dm001..dm024, lead01) and zhzf (dm025..dm046, lead02).


@pytest.fixture
def live(clocked: LiveServer) -> LiveServer:
    return clocked



def part(case: dict[str, Any], department: str) -> dict[str, Any]:
    return next(p for p in case["parts"] if p["department"] == department)


def entries(case: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [e for e in case["timeline"] if e["action"] == action]


def fire_parts_due(settings: Settings, now: int) -> list[tuple[str, str, str]]:
    async def go() -> list[tuple[str, str, str]]:
        c = bootstrap(settings)
        try:
            return await c.cases.fire_parts_due(now)
        finally:
            await c.aclose()

    return asyncio.run(go())


def screen_event(rdb: redis.Redis) -> dict[str, Any]:
    _, fields = rdb.xrevrange(KEYS.events_stream(), count=1)[0]
    return dict(orjson.loads(fields["e"]))


def test_a_case_alone_has_no_parts(cases: Cases) -> None:
    cid = cases.report(item=HW_ITEM)["id"]
    assert cases.get("disp1", cid)["parts"] == []
    assert all(c["parts"] == [] for c in cases.listing("disp1")["items"])


def test_one_part_goes_overdue_while_the_other_closes(
        live: LiveServer, tokens: Callable[[str], str], cases: Cases, clock: MovableClock,
        rdb: redis.Redis) -> None:
    cid = cases.report(item=HW_ITEM, grid="020")["id"]
    cases.act("dm073", cid, "accept")
    # who may add an assisting department: the desk and the lead department's lead
    cases.act("lead01", cid, "assist", department="cgj", expect=403)
    cases.act("dm073", cid, "assist", department="cgj", expect=403)
    assert cases.act("disp1", cid, "assist", department="nope", expect=400)["error"][
        "code"] == "unknown_department"
    assert cases.act("disp1", cid, "assist", department="hw", expect=400)["error"][
        "field"] == "department"
    with Socket(live, tokens("dm002"), settle_s=QUIET_S) as cgj_member:
        cases.act("lead05", cid, "assist", department="cgj")
        offered = cgj_member.wait(of_type("job.offered", cid))
        assert offered["part"] == "cgj"
    joint = cases.act("disp1", cid, "assist", department="zhzf", limit_hours=1,
                      note="拆除需执法到场")
    assert cases.act("disp1", cid, "assist", department="zhzf", expect=409)["error"][
        "code"] == "already_assisting"
    assert [p["department"] for p in joint["parts"]] == ["cgj", "zhzf"]
    assert (joint["department"], joint["assignee"], joint["state"]) == ("hw", "dm073",
                                                                        "accepted")
    cgj, zhzf = part(joint, "cgj"), part(joint, "zhzf")
    assert (cgj["state"], cgj["assignee"], cgj["light"]) == ("offered", None, "green")
    assert zhzf["deadline"] == clock.now + 60 * MIN  # its own limit
    assert cgj["deadline"] == clock.now + 120 * MIN  # the case's limit by default
    assert entries(joint, "assist")[-1]["part"] == "zhzf"

    # an assisting department's members see the case and get its part offered on connect
    assert cid in [c["id"] for c in cases.listing("dm030")["items"]]
    cases.get("dm030", cid)
    cases.get("dm150", cid, expect=403)  # xf: no part of it
    with Socket(live, tokens("dm031")) as zhzf_member:
        pending = zhzf_member.wait(of_type("job.offered", cid))
        assert (pending["part"], pending["pending"]) == ("zhzf", True)

    # one member wins each part
    base = f"/api/v1/cases/{cid}/parts"
    assert cases.call("gw020", "POST", f"{base}/cgj/accept").status_code == 403
    assert cases.call("dm030", "POST", f"{base}/cgj/accept").status_code == 403
    assert cases.call("dm001", "POST", f"{base}/xf/accept").status_code == 404  # no such part
    with Socket(live, tokens("dm002"), settle_s=QUIET_S) as loser:
        won = cases.call("dm001", "POST", f"{base}/cgj/accept")
        assert won.status_code == 200, won.text
        taken = loser.wait(of_type("job.taken"))
        assert (taken["case"], taken["by"], taken["part"]) == (cid, "dm001", "cgj")
    lost = cases.call("dm002", "POST", f"{base}/cgj/accept")
    assert (lost.status_code, lost.json()["error"]["code"]) == (409, "already_taken")
    assert part(won.json(), "cgj")["assignee"] == "dm001"
    assert cases.call("dm025", "POST", f"{base}/zhzf/accept").status_code == 200
    assert rdb.zscore(KEYS.case_part_offers("cgj"), cid) is None

    # cgj reports progress and its result, with a photo, in time
    clock.advance(20)
    assert cases.call("dm002", "POST", f"{base}/cgj/progress",
                      json={"note": "x"}).status_code == 403  # not the holder
    r = cases.call("dm001", "POST", f"{base}/cgj/progress", json={"note": "清运车辆已到"})
    assert r.status_code == 200, r.text
    photo = cases.photo("dm001")
    with Socket(live, tokens("dm073"), settle_s=QUIET_S) as lead_holder:
        r = cases.call("dm001", "POST", f"{base}/cgj/resolve",
                       json={"note": "垃圾已清运", "media": [photo]})
        assert r.status_code == 200, r.text
        told = lead_holder.wait(lambda m: of_type("job.updated", cid)(m) and "part" in m)
        assert told["part"] == "cgj"
    done = r.json()
    assert part(done, "cgj")["state"] == "resolved"
    result = entries(done, "part_resolve")[-1]
    assert (result["part"], result["by"], result["media"], result["late"]) == (
        "cgj", "dm001", [photo], False)
    assert photo in done["media"]
    assert done["state"] == "accepted"  # the case's own state does not move

    # zhzf passes its limit: its light turns red, the case's and cgj's stay as they are
    clock.advance(45)  # 65 min in: zhzf's hour is up
    with Socket(live, tokens("dm025"), settle_s=QUIET_S) as zhzf_holder:
        assert fire_parts_due(live.settings, clock.now) == [(cid, "zhzf", "red")]
        told = zhzf_holder.wait(lambda m: of_type("job.overdue", cid)(m) and "part" in m)
        assert told["part"] == "zhzf"
    assert fire_parts_due(live.settings, clock.now) == []  # once
    late = cases.get("disp1", cid)
    overdue = entries(late, "part_overdue")
    assert [(e["part"], e["by"], e["due"]) for e in overdue] == [
        ("zhzf", "system", part(late, "zhzf")["deadline"])]
    assert part(late, "zhzf")["light"] == "red"
    assert part(late, "cgj")["light"] == "green"  # stopped when it was reported
    assert late["light"] == "green"
    assert (part(late, "zhzf")["state"], part(late, "zhzf")["assignee"]) == ("accepted",
                                                                             "dm025")

    # the lead may not resolve past an open part, unless it names it with a reason
    blocked = cases.call("dm073", "POST", f"/api/v1/cases/{cid}/resolve",
                         json={"note": "主体已处置"})
    assert blocked.status_code == 409
    assert (blocked.json()["error"]["code"], blocked.json()["error"]["parts"]) == (
        "parts_open", ["zhzf"])
    wrong = cases.act("dm073", cid, "resolve", note="主体已处置", expect=400,
                      left_open=[{"department": "cgj", "reason": "x"}])
    assert wrong["error"]["code"] == "unknown_part"
    resolved = cases.act("dm073", cid, "resolve", note="主体已处置",
                         left_open=[{"department": "zhzf", "reason": "执法程序另案办理"}])
    assert resolved["state"] == "resolved"
    assert part(resolved, "zhzf")["state"] == "left_open"
    assert part(resolved, "zhzf")["light"] == "red"  # frozen as it was
    assert entries(resolved, "resolve")[-1]["left_open"] == [
        {"department": "zhzf", "reason": "执法程序另案办理"}]
    assert cases.call("dm025", "POST", f"{base}/zhzf/resolve",
                      json={"note": "x"}).status_code == 409

    closed = cases.act("gw020", cid, "verify", ok=True)
    assert closed["state"] == "closed"
    assert [(p["department"], p["state"], p["light"]) for p in closed["parts"]] == [
        ("cgj", "resolved", "green"), ("zhzf", "left_open", "red")]
    event = screen_event(rdb)["case"]
    assert (event["id"], [p["state"] for p in event["parts"]]) == (cid, ["resolved",
                                                                          "left_open"])

    # each department is judged on its own part: cgj in time, zhzf overdue
    report = cases.call("assess1", "GET", "/api/v1/reports/daily").json()
    cgj_row, zhzf_row = report["departments"]["cgj"], report["departments"]["zhzf"]
    assert (cgj_row["parts_due"], cgj_row["parts_in_time"], cgj_row["parts_overdue"]) == (
        0, 0, 0)  # its deadline (2 h) is still ahead
    assert (zhzf_row["parts_due"], zhzf_row["parts_in_time"], zhzf_row["parts_overdue"]) \
        == (1, 0, 1)
    assert cgj_row["parts_reported"] == 1
    assert report["departments"]["hw"]["closed"] == 1
    members = cases.call("assess1", "GET", "/api/v1/reports/daily/figures/parts_overdue",
                         params={"department": "zhzf"}).json()
    assert cid in str(members)
    clock.advance(60)  # cgj's deadline passes too: its result was in time
    report = cases.call("assess1", "GET", "/api/v1/reports/daily").json()
    assert (report["departments"]["cgj"]["parts_due"],
            report["departments"]["cgj"]["parts_in_time"]) == (1, 1)
    scores = {s["subject"]: s for s in
              cases.call("assess1", "GET", "/api/v1/scores",
                         params={"period": "day"}).json()["departments"]}
    assert scores["cgj"]["parts"]["on_time"] == 1.0
    assert scores["zhzf"]["parts"]["on_time"] == 0.0
    assert scores["zhzf"]["raw"]["parts_overdue"] == 1


def test_the_lead_resolves_once_every_part_is_reported(cases: Cases) -> None:
    cid = cases.report(item=HW_ITEM, grid="021")["id"]
    cases.act("dm074", cid, "accept")
    cases.act("disp1", cid, "assist", department="cgj")
    base = f"/api/v1/cases/{cid}/parts/cgj"
    early = cases.call("lead01", "POST", f"{base}/resolve", json={"note": "x"})
    assert (early.status_code, early.json()["error"]["code"]) == (409, "invalid_state")
    assert cases.call("dm003", "POST", f"{base}/accept").status_code == 200
    assert cases.call("dm003", "POST", f"{base}/resolve", json={"note": "已配合"}).status_code \
        == 200
    # the lead's side sends it back once (返工), then it is reported again
    assert cases.call("dm003", "POST", f"{base}/rework",
                      json={"reason": "x"}).status_code == 403
    again = cases.call("dm074", "POST", f"{base}/rework", json={"reason": "照片不清"})
    assert again.status_code == 200, again.text
    assert part(again.json(), "cgj")["state"] == "accepted"
    cases.call("dm003", "POST", f"{base}/resolve", json={"note": "已补拍"})
    resolved = cases.act("dm074", cid, "resolve", note="已处置")
    assert resolved["state"] == "resolved"
    assert entries(resolved, "resolve")[-1].get("left_open") is None


def test_the_desk_removes_an_assisting_department(cases: Cases, rdb: redis.Redis) -> None:
    cid = cases.report(item=HW_ITEM, grid="022")["id"]
    cases.act("disp1", cid, "assist", department="zhzf")
    assert rdb.zscore(KEYS.case_part_offers("zhzf"), cid) is not None
    cases.act("disp1", cid, "unassist", department="zhzf", expect=400)  # a reason is needed
    assert cases.act("disp1", cid, "unassist", department="cgj", reason="x", expect=400)[
        "error"]["code"] == "unknown_part"
    gone = cases.act("disp1", cid, "unassist", department="zhzf", reason="无需执法")
    assert gone["parts"] == []
    assert (entries(gone, "unassist")[-1]["part"], entries(gone, "unassist")[-1]["note"]) == (
        "zhzf", "无需执法")
    assert rdb.zscore(KEYS.case_part_offers("zhzf"), cid) is None
    assert rdb.zscore(KEYS.cases_assisted_by("zhzf"), cid) is None
    assert "parts" not in rdb.hgetall(KEYS.case(cid))
    cases.get("dm030", cid, expect=403)
    # the lead is free to resolve now
    cases.act("dm075", cid, "accept")
    assert cases.act("dm075", cid, "resolve", note="已处置")["state"] == "resolved"


def test_at_most_the_configured_assisting_departments(cases: Cases, live: LiveServer) -> None:
    most = live.settings.case_max_parts
    cid = cases.report(item=HW_ITEM, grid="023")["id"]
    departments = ["cgj", "zhzf", "jj", "scjg", "wy", "yjgl", "xf", "pcs"]
    for department in departments[:most]:
        cases.act("disp1", cid, "assist", department=department)
    over = cases.act("disp1", cid, "assist", department=departments[most], expect=409)
    assert over["error"]["code"] == "too_many_parts"


def test_a_rule_names_the_assisting_departments(live: LiveServer,
                                                tokens: Callable[[str], str],
                                                cases: Cases, rdb: redis.Redis) -> None:
    """Illegal construction (SR07): housing and construction (zj) leads, law enforcement
    (zhzf) and city management (cgj) assist, from the report on."""
    lat, lon = cases.places.point("030")
    dry = cases.call("disp1", "POST", "/api/v1/rules/dry-run",
                     json={"item": "SR07", "lat": lat, "lon": lon}).json()
    assert (dry["department"], dry["assist"]) == ("zj", ["zhzf", "cgj"])
    plain = cases.call("disp1", "POST", "/api/v1/rules/dry-run",
                       json={"item": HW_ITEM, "lat": lat, "lon": lon}).json()
    assert plain["assist"] == []
    with Socket(live, tokens("dm030"), settle_s=QUIET_S) as zhzf_member:
        case = cases.report(item="SR07", grid="030", lat=lat, lon=lon)
        offered = zhzf_member.wait(of_type("job.offered", case["id"]))
        assert offered["part"] == "zhzf"
    assert (case["department"], case["state"]) == ("zj", "dispatched")
    assert [(p["department"], p["state"], p["deadline"]) for p in case["parts"]] == [
        ("zhzf", "offered", case["deadline"]), ("cgj", "offered", case["deadline"])]
    assert case["timeline"][1]["assist"] == ["zhzf", "cgj"]
    assert rdb.zscore(KEYS.case_part_offers("cgj"), case["id"]) is not None
    listed = cases.listing("dm001", department="cgj")["items"]
    assert case["id"] in [c["id"] for c in listed]
