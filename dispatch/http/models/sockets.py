"""The WebSocket messages of /ws/phone, /ws/team and /ws/screen, as msgspec models.

Each message is an object whose ``type`` names it (a tagged union); the AsyncAPI document
(``/asyncapi.json``, :mod:`dispatch.http.asyncapi`) is generated from these. A new message
is a Struct here with ``tag=<its type>`` and a line in the socket's lists at the end.
"""

from __future__ import annotations

from typing import Annotated, Any

from msgspec import Meta, Struct

Seq = Annotated[int, Meta(ge=0)]


class Msg(Struct, tag_field="type", kw_only=True, forbid_unknown_fields=False):
    """Base of every socket message (its ``type`` is its tag)."""


# --- both ways, every socket ---------------------------------------------------------------
class Auth(Msg, tag="auth"):
    """The first message of a socket opened without ``?token=`` (within 5 s)."""

    token: str


class AuthOk(Msg, tag="auth.ok"):
    user: str
    role: str


class SocketError(Msg, tag="error"):
    """A bad message: the connection stays open (abuse closes it with 1008 or 1009)."""

    code: str
    message: str
    field: str | None = None
    ref: Any = None


# --- /ws/phone -----------------------------------------------------------------------------
class PingMsg(Msg, tag="ping"):
    seq: Seq
    ts: int
    lat: float
    lon: float
    acc: float | None = None
    speed: float | None = None
    heading: float | None = None
    batt: float | None = None


class PingItem(Struct, kw_only=True, forbid_unknown_fields=False):
    seq: Seq
    ts: int
    lat: float
    lon: float
    acc: float | None = None
    speed: float | None = None
    heading: float | None = None
    batt: float | None = None


class Pings(Msg, tag="pings"):
    items: list[PingItem]


class PatrolStart(Msg, tag="patrol.start"):
    pass


class PatrolEnd(Msg, tag="patrol.end"):
    pass


class Sos(Msg, tag="sos"):
    lat: float | None = None
    lon: float | None = None
    note: str | None = None


class Ack(Msg, tag="ack"):
    """The highest seq stored on this socket."""

    seq: Seq


class PatrolStarted(Msg, tag="patrol.started"):
    patrol: dict[str, Any]


class PatrolEnded(Msg, tag="patrol.ended"):
    patrol: dict[str, Any]


class AlertMsg(Msg, tag="alert"):
    kind: str
    seq: Seq | None = None


class Task(Msg, tag="task"):
    kind: str | None = None


# --- /ws/team ------------------------------------------------------------------------------
class TeamAction(Struct, kw_only=True, forbid_unknown_fields=False):
    case: Annotated[str, Meta(min_length=1, max_length=32)]
    seq: Seq | None = None


class AcceptMsg(Msg, TeamAction, tag="accept"):
    pass


class ProgressMsg(Msg, TeamAction, tag="progress"):
    note: str


class RejectMsg(Msg, TeamAction, tag="reject"):
    reason: str


class TeamAck(Struct, kw_only=True, forbid_unknown_fields=False):
    """(Sent as ``{"type":"ack",...}`` on the team socket.)"""

    type: str
    ref: Any
    case: str
    action: str
    state: str


class JobOffered(Msg, tag="job.offered"):
    case: dict[str, Any]
    pending: bool | None = None


class JobTaken(Msg, tag="job.taken"):
    case: dict[str, Any]
    by: str | None = None


class JobWarning(Msg, tag="job.warning"):
    case: dict[str, Any]


class JobOverdue(Msg, tag="job.overdue"):
    case: dict[str, Any]
    level: int | None = None


class JobUpdated(Msg, tag="job.updated"):
    case: dict[str, Any]


# --- /ws/screen ----------------------------------------------------------------------------
class ScreenPing(Msg, tag="ping"):
    seq: Any = None


class Pong(Msg, tag="pong"):
    seq: Any = None


class Snapshot(Msg, tag="snapshot"):
    """Everything the screen shows, as of ``seq``; deltas follow with growing seqs."""

    seq: Seq
    workers: list[dict[str, Any]] = []
    cases: list[dict[str, Any]] = []
    alerts: list[dict[str, Any]] = []
    figures: dict[str, Any] = {}
    filter: dict[str, Any] = {}


class Positions(Msg, tag="positions"):
    seq: Seq
    items: list[dict[str, Any]]


class CaseEvent(Msg, tag="case"):
    seq: Seq
    case: dict[str, Any]


class Figures(Msg, tag="figures"):
    """The day's figures, whole: the screen's own (its station's or department's when it
    follows one); a whole street's screen also gets each station's and department's."""

    seq: Seq
    figures: dict[str, Any]
    stations: dict[str, dict[str, Any]] | None = None
    departments: dict[str, dict[str, Any]] | None = None


class Resync(Msg, tag="resync"):
    reason: str


class DistrictSnapshot(Msg, tag="snapshot"):
    """Every street's figures, the district's totals and the cases escalated to the
    district, as ``GET /api/v1/district`` gives them."""

    district: str | None
    date: str
    at: int
    streets: list[dict[str, Any]]
    totals: dict[str, Any]
    escalations: list[dict[str, Any]] = []


class Escalation(Msg, tag="escalation"):
    """A case of a street escalated to the district (``notify = "district"``): its alert
    as it opens, changes or clears."""

    street: str
    alert: dict[str, Any]


class DistrictFigures(Msg, tag="figures"):
    """Every street's figures and the totals again, every
    ``DISPATCH_DISTRICT_FIGURES_EVERY`` seconds."""

    district: str | None
    date: str
    at: int
    streets: list[dict[str, Any]]
    totals: dict[str, Any]


class ScreenQuery(Struct, kw_only=True, forbid_unknown_fields=False):
    token: str | None = None
    since: Seq | None = None
    station: str | None = None
    department: str | None = None


class TokenQuery(Struct, kw_only=True, forbid_unknown_fields=False):
    token: str | None = None


#: path -> (query parameters, what the client sends, what the server sends)
SOCKETS: dict[str, tuple[type, list[type], list[type]]] = {
    "/ws/phone": (TokenQuery, [Auth, PingMsg, Pings, PatrolStart, PatrolEnd, Sos],
                  [AuthOk, Ack, SocketError, PatrolStarted, PatrolEnded, AlertMsg, Task]),
    "/ws/team": (TokenQuery, [Auth, AcceptMsg, ProgressMsg, RejectMsg],
                 [AuthOk, TeamAck, SocketError, JobOffered, JobTaken, JobWarning, JobOverdue,
                  JobUpdated, AlertMsg]),
    "/ws/screen": (ScreenQuery, [Auth, ScreenPing],
                   [AuthOk, Snapshot, Positions, CaseEvent, AlertMsg, Figures, Resync, Pong,
                    SocketError]),
    "/ws/district": (TokenQuery, [Auth, ScreenPing],
                     [AuthOk, DistrictSnapshot, Escalation, DistrictFigures, Resync, Pong,
                      SocketError]),
}
