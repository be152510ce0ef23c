"""Offers on the team socket and the accept race: exactly one winner, the others told."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from tests.cases.helpers import CGJ_ITEM, HARD_ITEM, Cases, Socket, of_type
from tests.conftest import LiveServer

RACERS = 24  # cgj has 24 members: dm001..dm024
QUIET_S = 0.3



def members(n: int) -> list[str]:
    return [f"dm{i:03d}" for i in range(1, n + 1)]


def test_http_accept_race_has_one_winner(live: LiveServer, tokens: Callable[[str], str],
                                         cases: Cases) -> None:
    racers = members(RACERS)
    for user in racers:
        tokens(user)
    cid = cases.report()["id"]
    start = threading.Barrier(RACERS)

    def accept(user: str) -> tuple[str, int, str]:
        start.wait()
        r = cases.call(user, "POST", f"/api/v1/cases/{cid}/accept")
        return user, r.status_code, r.json().get("error", {}).get("code", "")

    with Socket(live, tokens("dm001"), settle_s=QUIET_S) as watcher:
        with ThreadPoolExecutor(RACERS) as pool:
            results = list(pool.map(accept, racers))
        winners = [u for u, status, _ in results if status == 200]
        assert len(winners) == 1, results
        assert sorted(code for _, status, code in results if status != 200) == \
            ["already_taken"] * (RACERS - 1)
        if winners[0] != "dm001":
            assert watcher.wait(of_type("job.taken", cid))["by"] == winners[0]
    case = cases.get("disp1", cid)
    assert case["assignee"] == winners[0]
    assert [e["action"] for e in case["timeline"]].count("accept") == 1


def test_socket_accept_race_and_acks(live: LiveServer, tokens: Callable[[str], str],
                                     cases: Cases) -> None:
    racers = members(10)
    sockets = [Socket(live, tokens(u), settle_s=QUIET_S) for u in racers]
    for s in sockets:
        s.__enter__()
    try:
        cid = cases.report()["id"]
        for s in sockets:
            s.wait(of_type("job.offered", cid))
        for n, s in enumerate(sockets):
            s.send({"type": "accept", "case": cid, "seq": n})
        replies = [s.wait(lambda m: m.get("type") in ("ack", "error")) for s in sockets]
        acks = [r for r in replies if r["type"] == "ack"]
        assert len(acks) == 1 and acks[0]["state"] == "accepted"
        assert sorted(r["code"] for r in replies if r["type"] == "error") == \
            ["already_taken"] * (len(racers) - 1)
        assert all(r["ref"] == n for n, r in enumerate(replies))
        winner = sockets[replies.index(acks[0])]
        others = [s for s in sockets if s is not winner]
        for s in others:
            assert s.wait(of_type("job.taken", cid))["case"] == cid
        assert not [m for m in winner.drain(QUIET_S) if m["type"] == "job.taken"]
        winner.send({"type": "progress", "case": cid, "note": "到场", "seq": 100})
        assert winner.wait(of_type("ack"))["ref"] == 100
        others[0].send({"type": "progress", "case": cid, "note": "x", "seq": 7})
        err = others[0].wait(of_type("error"))
        assert (err["code"], err["ref"]) == ("scope_forbidden", 7)
        winner.send({"type": "reject", "case": cid, "seq": 8})
        err = winner.wait(of_type("error"))
        assert (err["field"], err["ref"]) == ("reason", 8)
        winner.send({"type": "reject", "case": cid, "reason": "不归我们", "seq": 9})
        assert winner.wait(of_type("ack"))["state"] == "triage"
        winner.send({"type": "resolve", "case": cid, "seq": 10})
        assert winner.wait(of_type("error"))["code"] == "unknown_type"
        winner.send({"type": "accept", "seq": 11})
        assert winner.wait(of_type("error"))["field"] == "case"
        winner.send({"type": "accept", "case": "C999", "seq": 12})
        assert winner.wait(of_type("error"))["code"] == "unknown_case"
    finally:
        for s in sockets:
            s.__exit__()


def test_offers_are_for_the_department_and_pending_ones_arrive_on_connect(
        live: LiveServer, tokens: Callable[[str], str], cases: Cases) -> None:
    first = cases.report(item=CGJ_ITEM)["id"]
    second = cases.report(item="SS03")["id"]
    cases.report(item="SR01")  # sanitation's, not cgj's
    taken = cases.report(item="SR05")["id"]
    cases.act("dm005", taken, "accept")
    with Socket(live, tokens("dm009"), settle_s=QUIET_S) as s:
        offered = [m["case"]["id"] for m in s.seen if m["type"] == "job.offered"]
    assert sorted(offered) == sorted([first, second])
    with Socket(live, tokens("lead01"), settle_s=QUIET_S) as lead:
        assert len([m for m in lead.seen if m["type"] == "job.offered"]) == 2
    # a lead sees the department's open jobs and who holds each through the listing
    jobs = cases.listing("lead01", state="open")["items"]
    assert {(j["id"], j["assignee"]) for j in jobs} == {(first, None), (second, None),
                                                        (taken, "dm005")}


def test_a_job_for_the_command_centre_is_offered_on_the_desk_socket(
        live: LiveServer, tokens: Callable[[str], str], cases: Cases) -> None:
    """The centre's jobs go to the desk (dispatchers' team sockets), not to a department."""
    with Socket(live, tokens("disp1"), settle_s=QUIET_S) as desk, \
            Socket(live, tokens("dm001"), settle_s=QUIET_S) as member:
        case = cases.report(item=HARD_ITEM)
        assert (case["state"], case["department"]) == ("dispatched", "centre")
        offer = desk.wait(of_type("job.offered", case["id"]))
        assert offer["case"]["department"] == "centre"
        mine = cases.report(item=CGJ_ITEM)["id"]
        member.wait(of_type("job.offered", mine))
        assert not [m for m in member.seen if of_type("job.offered", case["id"])(m)]
