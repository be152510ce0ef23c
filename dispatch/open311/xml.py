"""GeoReport v2's XML: the same values as the JSON, in the element names of the spec."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from xml.etree import ElementTree as ET

#: The element of each item of a list, by the list's element.
ITEM_OF: Mapping[str, str] = {
    "services": "service", "attributes": "attribute", "values": "value",
    "endpoints": "endpoint", "formats": "format", "service_requests": "request",
    "errors": "error",
}
DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>\n'


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, Mapping):
        for key, sub in value.items():
            _fill(ET.SubElement(element, key), sub)
    elif isinstance(value, list):
        tag = ITEM_OF.get(element.tag, "item")
        for sub in value:
            _fill(ET.SubElement(element, tag), sub)
    else:
        element.text = _text(value)


def render(root: str, value: Any) -> bytes:
    """``value`` (a list of objects, or an object) under the element ``root``."""
    element = ET.Element(root)
    _fill(element, value)
    body: bytes = ET.tostring(element, encoding="utf-8", xml_declaration=False)
    return DECLARATION + body
