"""Open311 GeoReport v2: the spec's shapes (arrays, its own error shape, JSON or XML)."""

from __future__ import annotations

from typing import Any

from msgspec import Struct, field

XML = {"text/xml": {"schema": {"type": "string"}}}
#: The spec's errors: ``[{"code", "description"}]`` (``<errors>`` in XML).
ERRORS_SCHEMA = {"type": "array", "items": {
    "type": "object", "required": ["code", "description"],
    "properties": {"code": {"type": "integer"}, "description": {"type": "string"}}}}
FORM_BODY = {"required": True, "content": {
    "application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": {
        "api_key": {"type": "string"}, "service_code": {"type": "string"},
        "lat": {"type": "string"}, "long": {"type": "string"},
        "address_string": {"type": "string"}, "description": {"type": "string"},
        "media_url": {"type": "string"}, "email": {"type": "string"},
        "phone": {"type": "string"}, "first_name": {"type": "string"},
        "last_name": {"type": "string"}}, "required": ["service_code"]}},
    "multipart/form-data": {"schema": {"type": "object", "properties": {
        "service_code": {"type": "string"}, "media": {"type": "string", "format": "binary"}}}}}}
RATING_BODY = {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {
    "type": "object", "required": ["score"],
    "properties": {"score": {"type": "string", "description": "1 to 5"},
                   "note": {"type": "string"}}}}}}


class Endpoint(Struct, kw_only=True, forbid_unknown_fields=False):
    specification: str
    url: str
    changeset: str | None
    type: str
    formats: list[str]


class Discovery(Struct, kw_only=True, forbid_unknown_fields=False):
    changeset: str | None
    contact: str
    key_service: str
    endpoints: list[Endpoint]


class Service(Struct, kw_only=True, forbid_unknown_fields=False):
    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: str
    keywords: str
    group: str


class ServiceDefinition(Struct, kw_only=True, forbid_unknown_fields=False):
    service_code: str
    attributes: list[dict[str, Any]]


class ServiceRequest(Struct, kw_only=True, forbid_unknown_fields=False):
    service_request_id: str
    status: str | None = None
    status_notes: str | None = None
    service_name: str | None = None
    service_code: str | None = None
    description: str | None = None
    agency_responsible: str | None = None
    service_notice: str | None = None
    requested_datetime: str | None = None
    updated_datetime: str | None = None
    expected_datetime: str | None = None
    address: str | None = None
    address_id: str | None = None
    zipcode: str | None = None
    lat: float | None = None
    long: float | None = None
    media_url: str | None = None
    token: str | None = None
    rating: int | None = None
    account_id: Any = field(default=None)


class CitizenConfig(Struct, kw_only=True, forbid_unknown_fields=False):
    api_key: str | None
    street: dict[str, Any]
    #: Every street served (code, name, name_en), the home street first.
    streets: list[dict[str, Any]]
    grids: dict[str, Any]
    open311: str


class CitizenQuery(Struct, kw_only=True, forbid_unknown_fields=False):
    """The street whose page it is (a street code; default the home street)."""

    street: str | None = None
    jurisdiction_id: str | None = None


def array_of(model: type) -> dict[str, Any]:
    """A JSON array of ``model`` (the spec answers arrays), or XML."""
    return {"application/json": {"schema": {"type": "array", "items": {
        "$ref": f"#/components/schemas/{model.__name__}"}}}, **XML}
