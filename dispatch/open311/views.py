"""What Open311 GeoReport v2 shows of the catalogue and of a citizen's case (pure).

A request's ``status`` is ``open`` until the case is finished; ``status_notes`` is the
latest step of its public timeline (received, sent to a department, accepted,
resolved with the handler's note, verified, reopened, suspended, cancelled): internal
notes (rejections, reassignments, supervision) are never shown. Times are W3C
date-times in the street's time zone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from dispatch.cases.model import Case
from dispatch.cases.states import CaseState
from dispatch.rules import CENTRE, Catalogue, Item
from dispatch.rules.catalogue import Attribute

MS = 1000
SPEC_URL = "http://wiki.open311.org/GeoReport_v2"
FORMATS = ("application/json", "text/xml")
SERVICE_TYPE = "realtime"
ZH, EN = "zh", "en"
CLOSED_STATES = frozenset({CaseState.CLOSED, CaseState.CANCELLED, CaseState.DUPLICATE})
CENTRE_NAMES = {ZH: "指挥调度中心", EN: "Command and dispatch centre"}
GRID_WORKER_NAMES = {ZH: "网格员现场处置", EN: "the grid worker, on the spot"}

#: The public text of each step of a case's timeline (others are internal).
NOTES: Mapping[str, Mapping[str, str]] = {
    "report": {ZH: "已收到，等待分派", EN: "Received, to be assigned"},
    "route_dispatched": {ZH: "已派往{agency}", EN: "Sent to {agency}"},
    "route_accepted": {ZH: "由网格员现场处置", EN: "Handled on the spot by the grid worker"},
    "route_triage": {ZH: "指挥中心正在分派", EN: "The command centre is assigning it"},
    "accept": {ZH: "{agency}已受理", EN: "Accepted by {agency}"},
    "resolve": {ZH: "已处理：{note}", EN: "Resolved: {note}"},
    "verify_ok": {ZH: "已现场核查，办结", EN: "Verified on site and closed"},
    "verify_fail": {ZH: "核查未通过，重新处理", EN: "Not solved on inspection: handled again"},
    "suspend": {ZH: "需长期处理，已挂账跟踪", EN: "Long-term work, followed up"},
    "resume": {ZH: "恢复办理", EN: "Being handled again"},
    "cancel": {ZH: "已撤销：{note}", EN: "Withdrawn: {note}"},
    "duplicate": {ZH: "与 {of} 为同一问题，合并办理", EN: "The same problem as {of}"},
}


def lang_of(raw: str | None) -> str:
    return EN if raw and raw.lower().startswith(EN) else ZH


def w3c(ms: int | None, zone: ZoneInfo) -> str | None:
    """A UTC millisecond time as a W3C date-time in the street's zone."""
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / MS, zone).isoformat(timespec="seconds")


