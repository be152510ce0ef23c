"""What a caller asks for, read from a JSON body (HTTP) or a message (WebSocket).

Everything checkable without the store is checked here; each problem names its field.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import orjson

from dispatch.cases.actions import Action
from dispatch.cases.model import COORD_DECIMALS
from dispatch.errors import BadRequest
from dispatch.rules import SEVERITIES
from dispatch.validation import Fields

MAX_CLIENT_ID = 64
MAX_ITEM = 16
MAX_TEXT = 2000
MAX_MEDIA = 9
MAX_MEDIA_ID = 64
MAX_NAME = 64
MIN_SCORE, MAX_SCORE = 1, 5
MIN_LAT, MAX_LAT = -90.0, 90.0
MIN_LON, MAX_LON = -180.0, 180.0


@dataclass(frozen=True)
class ReportCommand:
    client_id: str
    item: str
    lat: float
    lon: float
    description: str
    severity: str | None
    media: tuple[str, ...]
    reporter: str | None  # a grid worker the desk reports for (a phone call)
    #: Where a report from outside came from (``open311``); "" for the field app.
    source: str = ""

    def fingerprint(self) -> str:
        """Identifies the body, so a retry is told apart from a reuse of its client_id."""
        body = [self.item, self.lat, self.lon, self.description, self.severity,
                list(self.media)]
        return hashlib.sha1(orjson.dumps(body)).hexdigest()[:16]


@dataclass(frozen=True)
class Command:
    action: Action
    note: str = ""
    media: tuple[str, ...] = ()
    ok: bool = True
    department: str | None = None
    member: str | None = None
    hours: int = 0
    score: int = 0
    of: str | None = None  # the case a duplicate repeats
    #: A lead's resolve: (department, reason) of each assisting part left open.
    left_open: tuple[tuple[str, str], ...] = ()
    #: An assisting department's own limit (hours; None: the case's limit).
    limit_hours: int | None = None
    #: A step of an assisting part (``dispatch.cases.parts.PartAction`` value).
    part_action: str | None = None
    #: A whistle's summoned departments and their time to be on site (minutes).
    departments: tuple[str, ...] = ()
    minutes: int = 0


def _media(body: Fields) -> tuple[str, ...]:
    ids = body.items("media", [], max_items=MAX_MEDIA)
    for n, value in enumerate(ids):
        if not isinstance(value, str) or not 0 < len(value) <= MAX_MEDIA_ID:
            raise BadRequest("a media id is a short string", code="invalid_field",
                             field=body.name(f"media.{n}"))
    return tuple(dict.fromkeys(ids))


def parse_report(body: Fields) -> ReportCommand:
    severity = body.choice("severity", frozenset(SEVERITIES), None)
    return ReportCommand(
        client_id=body.text("client_id", min_len=1, max_len=MAX_CLIENT_ID),
        item=body.text("item", min_len=1, max_len=MAX_ITEM),
        lat=round(body.number("lat", lo=MIN_LAT, hi=MAX_LAT), COORD_DECIMALS),
        lon=round(body.number("lon", lo=MIN_LON, hi=MAX_LON), COORD_DECIMALS),
        description=body.text("description", "", max_len=MAX_TEXT),
        severity=severity,
        media=_media(body),
        reporter=body.text("reporter", None, min_len=1, max_len=MAX_NAME),
    )


def _required_text(body: Fields, key: str) -> str:
    return str(body.text(key, min_len=1, max_len=MAX_TEXT))


def _reassign(body: Fields) -> Command:
    department = body.text("department", None, min_len=1, max_len=MAX_NAME)
    member = body.text("member", None, min_len=1, max_len=MAX_NAME)
    if (department is None) == (member is None):
        raise BadRequest("give either a department or a member", code="missing_field",
                         field=body.name("department"))
    return Command(Action.REASSIGN, note=body.text("note", "", max_len=MAX_TEXT),
                   department=department, member=member)


def _left_open(body: Fields, max_parts: int) -> tuple[tuple[str, str], ...]:
    rows = body.items("left_open", [], max_items=max_parts)
    found: dict[str, str] = {}
    for n, row in enumerate(rows):
        entry = Fields.of(row, body.name(f"left_open.{n}"))
        department = entry.text("department", min_len=1, max_len=MAX_NAME)
        found[department] = entry.text("reason", min_len=1, max_len=MAX_TEXT)
    return tuple(found.items())


def parse_part_command(action: str, body: Fields) -> Command:
    """A step of an assisting department's part: accept {note}, progress and resolve
    {note, media}, rework {reason}."""
    if action in ("progress", "resolve"):
        return Command(Action.PART, note=_required_text(body, "note"), media=_media(body),
                       part_action=action)
    if action == "rework":
        return Command(Action.PART, note=_required_text(body, "reason"), part_action=action)
    return Command(Action.PART, note=body.text("note", "", max_len=MAX_TEXT),
                   part_action=action)


def parse_whistle(body: Fields, *, default_min: int, max_min: int,
                  max_departments: int) -> Command:
    """吹哨: ``departments`` (one or more) and ``respond_min``."""
    names = body.items("departments", max_items=max_departments)
    if not names:
        raise BadRequest("name at least one department", code="missing_field",
                         field=body.name("departments"))
    for n, name in enumerate(names):
        if not isinstance(name, str) or not 0 < len(name) <= MAX_NAME:
            raise BadRequest("a department id is a short string", code="invalid_field",
                             field=body.name(f"departments.{n}"))
    return Command(Action.WHISTLE, note=body.text("note", "", max_len=MAX_TEXT),
                   departments=tuple(dict.fromkeys(names)),
                   minutes=body.integer("respond_min", default_min, lo=1, hi=max_min))


def parse_command(action: Action, body: Fields, *, max_extension_hours: int,
                  max_parts: int = 0, max_part_hours: int = 0) -> Command:
    """The command of ``action`` from its body (an empty object for accept and resume)."""
    note = body.text("note", "", max_len=MAX_TEXT)
    if action in (Action.REJECT, Action.SUSPEND, Action.CANCEL, Action.EXTEND, Action.RETURN,
                  Action.REOPEN, Action.UNASSIST):
        note = _required_text(body, "reason")
    match action:
        case Action.PROGRESS:
            return Command(action, note=_required_text(body, "note"), media=_media(body))
        case Action.RESOLVE:
            return Command(action, note=_required_text(body, "note"), media=_media(body),
                           left_open=_left_open(body, max_parts))
        case Action.ASSIST:
            return Command(action, note=note,
                           department=body.text("department", min_len=1, max_len=MAX_NAME),
                           limit_hours=body.integer("limit_hours", None, lo=1,
                                                    hi=max_part_hours or None))
        case Action.UNASSIST:
            return Command(action, note=note,
                           department=body.text("department", min_len=1, max_len=MAX_NAME))
        case Action.VERIFY:
            return Command(action, note=note, ok=body.flag("ok"), media=_media(body))
        case Action.REASSIGN:
            return _reassign(body)
        case Action.EXTEND:
            hours = body.integer("hours", lo=1, hi=max_extension_hours)
            return Command(action, note=note, hours=hours)
        case Action.APPROVE_EXTENSION:
            return Command(action, note=note, ok=body.flag("approve", True))
        case Action.RATE:
            return Command(action, note=note, score=body.integer("score", lo=MIN_SCORE,
                                                                 hi=MAX_SCORE))
        case Action.SUPERVISE:
            return Command(action, note=_required_text(body, "note"))
        case Action.ASSIGN:
            return Command(action, note=note,
                           member=body.text("member", min_len=1, max_len=MAX_NAME))
        case Action.DUPLICATE:
            return Command(action, note=note, of=body.text("of", min_len=1, max_len=MAX_NAME))
        case _:
            return Command(action, note=note)
