"""The shapes of every WebSocket message, as JSON Schema (draft 2020-12).

One entry per message type and direction on each socket. The documentation
(docs/ws-messages.json) is generated from here, and a test holds real traffic to it.
Written as plain dictionaries so that typed models can replace them one by one.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]
DIALECT = "https://json-schema.org/draft/2020-12/schema"

NUMBER: Schema = {"type": "number"}
INTEGER: Schema = {"type": "integer"}
STRING: Schema = {"type": "string"}
TS: Schema = {"type": "integer", "description": "UTC milliseconds"}
SEQ: Schema = {"type": "integer", "minimum": 0}


def nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def message(kind: str, doc: str, required: dict[str, Schema] | None = None,
            optional: dict[str, Schema] | None = None, *, more: bool = True) -> Schema:
    """An object whose ``type`` is ``kind``; ``more``: other fields may come too (fields are
    added freely within a contract version)."""
    props = {"type": {"const": kind}, **(required or {}), **(optional or {})}
    return {"title": kind, "description": doc, "type": "object", "properties": props,
            "required": ["type", *(required or {})], "additionalProperties": more}


FIX: Schema = {
    "type": "object",
    "description": "One position fix.",
    "properties": {"seq": SEQ, "lat": {"type": "number", "minimum": -90, "maximum": 90},
                   "lon": {"type": "number", "minimum": -180, "maximum": 180}, "ts": TS,
                   "acc": NUMBER, "speed": NUMBER, "heading": NUMBER, "batt": NUMBER,
                   "worker": {"type": "string", "description": "only the socket's own"}},
    "required": ["lat", "lon", "ts"],
}
CASE: Schema = {
    "type": "object",
    "description": "A case's summary, as listings, messages and screens show it.",
    "properties": {
        "id": STRING, "item": STRING, "item_name": nullable(STRING),
        "category": nullable(STRING), "grid": STRING, "station": nullable(STRING),
        "state": {"enum": ["reported", "dispatched", "accepted", "resolved", "closed", "triage",
                           "reopened", "suspended", "duplicate", "cancelled"]},
        "department": nullable(STRING), "assignee": nullable(STRING),
        "tier": nullable(STRING), "reporter": STRING, "lat": NUMBER, "lon": NUMBER,
        "severity": nullable(STRING), "created": TS, "deadline": nullable(TS),
        "yellow_at": nullable(TS), "light": {"enum": ["green", "yellow", "red"]},
        "escalation_level": INTEGER, "rework_count": INTEGER,
        "duplicate_of": nullable(STRING),
        "parts": {"type": "array", "description": "The assisting departments' parts (协办).",
                  "items": {"type": "object", "properties": {
                      "department": STRING,
                      "state": {"enum": ["offered", "accepted", "resolved", "left_open"]},
                      "assignee": nullable(STRING), "deadline": nullable(TS),
                      "light": {"enum": ["green", "yellow", "red"]}},
                      "required": ["department", "state", "light"]}},
    },
    "required": ["id", "item", "grid", "state", "light"],
}
#: An assisting department's part a job message is about (absent: the case itself).
PART: Schema = {"type": "string", "description": "the assisting department whose part"}
PATROL: Schema = {"type": "object", "description": "A patrol record.",
                  "properties": {"id": STRING, "worker": STRING, "status": {
                      "enum": ["in_progress", "complete", "incomplete", "missed"]}},
                  "required": ["id", "worker", "status"]}
POSITION: Schema = {"type": "object", "properties": {
    "worker": STRING, "station": nullable(STRING), "lat": nullable(NUMBER),
    "lon": nullable(NUMBER), "ts": nullable(TS), "state": STRING, "grid": nullable(STRING),
    "patrol": STRING, "out_of_grid": {"type": "boolean"}}, "required": ["worker", "state"]}
ERROR = message("error", "A message the server could not take; the connection stays open.",
                {"code": STRING, "message": STRING},
                {"field": STRING, "ref": {"description": "the seq of the message it answers"}})
ALERT = message("alert", "An alert as it changes (docs/contract.md, \"Alerts\"), or a "
                "reminder without an id (a patrol window open or closing, weekly stuck "
                "cases).", {"kind": STRING},
                {"id": STRING, "state": {"enum": ["open", "acked", "cleared"]},
                 "severity": STRING, "scope": {"type": "object", "properties": {
                     "street": STRING, "station": nullable(STRING),
                     "department": nullable(STRING)}},
                 "subject": {"type": "object"}, "count": INTEGER, "first_ts": TS,
                 "last_ts": TS, "note": nullable(STRING)})
JOB = {"case": CASE}
#: A street's row of the district's figures (dispatch/reports/district.py).
STREET_ROWS: Schema = {"type": "array", "items": {"type": "object", "properties": {
    "street": STRING, "name": STRING, "open": INTEGER, "red": INTEGER,
    "escalated": INTEGER, "closure_rate": nullable(NUMBER), "on_time_rate": nullable(NUMBER),
    "patrol_rate": nullable(NUMBER)}, "required": ["street", "name", "open", "red"]}}
#: An alert of a case escalated to the district, with the street it is of.
ESCALATED: Schema = {**{k: v for k, v in ALERT.items() if k not in ("title", "description")},
                     "description": "An alert of kind case_escalated, with its street.",
                     "properties": {**ALERT["properties"], "type": STRING, "street": STRING},
                     "required": ["kind", "street"]}

#: socket -> direction ("in": client to server, "out": server to client) -> type -> schema
SOCKETS: dict[str, dict[str, dict[str, Schema]]] = {
    "/ws/phone": {
        "in": {
            "ping": message("ping", "One fix, acknowledged by seq.", {"seq": SEQ, **{
                k: v for k, v in FIX["properties"].items() if k in ("lat", "lon", "ts")}},
                {k: v for k, v in FIX["properties"].items()
                 if k in ("acc", "speed", "heading", "batt", "worker")}),
            "pings": message("pings", "A batch of buffered fixes (at most DISPATCH_MAX_BATCH).",
                             {"items": {"type": "array", "items": FIX}}),
            "patrol.start": message("patrol.start", "Start a patrol in the current window."),
            "patrol.end": message("patrol.end", "End the open patrol."),
            "sos": message("sos", "The worker needs help now: a critical alert of kind sos.",
                           optional={"lat": NUMBER, "lon": NUMBER, "acc": NUMBER,
                                     "batt": NUMBER, "ts": TS, "note": STRING}),
        },
        "out": {
            "ack": message("ack", "The highest seq stored on this socket.", {"seq": SEQ}),
            "patrol.started": message("patrol.started", "The patrol started (or the open one).",
                                      {"patrol": PATROL}),
            "patrol.ended": message("patrol.ended", "The patrol ended and measured.",
                                    {"patrol": PATROL}),
            "sos.raised": message("sos.raised", "The SOS is on the screens.",
                                  {"alert": STRING}, {"outcome": STRING}),
            "alert": ALERT,
            "task": message("task", "Something for the phone's user to do: handle a simple "
                            "case, verify a result.", {"kind": {"enum": ["handle", "verify"]}},
                            JOB),
            "error": ERROR,
        },
    },
    "/ws/team": {
        "in": {kind: message(kind, doc, {"case": STRING}, {"seq": SEQ, "note": STRING,
                                                           "reason": STRING, "media": {
                                                               "type": "array",
                                                               "items": STRING}})
               for kind, doc in (("accept", "Accept a job offered to the team."),
                                 ("progress", "Report progress on a job held."),
                                 ("reject", "Return a job as not the team's."))},
        "out": {
            "job.offered": message("job.offered", "A job offered to the team (or back to its "
                                   "holder); ``pending`` when sent on (re)connect; ``part``: "
                                   "the assisting department's part is offered.", JOB,
                                   {"pending": {"type": "boolean"}, "part": PART}),
            "job.taken": message("job.taken", "Someone else won the job.",
                                 {"case": STRING, "by": STRING}, {"part": PART}),
            "job.warning": message("job.warning", "The job's light turned yellow.", JOB,
                                   {"kind": STRING, "late_ms": INTEGER}),
            "job.overdue": message("job.overdue", "The job is overdue, or escalated a level.",
                                   JOB, {"kind": STRING, "level": INTEGER, "notify": STRING,
                                         "late_ms": INTEGER}),
            "job.updated": message("job.updated", "The job changed.", JOB,
                                   {"part": PART, "removed": {"type": "boolean"}}),
            "task": message("task", "Something to do: rework a part sent back.",
                            {"kind": {"enum": ["handle", "verify", "rework"]}},
                            {**JOB, "part": PART}),
            "ack": message("ack", "The action was done.", {"case": STRING, "action": STRING,
                                                            "state": STRING},
                           {"ref": {"description": "the seq of the message it answers"}}),
            "alert": ALERT,
            "error": ERROR,
        },
    },
    "/ws/screen": {
        "in": {"ping": message("ping", "Keep-alive; answered by pong.", optional={"seq": SEQ})},
        "out": {
            "snapshot": message("snapshot", "Everything the screen shows, at ``seq``.", {
                "seq": SEQ, "cases": {"type": "array", "items": CASE},
                "workers": {"type": "array", "items": {"type": "object"}},
                "alerts": {"type": "array", "items": ALERT},
                "figures": {"type": "object"},
                "filter": {"type": "object", "properties": {
                    "station": nullable(STRING), "department": nullable(STRING)}}}),
            "positions": message("positions", "Workers' newest positions (batched).",
                                 {"seq": SEQ, "items": {"type": "array", "items": POSITION}}),
            "case": message("case", "A case changed.", {"seq": SEQ, "case": CASE}),
            "alert": {**ALERT, "description": "An alert opened or closed (with its seq)."},
            "figures": message("figures", "The day's figures, whole: the screen's own (its"
                               " station's or department's when it follows one); a whole"
                               " street's screen also gets each station's and department's.",
                               {"seq": SEQ, "figures": {"type": "object"}},
                               {"stations": {"type": "object"},
                                "departments": {"type": "object"}}),
            "patrol": message("patrol", "A patrol started or ended.",
                              {"seq": SEQ, "patrol": PATROL}),
            "resync": message("resync", "The screen fell behind; a snapshot follows.",
                              {"reason": STRING}),
            "pong": message("pong", "The answer to ping.", optional={"seq": nullable(SEQ)}),
            "error": ERROR,
        },
    },
    "/ws/district": {
        "in": {"ping": message("ping", "Keep-alive; answered by pong.", optional={"seq": SEQ})},
        "out": {
            "snapshot": message("snapshot", "Every street's figures, the district's totals "
                                "and the cases escalated to the district, as GET "
                                "/api/v1/district gives them.", {
                                    "district": nullable(STRING), "date": STRING, "at": TS,
                                    "streets": STREET_ROWS, "totals": {"type": "object"},
                                    "escalations": {"type": "array", "items": ESCALATED}}),
            "escalation": message("escalation", "A case of a street escalated to the "
                                  "district (the third tier, notify district): its alert as "
                                  "it opens, changes or clears.",
                                  {"street": STRING, "alert": ESCALATED}),
            "figures": message("figures", "Every street's figures and the totals again, "
                               "every DISPATCH_DISTRICT_FIGURES_EVERY seconds.",
                               {"district": nullable(STRING), "date": STRING, "at": TS,
                                "streets": STREET_ROWS, "totals": {"type": "object"}}),
            "resync": message("resync", "The district screen fell behind; a snapshot follows.",
                              {"reason": STRING}),
            "pong": message("pong", "The answer to ping.", optional={"seq": nullable(SEQ)}),
            "error": ERROR,
        },
    },
}


def document() -> dict[str, Any]:
    """Every message of every socket, as one JSON document."""
    return {"$schema": DIALECT, "title": "dispatch WebSocket messages",
            "description": "Every message is a JSON object with a string `type`. `in`: "
                           "sent by the client; `out`: sent by the server.",
            "sockets": SOCKETS}


def schema_of(socket: str, direction: str, message_type: str) -> Schema | None:
    return SOCKETS.get(socket, {}).get(direction, {}).get(message_type)
