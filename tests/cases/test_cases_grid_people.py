"""The people of a grid (一格多员) through the API: an informant reports in their grid and
follows their own reports; a simple problem they report is solved on the spot by them with
a photo and closed once the grid's worker verifies it; a grid assistant patrols and
reports, their patrols shown and counted apart from the grid worker's."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from dispatch.org.model import OrgData
from tests.cases.helpers import CGJ_ITEM, HW_ITEM, SIMPLE_ITEM, Cases, Socket, of_type
from tests.conftest import LiveServer
from tests.location.fixtures import ALL_DAY_WINDOWS

QUIET_S = 0.3


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"patrol_windows": ALL_DAY_WINDOWS}



def phone_socket(live: LiveServer, token: str) -> Socket:
    sock = Socket(live, token, settle_s=QUIET_S)
    sock.url = f"{live.ws_url}/ws/phone?token={token}"
    return sock


def test_an_informant_solves_a_simple_problem_on_the_spot(live: LiveServer,
                                                          tokens: Callable[[str], str],
                                                          cases: Cases) -> None:
    informant = "inf001-1"
    outside = cases.call(informant, "POST", "/api/v1/cases", json={
        "client_id": "x1", "item": SIMPLE_ITEM, "description": "小广告",
        **dict(zip(("lat", "lon"), cases.places.point("002"), strict=True))})
    assert (outside.status_code, outside.json()["error"]["code"]) == (403, "outside_your_grid")

    case = cases.report(informant, item=SIMPLE_ITEM, grid="001", description="电线杆小广告")
    cid = case["id"]
    assert (case["state"], case["assignee"], case["tier"]) == ("accepted", informant, "simple")
    assert case["timeline"][0]["reporter_role"] == "informant"
    photo = cases.photo(informant)
    with phone_socket(live, tokens("gw001")) as worker:
        done = cases.act(informant, cid, "resolve", note="已现场清除", media=[photo])
        task = worker.wait(of_type("task", cid))
        assert task["kind"] == "verify"
    assert done["state"] == "resolved" and photo in done["media"]
    cases.act(informant, cid, "verify", ok=True, expect=403)  # not their own result
    closed = cases.act("gw001", cid, "verify", ok=True, note="核查通过")
    assert closed["state"] == "closed"
    assert [e["by"] for e in closed["timeline"]][-2:] == [informant, "gw001"]

    # they follow their own reports only
    theirs = cases.report(informant, item=CGJ_ITEM, grid="001")
    someone_elses = cases.report("gw001", item=CGJ_ITEM, grid="001")
    listed = {c["id"] for c in cases.listing(informant)["items"]}
    assert {cid, theirs["id"]} <= listed and someone_elses["id"] not in listed
    cases.get(informant, someone_elses["id"], expect=403)
    assert theirs["state"] == "dispatched" and theirs["department"] == "cgj"
    # no tracking for an informant
    r = cases.call(informant, "POST", "/api/v1/locations",
                   json={"items": [{"lat": 39.03, "lon": 117.42, "ts": case["created"]}]})
    assert r.status_code == 403

    # the scores show the informants' reports with their grid's worker
    scores = cases.call("assess1", "GET", "/api/v1/scores", params={"period": "day"}).json()
    row = next(w for w in scores["workers"] if w["subject"] == "gw001")
    assert row["raw"]["informant_reports"] == 2
    assert row["raw"]["reports"] == 1  # the worker's own


def test_a_grid_assistant_patrols_apart(cases: Cases) -> None:
    started = cases.call("ga005", "POST", "/api/v1/patrols/start")
    assert started.status_code == 201, started.text
    patrol = started.json()
    assert patrol["worker"] == "ga005"
    ended = cases.call("ga005", "POST", f"/api/v1/patrols/{patrol['id']}/end")
    assert ended.status_code == 200, ended.text
    seen = cases.call("disp1", "GET", "/api/v1/patrols", params={"worker": "ga005"}).json()
    assert [p["id"] for p in seen["items"]] == [patrol["id"]]
    report = cases.call("assess1", "GET", "/api/v1/reports/daily").json()
    assert report["totals"]["patrols_assistant"] == 1
    assert report["totals"]["patrols_complete"] + report["totals"]["patrols_incomplete"] == 0
    case = cases.report("ga005", item=CGJ_ITEM, grid="005")
    assert case["timeline"][0]["reporter_role"] == "grid_assistant"


def test_a_case_names_its_people(cases: Cases, seeded: OrgData) -> None:
    """GET a case: ``people`` gives the name of everyone it mentions, for the pages."""
    named = {p.user.username: p.user.name for p in seeded.people}
    case = cases.report("gw021", HW_ITEM, "021")
    cases.act("dm073", case["id"], "accept")
    detail = cases.call("disp1", "GET", f"/api/v1/cases/{case['id']}").json()
    assert detail["people"] == {"gw021": named["gw021"], "dm073": named["dm073"]}
