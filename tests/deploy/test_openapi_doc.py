"""/openapi.json is a valid OpenAPI 3.1 document in which every operation is typed: a schema
for each request body and query parameter, for each response (2xx and errors) with its right
status code; the same models validate input and name the bad field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from openapi_spec_validator import validate

from dispatch.app import create_app
from dispatch.http.openapi import http_routes
from dispatch.http.typed import op_of
from tests.conftest import LiveServer

BARE = {"type": "object"}


@pytest.fixture
def doc(live: LiveServer) -> dict[str, Any]:
    with live.client() as c:
        return dict(c.get("/openapi.json").json())


def test_the_document_validates(doc: dict[str, Any]) -> None:
    validate(doc)


def test_every_route_is_typed() -> None:
    untyped = [f"{method.upper()} {route.path}" for route, method in
               http_routes(create_app().routes) if op_of(route.endpoint) is None]
    assert untyped == [], "declare these with @op(...) (dispatch/http/typed.py)"


def test_every_operation_has_schemas(doc: dict[str, Any]) -> None:
    problems = []
    schemas = doc["components"]["schemas"]
    for path, methods in doc["paths"].items():
        for method, operation in methods.items():
            where = f"{method.upper()} {path}"
            if method == "post" and path.startswith("/api/v1/cases/{id}/"):
                assert "requestBody" in operation, f"{where}: add its body to ACTION_BODIES"
            body = operation.get("requestBody", {}).get("content", {})
            for media, entry in body.items():
                if entry.get("schema", BARE) == BARE:
                    problems.append(f"{where}: a bare {media} request body")
            for status, response in operation["responses"].items():
                content = response.get("content", {})
                if not content:
                    problems.append(f"{where} {status}: no schema")
                for entry in content.values():
                    ref = entry.get("schema", {}).get("$ref", "")
                    if ref and ref.rsplit("/", 1)[-1] not in schemas:
                        problems.append(f"{where} {status}: {ref} is not defined")
                if status.startswith(("4", "5")) and "application/json" in content and \
                        not path.startswith("/open311/"):
                    assert content["application/json"]["schema"]["$ref"].endswith("/Error")
            for param in operation["parameters"]:
                assert "schema" in param, (where, param)
    assert problems == []


def test_status_codes_and_parameters(doc: dict[str, Any]) -> None:
    report = doc["paths"]["/api/v1/cases"]["post"]
    assert "201" in report["responses"] and "409" in report["responses"]
    assert report["responses"]["201"]["content"]["application/json"]["schema"]["$ref"] \
        .endswith("/Case")
    listing = doc["paths"]["/api/v1/cases"]["get"]
    names = {p["name"] for p in listing["parameters"]}
    assert {"state", "department", "grid", "light", "cursor", "limit"} <= names
    login = doc["paths"]["/api/v1/login"]["post"]
    assert login["security"] == [] and {"200", "400", "401", "429", "503"} <= set(
        login["responses"])
    me = doc["paths"]["/api/v1/me"]["get"]
    assert me["security"] == [{"bearer": []}] and {"401", "403"} <= set(me["responses"])
    login_body = doc["components"]["schemas"]["LoginBody"]
    assert login_body["required"] == ["username", "password"]


@pytest.mark.parametrize(("body", "code", "field"), [
    ({"client_id": "a", "item": "SR01", "lat": 91, "lon": 117.4}, "invalid_field", "lat"),
    ({"client_id": "a", "item": "SR01", "lon": 117.4}, "missing_field", "lat"),
    ({"client_id": "a", "item": "SR01", "lat": 39, "lon": 117.4, "media": ["x", 5]},
     "invalid_field", "media[1]"),
    ([1], "invalid_type", None),
])
def test_the_models_validate_input(live: LiveServer, tokens: Callable[[str], str],
                                   body: Any, code: str, field: str | None) -> None:
    with live.client(tokens("gw001")) as c:
        r = c.post("/api/v1/cases", json=body)
    assert r.status_code == 400
    assert r.json()["error"]["code"] == code
    assert r.json()["error"].get("field") == field


def test_query_parameters_are_validated(live: LiveServer, tokens: Callable[[str], str]) -> None:
    with live.client(tokens("disp1")) as c:
        bad = c.get("/api/v1/cases", params={"light": "purple"})
        good = c.get("/api/v1/cases", params={"light": "red", "limit": "5"})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "light"
    assert good.status_code == 200
