"""Reporting: routing, idempotent retries, duplicates, photos, triage and bad input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import redis

from dispatch.keys import Keys
from tests.cases.helpers import CGJ_ITEM, LATTICE_M, M_PER_DEG_LAT, Cases
from tests.conftest import PNG_1PX

KEYS = Keys("jlc")



def test_same_client_id_returns_the_first_case(cases: Cases, rdb: redis.Redis) -> None:
    lat, lon = cases.places.point()
    body = {"client_id": "phone-7-0001", "lat": lat, "lon": lon, "description": "坑洼"}
    first = cases.report(**body)
    again = cases.report(expect=200, **body)
    assert again["id"] == first["id"] and again["state"] == first["state"]
    assert rdb.zcard(KEYS.cases_all()) == 1
    reused = cases.report(expect=409, **{**body, "description": "别的事"})
    assert (reused["error"]["code"], reused["error"]["field"]) == ("client_id_reused",
                                                                   "client_id")
    other = cases.report("gw002", grid="002", client_id="phone-7-0001")
    assert other["id"] != first["id"]


def test_a_near_open_case_of_the_same_item_is_a_duplicate(cases: Cases,
                                                          rdb: redis.Redis) -> None:
    lat, lon = cases.places.point()
    original = cases.report(lat=lat, lon=lon)
    near = lat + 20 / M_PER_DEG_LAT  # 20 m north
    dup = cases.report("gw002", lat=near, lon=lon)
    assert (dup["state"], dup["duplicate_of"], dup["department"]) == ("duplicate",
                                                                      original["id"], None)
    assert dup["deadline"] is None
    assert [e["action"] for e in dup["timeline"]] == ["report", "duplicate"]
    noted = cases.get("disp1", original["id"])
    assert noted["timeline"][-1]["action"] == "duplicate_reported"
    assert noted["timeline"][-1]["case"] == dup["id"]
    assert noted["state"] == "dispatched"
    assert rdb.zscore(KEYS.case_offers("cgj"), dup["id"]) is None
    # another item at the same place, or the same item far enough away, is a new case
    assert cases.report(item="SS03", lat=lat, lon=lon)["state"] == "dispatched"
    far = lat + 2 * LATTICE_M / M_PER_DEG_LAT
    assert cases.report(lat=far, lon=lon)["state"] == "dispatched"
    # once the original is finished, the same report is new again
    cases.act("disp1", original["id"], "cancel", reason="x")
    assert cases.report(lat=near, lon=lon)["state"] == "dispatched"


class TestDuplicateWindow:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"duplicate_window_s": 0}

    def test_an_older_case_is_not_repeated(self, cases: Cases) -> None:
        lat, lon = cases.places.point()
        cases.report(lat=lat, lon=lon)
        assert cases.report("gw002", lat=lat, lon=lon)["state"] == "dispatched"


def test_photos_must_be_the_callers(cases: Cases, rdb: redis.Redis) -> None:
    mine = cases.photo("gw001")
    theirs = cases.photo("gw002")
    bad = cases.report(media=[mine, theirs], expect=400)
    assert (bad["error"]["code"], bad["error"]["field"]) == ("unknown_media", "media.1")
    bad = cases.report(media=["f" * 64], expect=400)
    assert bad["error"]["code"] == "unknown_media"
    assert rdb.zcard(KEYS.cases_all()) == 0  # nothing stored for a refused report
    case = cases.report(media=[mine])
    assert rdb.smembers(KEYS.media_cases(mine)) == {case["id"]}


def test_one_picture_of_two_problems_goes_with_both_reports(cases: Cases,
                                                            rdb: redis.Redis) -> None:
    shared = cases.photo("gw001")
    lamp = cases.report(media=[shared])
    road = cases.report(item="SR01", media=[shared])
    assert rdb.smembers(KEYS.media_cases(shared)) == {lamp["id"], road["id"]}
    for case in (lamp, road):
        assert cases.call("gw001", "GET", f"/api/v1/cases/{case['id']}").json()["media"] == [
            shared]
    # whoever may see either case sees the photo: each case's department
    for cid in (lamp["id"], road["id"]):
        department = cases.call("admin", "GET", f"/api/v1/cases/{cid}").json()["department"]
        lead = cases.call("admin", "GET", f"/api/v1/departments/{department}").json()["lead"]
        assert cases.call(lead, "GET", f"/api/v1/media/{shared}").status_code == 200


def test_another_reporters_picture_is_refused_naming_the_case(cases: Cases,
                                                              rdb: redis.Redis) -> None:
    data = PNG_1PX + b"forwarded picture"
    ids = {user: cases.call(user, "POST", "/api/v1/media",
                            files={"file": ("p.png", data, "image/png")}).json()["id"]
           for user in ("gw001", "gw002")}
    assert ids["gw001"] == ids["gw002"]  # the same bytes: the same photo
    first = cases.report(media=[ids["gw001"]])
    refused = cases.report("gw002", grid="002", media=[ids["gw002"]], expect=400)["error"]
    assert (refused["code"], refused["field"], refused["case"]) == (
        "media_in_use", "media.0", first["id"])
    assert rdb.smembers(KEYS.media_cases(ids["gw001"])) == {first["id"]}
    # a result photo is the evidence of one case only
    dept = first["department"]
    member = cases.call("admin", "GET", f"/api/v1/departments/{dept}").json()["members"][0]
    cases.act(member, first["id"], "accept")
    proof = cases.photo(member)
    cases.act(member, first["id"], "progress", note="已到现场", media=[proof])
    other = cases.report("gw003", grid="003")
    cases.act(member, other["id"], "accept")
    again = cases.act(member, other["id"], "progress", expect=400, note="同上", media=[proof])
    assert (again["error"]["code"], again["error"]["case"]) == ("media_in_use", first["id"])


def test_bad_reports(cases: Cases) -> None:
    unknown = cases.report(item="XX99", expect=400)["error"]
    assert (unknown["code"], unknown["field"]) == ("unknown_item", "item")
    outside = cases.report(lat=31.2, lon=121.5, expect=400)["error"]
    assert (outside["code"], outside["field"]) == ("outside_grids", "lat")
    for body, field in [({"lat": "north", "lon": 117.4}, "lat"),
                        ({"lat": 39.03, "lon": None}, "lon"),
                        ({"client_id": 5}, "client_id"),
                        ({"severity": "extreme"}, "severity"),
                        ({"description": ["x"]}, "description")]:
        err = cases.report(expect=400, **body)["error"]
        assert err["field"] == field, (body, err)
    r = cases.call("gw001", "POST", "/api/v1/cases", content=b"{nope",
                   headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "malformed_json"
    r = cases.call("dm001", "POST", "/api/v1/cases", json={})
    assert r.status_code == 403


def test_the_desk_reports_for_a_grid_worker(cases: Cases) -> None:
    case = cases.report("disp1", reporter="gw001")
    assert case["reporter"] == "gw001"
    assert case["timeline"][0]["by"] == "disp1"
    cases.act("gw001", case["id"], "cancel", reason="电话误报")
    err = cases.report("disp1", reporter="dm001", expect=400)["error"]
    assert (err["code"], err["field"]) == ("unknown_user", "reporter")
    err = cases.report("gw001", reporter="gw002", expect=403)["error"]
    assert err["field"] == "reporter"


def test_action_errors(cases: Cases) -> None:
    cid = cases.report()["id"]
    assert cases.act("dm001", "C999", "accept", expect=404)["error"]["code"] == "unknown_case"
    assert cases.get("dm001", "nonsense", expect=404)["error"]["code"] == "unknown_case"
    wrong = cases.act("lead01", cid, "resolve", note="x", expect=409)["error"]
    assert wrong["code"] == "invalid_state"
    foreign = cases.act("dm030", cid, "accept", expect=403)["error"]
    assert foreign["code"] == "scope_forbidden"
    assert cases.get("dm030", cid, expect=403)["error"]["code"] == "scope_forbidden"
    assert cases.get("gw002", cid, expect=403)
    missing = cases.act("dm001", cid, "reject", expect=400)["error"]
    assert (missing["code"], missing["field"]) == ("missing_field", "reason")
    r = cases.call("dm001", "POST", f"/api/v1/cases/{cid}/accept", content=b"[1]",
                   headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_type"
    r = cases.call("screen1", "POST", f"/api/v1/cases/{cid}/accept")
    assert r.status_code == 403 and r.json()["error"]["code"] == "role_forbidden"
    cases.act("dm001", cid, "accept")
    assert cases.act("dm001", cid, "rate", score=3, expect=403)
    assert cases.act("gw001", cid, "rate", score=3, expect=409)["error"]["code"] == \
        "invalid_state"
    assert cases.act("gw001", cid, "verify", ok=True, expect=409)
    assert cases.act("dm001", cid, "extend", hours=100_000, reason="x",
                     expect=400)["error"]["field"] == "hours"


TRIAGE_RULES = """
version = "only-facilities"

[[rule]]
id = "facilities"
priority = 10
match = { categories = ["SS"] }
"""


class TestTriage:
    @pytest.fixture
    def settings_overrides(self, tmp_path: Path) -> dict[str, Any]:
        path = tmp_path / "rules.toml"
        path.write_text(TRIAGE_RULES, encoding="utf-8")
        return {"rules_file": path}

    def test_no_rule_goes_to_triage_then_the_desk_sends_it(self, cases: Cases,
                                                         rdb: redis.Redis) -> None:
        assert cases.report(item=CGJ_ITEM)["state"] == "dispatched"
        case = cases.report(item="SR05")
        assert (case["state"], case["department"], case["rule"]) == ("triage", "centre", None)
        assert case["deadline"] is None and case["light"] == "green"
        assert [e["to"] for e in case["timeline"]] == ["reported", "triage"]
        sent = cases.act("disp1", case["id"], "reassign", department="cgj")
        assert (sent["state"], sent["department"]) == ("dispatched", "cgj")
        assert sent["deadline"] is not None and sent["deadline"] > sent["yellow_at"]
        members = rdb.zrange(KEYS.case_timers(), 0, -1)
        assert f"{case['id']}|red|0|2" in members
