"""The alert service: what the areas raise and clear, what people list, acknowledge, resolve.

Any area raises an alert with :meth:`AlertService.raise_alert` (a kind, its subject, the
scope, extras) and clears it when its cause ends with :meth:`AlertService.clear`; the
store groups bursts, keeps the record and tells the screens, the station and the
worker's phone. Dispatchers (and a department's lead, for its own alerts) acknowledge
or resolve through the API.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson

from dispatch.access import ScreenFilter, alert_view, may_act_on_alert, may_see_alert
from dispatch.alerts.model import (
    ACTION_SOURCES,
    POLICIES,
    AlertAction,
    AlertKind,
    AlertState,
    Grouping,
    Owner,
    Scope,
    Severity,
    Subject,
    check_subject,
    group_key,
)
from dispatch.alerts.query import ACTIVE_STATES, AlertQuery, encode_cursor
from dispatch.alerts.store import (
    AlertCall,
    AlertStore,
    ClearCall,
    Condition,
    RaiseCall,
    Raised,
    StoreConfig,
)
from dispatch.clock import MS_PER_S, Now, at_or_now, now_ms
from dispatch.errors import Conflict, Forbidden, NotFound
from dispatch.identity.principal import Principal
from dispatch.keys import Keys
from dispatch.settings import Settings

#: Most active alerts a snapshot or a listing reads (a street has a few hundred at worst).
ACTIVE_MAX = 2000
#: Most alerts one listing page reads while filtering.
SCAN_MAX = 5000
SCAN_BATCH = 200
#: The extras an alert carries (a position, a battery level, a window) stay small.
MAX_DATA_BYTES = 4096
CAUSE_ENDED = "cause_ended"


def store_config(settings: Settings) -> StoreConfig:
    return StoreConfig(maxlen=settings.events_keep, log_max=settings.alert_log_max,
                       keep=settings.alerts_keep, burst_ms=settings.alert_burst_s * MS_PER_S,
                       group_max=settings.alert_group_max)


class AlertService:
    def __init__(self, settings: Settings, *, keys: Keys, store: AlertStore,
                 clock: Now = now_ms) -> None:
        self.settings = settings
        self.keys = keys
        self.street = settings.street
        self.store = store
        self.clock = clock

    # --- raising and clearing (the areas) --------------------------------------
    async def raise_alert(self, kind: AlertKind | str, *, subject: Subject,
                          scope: Scope | None = None, data: Mapping[str, Any] | None = None,
                          now_ms: int | None = None, severity: Severity | None = None,
                          owner: Owner | None = None, bucket: str = "",
                          when: Condition | None = None, member: str | None = None) -> Raised:
        """Raise (or join, or repeat) an alert of ``kind`` about ``subject``.

        ``scope`` names the station and department (the street is filled in); ``data``
        carries extras shown with it (a position, a battery level, a window, a level);
        ``bucket`` keeps raises of different occasions apart (e.g. ``2026-05-02|pm``);
        ``when`` raises only while a hash field holds a value. Severity and owner
        default to the kind's. ``member`` names the cause within the subject when a
        subject has several (an assisting part of a case); the subject's id otherwise.
        """
        return await self.store.run_raise(self.raise_call(
            kind, subject=subject, scope=scope, data=data, now_ms=now_ms, severity=severity,
            owner=owner, bucket=bucket, when=when, member=member))

    def raise_call(self, kind: AlertKind | str, *, subject: Subject,
                   scope: Scope | None = None, data: Mapping[str, Any] | None = None,
                   now_ms: int | None = None, severity: Severity | None = None,
                   owner: Owner | None = None, bucket: str = "",
                   when: Condition | None = None, member: str | None = None) -> RaiseCall:
        """The script call of :meth:`raise_alert`, to run with others (:meth:`run_many`)."""
        kind = AlertKind(kind)
        check_subject(kind, subject)
        policy = POLICIES[kind]
        where = scope or Scope()
        where = Scope(where.street or self.street, where.station, where.department)
        chosen_owner = owner or policy.owner
        extras = orjson.dumps(dict(data or {}))
        if len(extras) > MAX_DATA_BYTES:
            raise ValueError(f"an alert's data is at most {MAX_DATA_BYTES} bytes")
        body = {
            "kind": kind.value, "severity": (severity or policy.severity).label,
            "owner": chosen_owner.value, "scope": where.public(),
            "subject": {subject.type: subject.id}, "member": member or subject.id,
            "group": group_key(kind, chosen_owner, where, subject, bucket), "bucket": bucket,
            "data": orjson.loads(extras), "now": at_or_now(now_ms, self.clock),
            "by_subject": policy.grouping is Grouping.SUBJECT,
        }
        return self.store.raise_call(body, when)

    async def clear(self, kinds: AlertKind | str | Iterable[AlertKind | str], subject: Subject, *,
                    now_ms: int | None = None, reason: str = CAUSE_ENDED,
                    unless: Condition | None = None, member: str | None = None) -> list[str]:
        """The cause of ``kinds`` about ``subject`` (or its ``member``, as raised) ended: it
        leaves its alert, which clears when no member's cause is left. Returns the alerts
        it left."""
        return await self.store.run_clear(self.clear_call(
            kinds, subject, now_ms=now_ms, reason=reason, unless=unless, member=member))

    def clear_call(self, kinds: AlertKind | str | Iterable[AlertKind | str], subject: Subject,
                   *, now_ms: int | None = None, reason: str = CAUSE_ENDED,
                   unless: Condition | None = None, member: str | None = None) -> ClearCall:
        """The script call of :meth:`clear`, to run with others (:meth:`run_many`)."""
        found = [kinds] if isinstance(kinds, str) else list(kinds)
        names = [AlertKind(k).value for k in found]
        at = at_or_now(now_ms, self.clock)
        return self.store.clear_call(names, member or subject.id, at, reason, unless)

    async def run_many(self, calls: Sequence[AlertCall]) -> list[Raised | list[str]]:
        """Many raises and clears in order, pipelined: a few round trips, not one each."""
        return await self.store.run_many(calls)

    # --- people -------------------------------------------------------------
    async def act(self, actor: Principal, alert_id: str, action: AlertAction, note: str = "",
                  now_ms: int | None = None) -> dict[str, Any]:
        """Acknowledge or resolve an alert, with a note, on record."""
        alert = await self._alert(actor, alert_id)
        if not may_act_on_alert(actor, alert):
            raise Forbidden(f"{actor.username} may not {action.value} this alert",
                            code="scope_forbidden")
        sources = sorted(s.value for s in ACTION_SOURCES[action])
        at = at_or_now(now_ms, self.clock)
        done = await self.store.act(alert_id, action.value, sources, actor.username, note, at)
        if done.outcome == "missing":
            raise NotFound(f"no alert {alert_id}", code="unknown_alert")
        if done.outcome == "state":
            if action is AlertAction.ACK and done.state == AlertState.ACKED.value:
                raise Conflict(f"alert {alert_id} was already acknowledged",
                               code="already_acked")
            raise Conflict(f"cannot {action.value} an alert that is {done.state}",
                           code="invalid_state")
        assert done.alert is not None
        return done.alert

    async def _alert(self, actor: Principal, alert_id: str) -> dict[str, Any]:
        alert = await self.store.get(alert_id)
        if alert is None or not may_see_alert(actor, alert):
            if alert is not None:
                raise Forbidden(f"alert {alert_id} is not in your scope", code="scope_forbidden")
            raise NotFound(f"no alert {alert_id}", code="unknown_alert")
        return alert

    async def get(self, actor: Principal, alert_id: str) -> dict[str, Any]:
        """One alert with its log (raises, clears, acknowledgements)."""
        alert = await self._alert(actor, alert_id)
        return {**alert, "log": await self.store.log(alert_id)}

    async def active(self, screen: ScreenFilter | None = None) -> list[dict[str, Any]]:
        """Open and acknowledged alerts, newest first (the screen snapshot's section)."""
        ids = await self.store.redis.zrevrange(self.keys.alerts_active(), 0, ACTIVE_MAX - 1)
        found = await self.store.many([str(i) for i in ids])
        return [a for a in found if screen is None or screen.admits(a)]

    async def listing(self, actor: Principal, query: AlertQuery) -> dict[str, Any]:
        """A page of alerts in the caller's view, newest activity first."""
        view = alert_view(actor)
        sources = []
        if query.states & ACTIVE_STATES:
            sources.append(self.keys.alerts_active())
        if AlertState.CLEARED in query.states:
            sources.append(self.keys.alerts_cleared())
        rows: list[tuple[float, str, dict[str, Any]]] = []
        for key in sources:
            rows += await self._scan(key, query, view, query.limit + 1)
        rows.sort(key=lambda r: (r[0], r[1]), reverse=True)
        page = rows[:query.limit]
        more = len(rows) > query.limit
        cursor = encode_cursor(page[-1][0], page[-1][1]) if more and page else None
        return {"items": [r[2] for r in page], "next_cursor": cursor}

    async def _scan(self, key: str, query: AlertQuery, view: ScreenFilter,
                    want: int) -> list[tuple[float, str, dict[str, Any]]]:
        """Up to ``want`` alerts of one index passing the query, after the cursor."""
        found: list[tuple[float, str, dict[str, Any]]] = []
        top = query.cursor[0] if query.cursor else None
        last_id = query.cursor[1] if query.cursor else None
        read = 0
        while len(found) < want and read < SCAN_MAX:
            batch = await self._batch(key, top, SCAN_BATCH)
            if not batch:
                break
            fresh = [(s, i) for s, i in batch
                     if last_id is None or top is None or s < top or i < last_id]
            alerts = {a["id"]: a for a in await self.store.many([i for _, i in fresh])}
            for score, alert_id in fresh:
                alert = alerts.get(alert_id)
                if alert is not None and query.admits(alert) and view.admits(alert):
                    found.append((score, alert_id, alert))
            read += len(batch)
            if len(batch) < SCAN_BATCH:
                break
            top, last_id = batch[-1]
        return found[:want]

    async def _batch(self, key: str, top: float | None, count: int) -> list[tuple[float, str]]:
        """(score, id) newest first, scores up to ``top`` (inclusive: ties are split by id)."""
        bound = repr(top) if top is not None else "+inf"
        rows = await self.store.redis.zrevrangebyscore(key, bound, "-inf", start=0, num=count,
                                                       withscores=True)
        return [(float(score), str(member)) for member, score in rows]
