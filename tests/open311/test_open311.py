"""Open311 GeoReport v2: a real client library against the running server, a request
becoming a case in the right grid, its status, privacy and ratings, and every error in
the spec's shape."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from xml.etree import ElementTree as ET

import georeport
import jsonschema
import pytest

from dispatch.org.model import OrgData
from dispatch.settings import Settings
from tests.cases.helpers import Cases
from tests.conftest import PNG_1PX, LiveServer
from tests.open311.helpers import (
    UPSTREAM_REGISTRY,
    V2,
    api_key,
    file_request,
    members_of,
    validate,
)


@pytest.fixture
def cases(live: LiveServer, seeded: OrgData, tokens: Callable[[str], str]) -> Cases:
    return Cases(live, tokens)


def test_the_georeport_client_round_trips(live: LiveServer, settings: Settings,
                                          cases: Cases) -> None:
    key = api_key(settings)
    client = georeport.GeoReport(live.url + V2, api_key=key)
    listed = client.get_service_list()
    validate("services", listed)
    codes = {s["service_code"] for s in listed}
    assert {"SS01", "SS02", "SR01"} <= codes and "ZA11" not in codes  # drug leads: not public
    definition = client.get_service_definition("SS02")
    validate("service_definition", definition)
    assert definition["attributes"][0]["code"] == "danger"
    # georeport (every release) has no call to file a request: post the spec's form
    lat, lon = cases.places.point("003")
    created = file_request(live, key, service_code="SS02", lat=lat, long=lon,
                           description="井盖丢了，很危险", email="li@example.cn",
                           first_name="李", last_name="明", phone="13800000000",
                           **{"attribute[danger]": "yes"})
    validate("created", created)
    request_id, token = created[0]["service_request_id"], created[0]["token"]
    one = client.get_service_request(request_id)
    validate("requests", [one])
    assert (one["service_code"], one["status"], one["description"]) == (
        "SS02", "open", "井盖丢了，很危险")
    assert (one["lat"], one["long"]) == (lat, lon) and one["address_id"] == "003"
    assert "email" not in one and "phone" not in one
    found = client.get_service_requests(service_request_id=request_id)
    assert [r["service_request_id"] for r in found] == [request_id]
    assert [r["service_request_id"] for r in client.get_service_requests(
        service_code="SS02", status="open")] == [request_id]
    # the same through the XML format
    xml_client = georeport.GeoReport(live.url + V2, output_format="xml")
    assert {s["service_code"] for s in xml_client.get_service_list()} == codes
    assert xml_client.get_service_definition("SS02")["service_code"] == "SS02"
    assert xml_client.get_service_request(request_id)["status"] == "open"
    with live.client() as http:
        tokens = http.get(f"{V2}/tokens/{token}.json").json()
        validate("tokens", tokens)
        assert tokens == [{"service_request_id": request_id, "token": token}]
        discovery = http.get(f"{V2}/discovery.json").json()
        validate("discovery", discovery)
        assert discovery["endpoints"][0]["url"].endswith(V2)
        xml = ET.fromstring(http.get(f"{V2}/discovery.xml").content)
        assert xml.tag == "discovery" and xml.find("endpoints/endpoint/formats/format") is not None


def _handle(cases: Cases, live: LiveServer, tokens: Callable[[str], str], cid: str,
            department: str, grid_worker: str) -> None:
    member = members_of(live, tokens("admin"), department)[0]
    cases.act(member, cid, "accept")
    cases.act(member, cid, "resolve", note="已更换新井盖")
    cases.act(grid_worker, cid, "verify", ok=True, note="现场已核实")


def test_a_request_becomes_a_case_and_is_followed_to_its_rating(
        live: LiveServer, settings: Settings, cases: Cases,
        tokens: Callable[[str], str]) -> None:
    key = api_key(settings)
    lat, lon = cases.places.point("007")
    created = file_request(live, key, service_code="SS01", lat=lat, long=lon,
                           description="路灯坏了三天", first_name="王", phone="022-12345678",
                           **{"attribute[pole]": "A-17"})
    cid, token = created[0]["service_request_id"], created[0]["token"]
    # the same routing as a grid worker's report of the item at that place
    with live.client(tokens("disp1")) as http:
        route = http.post("/api/v1/rules/dry-run", json={"item": "SS01", "lat": lat,
                                                          "lon": lon}).json()
    desk = cases.get("disp1", cid)
    assert (desk["grid"], desk["department"], desk["source"]) == ("007", route["department"],
                                                                  "open311")
    assert desk["citizen"] == {"first_name": "王", "phone": "022-12345678"}
    assert "灯杆编号：A-17" in desk["description"]
    member = members_of(live, tokens("admin"), desk["department"])[0]
    assert "citizen" not in cases.get(member, cid)  # contact details: the desk only
    with live.client() as http:
        view = http.get(f"{V2}/requests/{cid}.json").json()[0]
    assert view["agency_responsible"] and view["expected_datetime"]
    assert view["status"] == "open" and "phone" not in str(view)
    _handle(cases, live, tokens, cid, desk["department"], "gw007")
    with live.client() as http:
        closed = http.get(f"{V2}/requests/{cid}.json").json()[0]
        validate("requests", [closed])
        assert closed["status"] == "closed" and closed["status_notes"] == "已现场核查，办结"
        english = http.get(f"{V2}/requests/{cid}.json", params={"lang": "en"}).json()[0]
        assert english["status_notes"] == "Verified on site and closed"
        rated = http.post(f"{V2}/tokens/{token}/rating.json", data={"score": "4",
                                                                   "note": "修得很快"})
        assert rated.status_code == 200 and rated.json()[0]["rating"] == 4
        again = http.post(f"{V2}/tokens/{token}/rating.json", data={"score": "5"})
        assert again.status_code == 409 and again.json()[0]["code"] == 409
        wrong = http.post(f"{V2}/tokens/not-a-token/rating.json", data={"score": "5"})
        assert wrong.status_code == 404
    cases.act("gw007", cid, "rate", score=5, note="群众满意")
    cases.act("gw007", cid, "rate", score=5, expect=409)
    ratings = cases.get("disp1", cid)["ratings"]
    assert [(r["rater"], r["score"]) for r in ratings] == [("citizen", 4), ("grid_worker", 5)]


def _errors(response: Any, status: int) -> list[dict[str, Any]]:
    assert response.status_code == status, response.text
    body = response.json()
    validate("errors", body)
    assert body[0]["code"] == status
    return list(body)


def test_every_error_in_the_spec_shape(live: LiveServer, settings: Settings,
                                       cases: Cases) -> None:
    key = api_key(settings)
    slow = api_key(settings, rate=2, name="slow")
    lat, lon = cases.places.point("010")
    place = {"lat": lat, "long": lon}
    with live.client() as http:
        def post(**fields: Any) -> Any:
            return http.post(f"{V2}/requests.json", data=fields)

        _errors(post(service_code="SR01", **place), 403)
        _errors(post(api_key="wrong", service_code="SR01", **place), 403)
        _errors(post(api_key=key, **place), 400)
        _errors(post(api_key=key, service_code="ZA11", **place), 404)  # not open to citizens
        _errors(post(api_key=key, service_code="SR01"), 400)  # no place
        _errors(post(api_key=key, service_code="SR01", lat=lat), 400)
        _errors(post(api_key=key, service_code="SS02", **place), 400)  # required attribute
        _errors(post(api_key=key, service_code="SS02", **place,
                     **{"attribute[danger]": "maybe"}), 400)
        _errors(post(api_key=key, service_code="SR01", email="not-mail", **place), 400)
        _errors(post(api_key=key, service_code="SR01", address_string="1 Main St"), 400)
        _errors(post(api_key=key, service_code="SR01", lat="0.5", long="0.5"), 400)
        _errors(post(api_key=key, service_code="SR01", media_url="ftp://x", **place), 400)
        _errors(http.post(f"{V2}/requests.json", json={"api_key": key}), 400)
        _errors(http.get(f"{V2}/requests/C999999.json"), 404)
        _errors(http.get(f"{V2}/services/ZA11.json"), 404)
        _errors(http.get(f"{V2}/tokens/nope.json"), 404)
        _errors(http.get(f"{V2}/services.csv"), 404)
        _errors(http.get(f"{V2}/requests.json", params={"start_date": "yesterday"}), 400)
        _errors(http.get(f"{V2}/requests.json", params={
            "start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}), 400)
        _errors(http.get(f"{V2}/requests.json", params={"status": "pending"}), 400)
        _errors(http.get(f"{V2}/services.json", params={"jurisdiction_id": "elsewhere"}), 404)
        xml = http.get(f"{V2}/services/ZA11.xml")
        assert xml.status_code == 404
        root = ET.fromstring(xml.content)
        assert root.tag == "errors" and root.findtext("error/code") == "404"
        # a key past its own rate
        for _ in range(2):
            assert post(api_key=slow, service_code="SR01",
                        **dict(zip(("lat", "long"), cases.places.point("010"),
                                   strict=True))).status_code == 200
        limited = post(api_key=slow, service_code="SR01", **place)
        _errors(limited, 429)
        assert int(limited.headers["retry-after"]) >= 1
        # a place named by its grid, a multi-value answer, a photo
        named = file_request(live, key, service_code="MD08",
                             address_string="军粮城第一社区第一网格 3号楼",
                             **{"attribute[hours]": "night"})
        assert cases.get("disp1", named[0]["service_request_id"])["grid"] == "001"
        r = http.post(f"{V2}/requests.json", data={
            "api_key": key, "service_code": "SR01", **place},
            files={"media": ("p.png", PNG_1PX, "image/png")})
        assert r.status_code == 200, r.text
        view = http.get(f"{V2}/requests/{r.json()[0]['service_request_id']}.json").json()[0]
        photo = http.get(view["media_url"].removeprefix(live.url))
        assert photo.status_code == 200 and photo.content == PNG_1PX


def test_api_keys_from_the_command_line(settings: Settings, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    from dispatch import cli

    for name, value in (("REDIS_URL", settings.redis_url or ""),
                        ("DISPATCH_DATA", str(settings.data_dir))):
        monkeypatch.setenv(name, value)
    assert cli.main(["open311", "keys", "add", "12345-hotline", "--rate", "30"]) == 0
    out = capsys.readouterr().out
    key_id = out.split()[2]
    key = next(line.split()[1] for line in out.splitlines() if line.startswith("api_key:"))
    assert cli.main(["open311", "keys", "list"]) == 0
    listed = capsys.readouterr().out
    assert key_id in listed and "12345-hotline" in listed and "active" in listed
    assert key not in listed  # a key is shown once
    assert cli.main(["open311", "keys", "revoke", key_id]) == 0
    assert cli.main(["open311", "keys", "list"]) == 0
    assert "revoked" in capsys.readouterr().out
    assert cli.main(["open311", "keys", "revoke", "nope"]) == 1


def test_the_upstream_schemas_refuse_what_the_spec_refuses() -> None:
    """The open311/schema-validation schemas are really applied: a wrong status fails them."""
    wrong = [{"service_request_id": "C1", "status": "pending", "service_code": "SS02",
              "requested_datetime": "2026-12-01T08:00:00+08:00"}]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(UPSTREAM_REGISTRY.contents("requests.json"),
                                   registry=UPSTREAM_REGISTRY).validate(wrong)
    with pytest.raises(jsonschema.ValidationError):
        validate("services", [{"service_code": "SS02"}])
