"""Open311 test helpers: API keys, filing requests, handling the case, JSON Schemas."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from dispatch.bootstrap import Container
from dispatch.settings import Settings
from tests.conftest import LiveServer
from tests.location.fixtures import with_service

V2 = "/open311/v2"
SCHEMA = json.loads((Path(__file__).parent / "schemas" / "georeport_v2.json").read_text())
FORMATS = jsonschema.FormatChecker()
UPSTREAM_DIR = Path(__file__).parent / "schemas" / "upstream"
# our kinds -> the open311/schema-validation schema that covers the same response
UPSTREAM = {"services": "services.json", "service_definition": "service-definition.json",
            "requests": "requests.json"}
UPSTREAM_REGISTRY: Registry = Registry().with_resources(
    (path.name, Resource.from_contents(json.loads(path.read_text()), default_specification=DRAFT4))
    for path in UPSTREAM_DIR.glob("*.json"))


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    moment = datetime.fromisoformat(value)
    return moment.tzinfo is not None  # W3C date-times carry their offset


@FORMATS.checks("uri", raises=ValueError)
def _uri(value: object) -> bool:
    return not isinstance(value, str) or value.startswith(("http://", "https://"))


def validate(kind: str, body: Any) -> None:
    """Check a response against our GeoReport v2 schema of its kind, and against the
    open311/schema-validation schema where one covers it."""
    schema = {"definitions": SCHEMA["definitions"], **SCHEMA[kind]}
    jsonschema.Draft7Validator(schema, format_checker=FORMATS).validate(body)
    if kind in UPSTREAM:
        upstream = UPSTREAM_REGISTRY.contents(UPSTREAM[kind])
        jsonschema.Draft4Validator(upstream, registry=UPSTREAM_REGISTRY).validate(body)


def api_key(settings: Settings, rate: int = 1000, name: str = "hotline") -> str:
    async def go(c: Container) -> str:
        key, _ = await c.open311.apikeys.add(name, rate)
        return key

    return with_service(settings, go)


def file_request(live: LiveServer, key: str, expect: int = 200, **fields: Any) -> Any:
    with live.client() as http:
        r = http.post(f"{V2}/requests.json", data={"api_key": key, **fields})
    assert r.status_code == expect, r.text
    return r.json()


def members_of(live: LiveServer, token: str, dept: str) -> list[str]:
    with live.client(token) as http:
        return list(http.get(f"/api/v1/departments/{dept}").json()["members"])
