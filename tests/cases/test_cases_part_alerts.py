"""协办临期 / 协办超期: an assisting part's own light raises its own alert, as the lead's
case does: once when it turns yellow, once when it turns red, naming the case and the
part's department, on the screens and on the part's timeline; it clears when the part's
result is reported. Time moves with an injected clock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import pytest
import redis
from websockets.sync.client import ClientConnection, connect

from dispatch.keys import Keys
from tests.cases.conftest import MovableClock
from tests.cases.helpers import HW_ITEM, Cases
from tests.cases.test_cases_joint import entries, fire_parts_due, part
from tests.conftest import LiveServer

KEYS = Keys("jlc")
MIN = 60_000
RECV_S = 5.0
PART_KINDS = ("part_near_limit", "part_overdue")


@pytest.fixture
def live(clocked: LiveServer) -> LiveServer:
    return clocked



def screen_alert(ws: ClientConnection, kind: str) -> dict[str, Any]:
    """The next alert delta of ``kind`` on a screen stream."""
    while True:
        message = orjson.loads(ws.recv(timeout=RECV_S))
        if message.get("type") == "alert" and message.get("kind") == kind:
            return dict(message)


def part_alerts(cases: Cases, state: str = "open") -> list[dict[str, Any]]:
    found = []
    for kind in PART_KINDS:
        found += cases.call("disp1", "GET", "/api/v1/alerts",
                            params={"kind": kind, "state": state}).json()["items"]
    return found


def raises(cases: Cases, alert_id: str) -> int:
    log = cases.call("disp1", "GET", f"/api/v1/alerts/{alert_id}").json()["log"]
    return sum(1 for e in log if e["action"] == "raise")


def test_one_part_goes_overdue_with_its_alerts_while_the_other_closes_in_time(
        live: LiveServer, tokens: Callable[[str], str], cases: Cases, clock: MovableClock,
        rdb: redis.Redis) -> None:
    cid = cases.report(item=HW_ITEM, grid="020")["id"]
    cases.act("dm073", cid, "accept")
    cases.act("disp1", cid, "assist", department="cgj")  # the case's limit (2 h)
    joint = cases.act("disp1", cid, "assist", department="zhzf", limit_hours=1)
    base = f"/api/v1/cases/{cid}/parts"
    assert cases.call("dm001", "POST", f"{base}/cgj/accept").status_code == 200
    assert cases.call("dm025", "POST", f"{base}/zhzf/accept").status_code == 200
    zhzf_due = part(joint, "zhzf")["deadline"]
    timers = dict(rdb.zrange(KEYS.case_part_timers(), 0, -1, withscores=True))
    zhzf_yellow = int(timers[f"{cid}|zhzf|{zhzf_due}|yellow"])
    assert clock.now < zhzf_yellow < zhzf_due

    with connect(f"{live.ws_url}/ws/screen?token={tokens('disp1')}",
                 open_timeout=RECV_S) as screen:
        assert orjson.loads(screen.recv(timeout=RECV_S))["type"] == "snapshot"
        # cgj reports its result early, in time: no alert of it ever
        clock.advance(10)
        r = cases.call("dm001", "POST", f"{base}/cgj/resolve", json={"note": "已清运"})
        assert r.status_code == 200, r.text

        # zhzf's yellow instant: 协办临期, once
        clock.now = zhzf_yellow
        assert fire_parts_due(live.settings, clock.now) == [(cid, "zhzf", "yellow")]
        assert fire_parts_due(live.settings, clock.now) == []
        near = screen_alert(screen, "part_near_limit")
        assert (near["subject"], near["scope"]["department"], near["data"]["part"]) == (
            {"case": cid}, "zhzf", "zhzf")
        assert near["data"]["part_deadline"] == zhzf_due
        yellow = cases.get("disp1", cid)
        assert part(yellow, "zhzf")["light"] == "yellow"
        assert [(e["part"], e["by"]) for e in entries(yellow, "part_near_limit")] == [
            ("zhzf", "system")]

        # its deadline: 协办超期, once; the yellow alert gives way to it
        clock.now = zhzf_due
        assert fire_parts_due(live.settings, clock.now) == [(cid, "zhzf", "red")]
        assert fire_parts_due(live.settings, clock.now) == []
        overdue = screen_alert(screen, "part_overdue")
        assert (overdue["subject"], overdue["scope"]["department"], overdue["data"]["part"],
                overdue["severity"]) == ({"case": cid}, "zhzf", "zhzf", "major")
        assert overdue["members"] == {f"{cid}|zhzf": True}

    late = cases.get("disp1", cid)
    assert part(late, "zhzf")["light"] == "red"
    assert part(late, "cgj")["light"] == "green"
    assert late["light"] == "green"  # the lead's own case is in time
    assert [e["part"] for e in entries(late, "part_overdue")] == ["zhzf"]
    assert [(a["kind"], a["scope"]["department"]) for a in part_alerts(cases)] == [
        ("part_overdue", "zhzf")]
    assert raises(cases, overdue["id"]) == 1
    assert [a["reason"] for a in part_alerts(cases, "cleared")
            if a["kind"] == "part_near_limit"] == ["overdue"]
    # the lead's screen alerts are untouched by the part
    assert cases.call("disp1", "GET", "/api/v1/alerts",
                      params={"kind": "case_overdue"}).json()["items"] == []

    # cgj's own instants pass: its part was reported, nothing fires for it
    clock.advance(90)
    assert fire_parts_due(live.settings, clock.now) == []
    assert [a["scope"]["department"] for a in part_alerts(cases)] == ["zhzf"]

    # zhzf reports late: its alert clears
    r = cases.call("dm025", "POST", f"{base}/zhzf/resolve", json={"note": "已拆除"})
    assert r.status_code == 200, r.text
    assert part_alerts(cases) == []
    cleared = [a for a in part_alerts(cases, "cleared") if a["kind"] == "part_overdue"]
    assert [(a["id"], a["reason"]) for a in cleared] == [(overdue["id"], "part_resolved")]
