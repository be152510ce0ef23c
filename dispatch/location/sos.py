"""SOS from a phone: Traccar Client's ``alarm=sos``, an OwnTracks alarm, or the field
app's SOS button (``{"type":"sos"}`` on ``WS /ws/phone``).

An SOS is the most urgent thing on the screen: a critical alert of kind ``sos`` about
the worker, owned by the command centre and shown to the worker's station too, with
where the worker is and how much battery the phone has left. Repeated presses join the
same open alert (its count grows); it stays until someone acknowledges it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dispatch.alerts import AlertKind, Scope, Subject
from dispatch.bootstrap import Container
from dispatch.location.apps import AppReport
from dispatch.location.directory import WorkerRef
from dispatch.location.service import now_ms


def _known(value: str | None) -> float | None:
    return float(value) if value else None


async def raise_sos(c: Container, worker: WorkerRef, *, source: str,
                    lat: float | None = None, lon: float | None = None,
                    acc: float | None = None, batt: float | None = None,
                    ts: int | None = None, note: str = "") -> dict[str, Any]:
    """Raise (or repeat) the worker's SOS; the position and battery default to the last
    known ones. Returns the alert's ``id`` and whether it is new (``raised``) or a repeat
    of one still open (``joined``)."""
    at = now_ms()
    if lat is None or lon is None or batt is None:
        [row] = await c.location.store.live_many([worker.username])
        if lat is None or lon is None:
            lat, lon, acc = _known(row.get("lat")), _known(row.get("lon")), _known(row.get("acc"))
            ts = int(row["ts"]) if row.get("ts") else ts
        if batt is None:
            batt = _known(row.get("batt"))
    data: dict[str, Any] = {"grid": worker.grid, "lat": lat, "lon": lon, "acc": acc,
                            "batt": batt, "fix_ts": ts, "source": source}
    if note:
        data["note"] = note[:200]
    raised = await c.alerts.raise_alert(AlertKind.SOS, subject=Subject(worker=worker.username),
                                        scope=Scope(station=worker.station), data=data,
                                        now_ms=at)
    return {"id": raised.id, "outcome": raised.outcome}


async def alarms(c: Container, worker: WorkerRef, reports: Sequence[AppReport],
                 source: str) -> None:
    """Raise an SOS for the newest report of a message that carries the SOS alarm."""
    sos = [r for r in reports if r.sos]
    if not sos:
        return
    report = max(sos, key=lambda r: r.ts)
    fix = report.fix
    await raise_sos(c, worker, source=source, lat=fix.lat if fix else None,
                    lon=fix.lon if fix else None, acc=fix.acc if fix else None,
                    batt=report.batt, ts=report.ts if fix else None)


def _number(message: Mapping[str, Any], key: str) -> float | None:
    value = message.get(key)
    if type(value) is int or type(value) is float:
        return float(value)
    return None


async def sos_message(c: Container, worker: WorkerRef, message: Mapping[str, Any]) -> dict[
        str, Any]:
    """The field app's SOS button: ``{"type":"sos", "lat"?, "lon"?, "acc"?, "batt"?,
    "ts"?, "note"?}``; answers ``{"type":"sos.raised","alert","outcome"}``."""
    lat, lon = _number(message, "lat"), _number(message, "lon")
    if lat is not None and lon is not None and not (abs(lat) <= 90 and abs(lon) <= 180):
        lat = lon = None
    batt = _number(message, "batt")
    if batt is not None and not 0 <= batt <= 100:
        batt = None
    ts = message.get("ts") if type(message.get("ts")) is int else None
    note = message.get("note") if isinstance(message.get("note"), str) else ""
    raised = await raise_sos(c, worker, source="app", lat=lat, lon=lon,
                             acc=_number(message, "acc"), batt=batt, ts=ts, note=str(note))
    reply: dict[str, Any] = {"type": "sos.raised", "alert": raised["id"],
                             "outcome": raised["outcome"]}
    if type(message.get("seq")) is int:
        reply["ref"] = message["seq"]
    return reply
