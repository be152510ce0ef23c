"""A GeoReport v2 POST request's form, checked field by field (pure).

Fields: ``api_key``, ``service_code``, ``lat`` and ``long`` (or ``address_string`` or
``address_id``), ``description``, ``media_url``, ``email``, ``first_name``,
``last_name``, ``phone``, ``device_id``, ``account_id`` and ``attribute[code]``
(``attribute[code][]`` for each value of a multi-value list).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from dispatch.errors import BadRequest
from dispatch.rules import Catalogue, Item
from dispatch.rules.catalogue import Attribute

#: The spec's longest description.
MAX_DESCRIPTION = 4000
MAX_FIELD = 200
MAX_URL = 2000
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^[0-9+()\- ]{3,32}$")
ATTRIBUTE_KEY = re.compile(r"^attribute\[([^\]]+)\](\[\])?$")
CONTACT_FIELDS = ("email", "first_name", "last_name", "phone", "device_id", "account_id")


@dataclass(frozen=True)
class NewRequest:
    item: Item
    lat: float | None
    lon: float | None
    address: str
    address_id: str
    description: str
    media_url: str
    contact: dict[str, str]
    attributes: dict[str, list[str]] = field(default_factory=dict)


def _one(values: dict[str, str], key: str, limit: int = MAX_FIELD) -> str:
    value = values.get(key, "").strip()
    if len(value) > limit:
        raise BadRequest(f"{key} is at most {limit} characters", code="invalid_field", field=key)
    return value


def _coordinate(raw: str, key: str, bound: float) -> float | None:
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise BadRequest(f"{key} must be a number", code="invalid_field", field=key) from None
    if not math.isfinite(value) or abs(value) > bound:
        raise BadRequest(f"{key} is out of range", code="invalid_field", field=key)
    return value


def _url(raw: str) -> str:
    if not raw:
        return ""
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(raw) > MAX_URL:
        raise BadRequest("media_url must be an http(s) URL", code="invalid_field",
                         field="media_url")
    return raw


def _check_attribute(attr: Attribute, given: list[str]) -> list[str]:
    name = f"attribute[{attr.code}]"
    values = [v.strip() for v in given if v.strip()]
    if not values:
        if attr.required:
            raise BadRequest(f"{name} is required for this service", code="missing_field",
                             field=name)
        return []
    if attr.datatype != "multivaluelist" and len(values) > 1:
        raise BadRequest(f"{name} takes one value", code="invalid_field", field=name)
    if attr.values:
        keys = {v.key for v in attr.values}
        wrong = [v for v in values if v not in keys]
        if wrong:
            raise BadRequest(f"{name} is one of {', '.join(sorted(keys))}",
                             code="invalid_field", field=name)
    if attr.datatype == "number":
        try:
            float(values[0])
        except ValueError:
            raise BadRequest(f"{name} must be a number", code="invalid_field",
                             field=name) from None
    if any(len(v) > MAX_FIELD for v in values):
        raise BadRequest(f"{name} is too long", code="invalid_field", field=name)
    return values


def parse_request(pairs: Iterable[tuple[str, str]], catalogue: Catalogue) -> NewRequest:
    """The request a form asks for; BadRequest (400) naming the field, or for an unknown
    service code a BadRequest with code ``unknown_service`` (404)."""
    values: dict[str, str] = {}
    attributes: dict[str, list[str]] = {}
    for key, value in pairs:
        match = ATTRIBUTE_KEY.match(key)
        if match:
            attributes.setdefault(match.group(1), []).append(value)
        else:
            values.setdefault(key, value)
    code = _one(values, "service_code", 16)
    if not code:
        raise BadRequest("service_code is required", code="missing_field", field="service_code")
    item = catalogue.get(code)
    if item is None or code not in catalogue.citizen_items:
        raise BadRequest(f"no service {code}", code="unknown_service", field="service_code")
    lat = _coordinate(_one(values, "lat", 32), "lat", 90.0)
    lon = _coordinate(_one(values, "long", 32), "long", 180.0)
    address, address_id = _one(values, "address_string"), _one(values, "address_id", 32)
    if (lat is None) != (lon is None):
        raise BadRequest("lat and long go together", code="missing_field",
                         field="long" if lon is None else "lat")
    if lat is None and not address and not address_id:
        raise BadRequest("a place is required: lat and long, address_string or address_id",
                         code="missing_field", field="lat")
    contact = {k: _one(values, k) for k in CONTACT_FIELDS if _one(values, k)}
    if "email" in contact and not EMAIL.match(contact["email"]):
        raise BadRequest("email is not an e-mail address", code="invalid_field", field="email")
    if "phone" in contact and not PHONE.match(contact["phone"]):
        raise BadRequest("phone is not a telephone number", code="invalid_field", field="phone")
    known = {a.code: a for a in catalogue.attributes_of(item.code)}
    unknown = sorted(set(attributes) - set(known))
    if unknown:
        raise BadRequest(f"service {code} has no attribute {unknown[0]}", code="invalid_field",
                         field=f"attribute[{unknown[0]}]")
    checked = {c: v for c, a in known.items() if (v := _check_attribute(a, attributes.get(c, [])))}
    return NewRequest(item, lat, lon, address, address_id,
                      _one(values, "description", MAX_DESCRIPTION),
                      _url(_one(values, "media_url", MAX_URL)), contact, checked)
