"""Cases: the report, the listing, the case with its timeline, the actions' bodies."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import Meta, Struct, field

from dispatch.http.models.common import Lat, Lon, Ms

ClientId = Annotated[str, Meta(min_length=1, max_length=64)]
Note = Annotated[str, Meta(max_length=10_000)]
Reason = Annotated[str, Meta(min_length=1, max_length=10_000)]
MediaIds = Annotated[list[Annotated[str, Meta(min_length=1, max_length=64)]],
                     Meta(max_length=20)]
Light = Literal["green", "yellow", "red"]


class ReportBody(Struct, kw_only=True):
    """A report from the field; ``client_id`` makes it idempotent for its reporter."""

    client_id: ClientId
    item: Annotated[str, Meta(min_length=1, max_length=32)]
    lat: Lat
    lon: Lon
    description: Note = ""
    severity: Literal["low", "normal", "high", "critical"] | None = None
    media: MediaIds = []
    reporter: Annotated[str, Meta(min_length=1, max_length=64)] | None = None


class CasePart(Struct, kw_only=True, forbid_unknown_fields=False):
    """An assisting department's part: its own offer, holder, limit and light."""

    department: str
    state: Literal["offered", "accepted", "resolved", "left_open"]
    assignee: str | None
    deadline: Ms | None
    light: Light


class CaseSummary(Struct, kw_only=True, forbid_unknown_fields=False):
    id: str
    item: str
    item_name: str | None
    category: str | None
    grid: str | None
    station: str | None
    state: str
    department: str | None
    assignee: str | None
    tier: str | None
    reporter: str | None
    lat: float
    lon: float
    severity: str | None
    created: Ms
    deadline: Ms | None
    yellow_at: Ms | None
    light: Light | None
    escalation_level: int
    rework_count: int
    duplicate_of: str | None
    #: One per assisting department (协办); empty for a case its lead handles alone.
    parts: list[CasePart] = []


class TimelineEntry(Struct, kw_only=True, forbid_unknown_fields=False):
    ts: Ms
    by: str
    action: str
    to: str | None = None
    note: str | None = None


class Case(CaseSummary, kw_only=True):
    """The whole case (GET /api/v1/cases/{id} and the answer of every action)."""

    description: str = ""
    media: list[str] = []
    escalation: list[Any] = []
    rule: str | None = None
    rule_version: str | None = None
    extension: dict[str, Any] | None = None
    rating: dict[str, Any] | None = None
    suspended_at: Ms | None = None
    updated: Ms | None = None
    #: The latest whistle (吹哨): its limit and each summoned department's check-in.
    whistle: dict[str, Any] | None = None
    timeline: list[TimelineEntry] = []
    #: GET only: the name of each user the case mentions, by user name.
    people: dict[str, str] = {}


class CasePage(Struct):
    items: list[CaseSummary]
    next_cursor: str | None


class CasesQuery(Struct, kw_only=True, forbid_unknown_fields=False):
    state: Annotated[str, Meta(description="a state, several comma-separated, or open")] \
        | None = None
    department: str | None = None
    grid: str | None = None
    light: Light | None = None
    assignee: str | None = None
    cursor: str | None = None
    limit: Annotated[int, Meta(ge=1)] | None = None
    q: Annotated[str, Meta(description="words searched in id, text, grid, item, "
                                       "department, state and light")] | None = None
    from_: Annotated[str, Meta(description="UTC ms or the street's YYYY-MM-DD")] | None = \
        field(default=None, name="from")
    to: Annotated[str, Meta(description="UTC ms or the street's YYYY-MM-DD")] | None = None


# --- the actions' bodies ---------------------------------------------------------------
class NoteBody(Struct, kw_only=True):
    note: Note = ""


class ReasonBody(Struct, kw_only=True):
    reason: Reason
    note: Note = ""


class ProgressBody(Struct, kw_only=True):
    note: Reason
    media: MediaIds = []


class VerifyBody(Struct, kw_only=True):
    ok: bool
    note: Note = ""
    media: MediaIds = []


class ReassignBody(Struct, kw_only=True):
    """Either ``department`` or ``member``."""

    department: Annotated[str, Meta(min_length=1, max_length=64)] | None = None
    member: Annotated[str, Meta(min_length=1, max_length=64)] | None = None
    note: Note = ""


class ExtendBody(Struct, kw_only=True):
    hours: Annotated[int, Meta(ge=1)]
    reason: Reason


class ApproveBody(Struct, kw_only=True):
    approve: bool = True
    note: Note = ""


class RateBody(Struct, kw_only=True):
    score: Annotated[int, Meta(ge=1, le=5)]
    note: Note = ""


class SuperviseBody(Struct, kw_only=True):
    """督办: the dispatcher's instruction."""

    note: Reason


class AssignBody(Struct, kw_only=True):
    member: Annotated[str, Meta(min_length=1, max_length=64)]
    note: Note = ""


class DuplicateBody(Struct, kw_only=True):
    of: Annotated[str, Meta(min_length=1, max_length=64)]
    note: Note = ""


class LeftOpen(Struct, kw_only=True):
    department: Annotated[str, Meta(min_length=1, max_length=64)]
    reason: Reason


class ResolveBody(Struct, kw_only=True):
    """The result; a lead resolving past an assisting part still open names it in
    ``left_open`` with a reason."""

    note: Reason
    media: MediaIds = []
    left_open: list[LeftOpen] = []


class AssistBody(Struct, kw_only=True):
    """协办: the assisting department, and its own limit (default: the case's)."""

    department: Annotated[str, Meta(min_length=1, max_length=64)]
    limit_hours: Annotated[int, Meta(ge=1)] | None = None
    note: Note = ""


class UnassistBody(Struct, kw_only=True):
    department: Annotated[str, Meta(min_length=1, max_length=64)]
    reason: Reason


class WhistleBody(Struct, kw_only=True):
    """吹哨: the departments summoned, and their time to be on site."""

    departments: Annotated[list[Annotated[str, Meta(min_length=1, max_length=64)]],
                           Meta(min_length=1, max_length=18)]
    respond_min: Annotated[int, Meta(ge=1)] | None = None
    note: Note = ""


class CheckinBody(Struct, kw_only=True):
    note: Note = ""


#: The body model of each step of an assisting part (by its path name).
PART_BODIES: dict[str, type] = {
    "accept": NoteBody, "progress": ProgressBody, "resolve": ProgressBody,
    "rework": ReasonBody,
}

#: The body model of each action (by its path name); a new action adds its line here.
ACTION_BODIES: dict[str, type] = {
    "accept": NoteBody, "reject": ReasonBody, "progress": ProgressBody,
    "resolve": ResolveBody, "verify": VerifyBody, "reassign": ReassignBody,
    "extend": ExtendBody, "approve_extension": ApproveBody, "suspend": ReasonBody,
    "resume": NoteBody, "rate": RateBody, "cancel": ReasonBody,
    "supervise": SuperviseBody, "assign": AssignBody, "duplicate": DuplicateBody,
    "return": ReasonBody, "reopen": ReasonBody, "assist": AssistBody,
    "unassist": UnassistBody, "whistle": WhistleBody,
}