def parse_w3c(raw: str) -> int | None:
    """A W3C date-time (a date alone is midnight UTC) as UTC ms, or None."""
    try:
        moment = datetime.fromisoformat(raw.strip().replace(" ", "+"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return round(moment.timestamp() * MS)


# --- services ------------------------------------------------------------------------------


def _name(item: Item, lang: str) -> str:
    return item.name_en if lang == EN else item.name_zh


def service(catalogue: Catalogue, item: Item, lang: str) -> dict[str, Any]:
    category = catalogue.category(item.category)
    return {
        "service_code": item.code,
        "service_name": _name(item, lang),
        "description": item.name_zh if lang == EN else item.name_en,
        "metadata": bool(catalogue.attributes_of(item.code)),
        "type": SERVICE_TYPE,
        "keywords": ", ".join((category.name_zh, category.name_en, item.name_en)),
        "group": category.name_en if lang == EN else category.name_zh,
    }


def services(catalogue: Catalogue, lang: str) -> list[dict[str, Any]]:
    return [service(catalogue, item, lang) for item in catalogue.citizen()]


def _attribute(attr: Attribute, order: int, lang: str) -> dict[str, Any]:
    name = attr.name_en if lang == EN else attr.name_zh
    body: dict[str, Any] = {
        "variable": True, "code": attr.code, "datatype": attr.datatype,
        "required": attr.required, "datatype_description": None, "order": order,
        "description": name,
    }
    if attr.values:
        body["values"] = [{"key": v.key, "name": v.name_en if lang == EN else v.name_zh}
                          for v in attr.values]
    return body


def definition(catalogue: Catalogue, item: Item, lang: str) -> dict[str, Any]:
    return {"service_code": item.code,
            "attributes": [_attribute(a, n, lang)
                           for n, a in enumerate(catalogue.attributes_of(item.code), 1)]}


# --- requests ------------------------------------------------------------------------------


def status_of(case: Case) -> str:
    return "closed" if case.state in CLOSED_STATES else "open"


def _entry_key(entry: Mapping[str, Any]) -> str | None:
    action = entry.get("action")
    if action == "route":
        return f"route_{entry.get('to')}" if f"route_{entry.get('to')}" in NOTES else None
    if action == "verify":
        return "verify_ok" if entry.get("ok") else "verify_fail"
    if action in ("report", "accept", "resolve", "suspend", "resume", "cancel"):
        return str(action)
    return None


def status_notes(case: Case, timeline: Sequence[Mapping[str, Any]], agency: str,
                 lang: str) -> str | None:
    """The latest public step of the case, in words."""
    if case.state is CaseState.DUPLICATE and case.duplicate_of:
        return NOTES["duplicate"][lang].format(of=case.duplicate_of)
    for entry in reversed(timeline):
        key = _entry_key(entry)
        if key is not None:
            note = str(entry.get("note") or "").strip() or "—"
            return NOTES[key][lang].format(agency=agency, note=note)
    return None


def agency(department: str | None, names: Mapping[str, Mapping[str, str]], lang: str) -> str:
    """The department's name (the centre's, or the grid worker's for on-the-spot work)."""
    if department is None:
        return GRID_WORKER_NAMES[lang]
    if department == CENTRE:
        return CENTRE_NAMES[lang]
    found = names.get(department)
    if found is None:
        return department
    return found.get(lang) or found[ZH]


def request_view(case: Case, timeline: Sequence[Mapping[str, Any]], extra: Mapping[str, str],
                 catalogue: Catalogue, departments: Mapping[str, Mapping[str, str]],
                 zone: ZoneInfo, lang: str, base_url: str) -> dict[str, Any]:
    """One service request as GeoReport v2 shows it (no contact details, ever)."""
    item = catalogue.get(case.item)
    who = agency(case.department, departments, lang)
    media = extra.get("media_url") or None
    if media is None and extra.get("media_id"):
        media = f"{base_url}/open311/v2/media/{extra['media_id']}"
    limit = f"{item.limit_hours}" if item else "?"
    notice = (f"限时 {limit} 小时办理" if lang == ZH else f"Handled within {limit} hours")
    return {
        "service_request_id": case.id,
        "status": status_of(case),
        "status_notes": status_notes(case, timeline, who, lang),
        "service_name": _name(item, lang) if item else case.item_name,
        "service_code": case.item,
        "description": extra.get("description", ""),
        "agency_responsible": who,
        "service_notice": notice,
        "requested_datetime": w3c(case.created, zone),
        "updated_datetime": w3c(case.updated, zone),
        "expected_datetime": w3c(case.deadline, zone),
        "address": extra.get("address") or None,
        "address_id": case.grid,
        "zipcode": None,
        "lat": case.lat,
        "long": case.lon,
        "media_url": media,
        # extensions: the citizen's own rating of the result (党群评议), when given
        "rating": _citizen_rating(timeline),
    }


def _citizen_rating(timeline: Sequence[Mapping[str, Any]]) -> int | None:
    found = [e for e in timeline if e.get("action") == "rate" and e.get("rater") == "citizen"]
    return int(found[-1]["score"]) if found else None
