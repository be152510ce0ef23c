"""Patrols: started and ended by the worker at any time, closed by the clock.

A patrol started inside one of the day's windows counts toward it (``kind: window``) and
ends at the window's end at the latest; one started outside them is an extra patrol
(``kind: extra``, a night patrol for instance) that counts toward no window and ends after
``patrol_extra_max_h`` at the latest.

A patrol's figures (distance, duration, coverage, time outside the grid) come from
the worker's stored track between its start and end, cleaned by the pure filter and
measured by :func:`patrol_metrics`; they are computed when the patrol ends and, for
one in progress, when it is asked for. When a window closes, its open patrols end
at the window's end and every worker who owed it (who existed, with the street, when it
opened) and has no patrol in it gets a ``missed`` one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import shapely  # type: ignore[import-untyped,unused-ignore]

from dispatch.alerts import AlertKind
from dispatch.errors import Conflict, Forbidden, NotFound
from dispatch.identity.principal import Principal
from dispatch.identity.roles import Role
from dispatch.keys import Keys
from dispatch.location.directory import WorkerRef
from dispatch.location.patrol_store import PatrolKind, PatrolRecord, PatrolState, PatrolStore
from dispatch.location.service import PATROL_KINDS, LocationService
from dispatch.org.store import OrgStore
from dispatch.patrol.filters import clean_track
from dispatch.patrol.metrics import PatrolMetrics, PatrolStatus, patrol_metrics, patrol_status
from dispatch.patrol.windows import PatrolWindow, parse_windows, window_for, windows_of_day
from dispatch.realtime.events import Events
from dispatch.scripts import Scripts
from dispatch.settings import Settings

MS_PER_S = 1000
MS_PER_H = 3600 * MS_PER_S
S_PER_MIN = 60
S_PER_DAY = 24 * 3600
#: Windows that ended longer ago than this are not closed any more (a clock down for days).
CLOSE_LOOKBACK_MS = 24 * 3600 * MS_PER_S
#: A closed-window marker outlives the lookback.
CLOSED_MARKER_TTL_S = 3 * S_PER_DAY
PATROL_EVENT = "patrol"
ROLES_SEEING_ALL = frozenset({Role.DISPATCHER, Role.ASSESSOR, Role.ADMIN, Role.SCREEN,
                              Role.DEPT_LEAD})


def can_see(principal: Principal, worker: str) -> bool:
    """A worker sees their own patrols; the centre, screens and leads see everyone's."""
    return principal.role in ROLES_SEEING_ALL or principal.username == worker


def _status(metrics: PatrolMetrics, min_duration_s: float, min_coverage: float) -> PatrolState:
    verdict = patrol_status(metrics, min_duration_s=min_duration_s, min_coverage=min_coverage)
    return PatrolState.COMPLETE if verdict is PatrolStatus.COMPLETE else PatrolState.INCOMPLETE


class PatrolService:
    def __init__(self, settings: Settings, *, keys: Keys, scripts: Scripts, org: OrgStore,
                 location: LocationService, events: Events, clock: Callable[[], int]) -> None:
        self.settings = settings
        self.clock = clock
        self.org = org
        self.location = location
        self.events = events
        self.store = PatrolStore(scripts.client, keys, scripts)
        self.windows: tuple[PatrolWindow, ...] = parse_windows(settings.patrol_windows)
        self.min_duration_s = settings.patrol_min_duration_min * S_PER_MIN
        self.min_coverage = settings.patrol_min_coverage
        self.extra_max_ms = settings.patrol_extra_max_h * MS_PER_H

    def _now(self, now: int | None) -> int:
        return self.clock() if now is None else now

    # --- start and end ------------------------------------------------------------------

    def _new(self, patrol_id: str, worker: WorkerRef, at: int,
             without_location: bool) -> PatrolRecord:
        """A patrol starting at ``at``: in the window open then, else an extra one."""
        span = window_for(at, self.windows, self.settings.tz)
        if span is None:
            return PatrolRecord(
                id=patrol_id, worker=worker.username, grid=worker.grid, station=worker.station,
                date=self.location.days.date_of(at).isoformat(), window="", window_start=at,
                window_end=at + self.extra_max_ms, start=at, kind=PatrolKind.EXTRA,
                without_location=without_location)
        return PatrolRecord(
            id=patrol_id, worker=worker.username, grid=worker.grid, station=worker.station,
            date=span.date.isoformat(), window=span.window.name, window_start=span.start_ms,
            window_end=span.end_ms, start=at, without_location=without_location)

    async def start(self, worker: WorkerRef, *, now: int | None = None,
                    without_location: bool = False) -> tuple[PatrolRecord, bool]:
        """Open a patrol (in the current window, else an extra one); (the open one, False)
        when there is one."""
        at = self._now(now)
        for _ in range(2):
            record = self._new(await self.store.next_id(), worker, at, without_location)
            open_id = await self.store.start(record)
            if open_id == record.id:
                await self.location.clear_worker([AlertKind.PATROL_MISSED], worker.username,
                                                 at, "patrol_started")
                await self._announce(record)
                return record, True
            existing = await self.store.get(open_id)
            if existing is None:
                raise Conflict("the open patrol is being written", code="patrol_busy")
            if existing.window_end > at:
                return existing, False
            await self.finish(existing, at=existing.window_end, by="window_end")  # a past one
        raise Conflict("could not open a patrol", code="patrol_busy")

    async def end(self, patrol_id: str, principal: Principal, *, now: int | None = None
                  ) -> PatrolRecord:
        """End the caller's patrol (an ended one is returned as it is)."""
        record = await self.get(patrol_id, principal)
        if record.worker != principal.username:
            raise Forbidden("only the worker ends their patrol", code="not_your_patrol")
        if record.status is not PatrolState.IN_PROGRESS:
            return record
        at = self._now(now)
        return await self.finish(record, at=min(at, record.window_end), by="worker")

    async def end_open(self, worker: WorkerRef, *, now: int | None = None) -> PatrolRecord:
        """End the worker's open patrol (the phone's ``patrol.end``)."""
        open_id = await self.store.open_of(worker.username)
        record = await self.store.get(open_id) if open_id else None
        if record is None:
            raise Conflict("there is no open patrol", code="no_open_patrol")
        at = self._now(now)
        return await self.finish(record, at=min(at, record.window_end), by="worker")

    async def finish(self, record: PatrolRecord, *, at: int, by: str) -> PatrolRecord:
        """Measure and close ``record`` at ``at``; whoever ends it first wins."""
        metrics = await self.measure(record, at)
        ended = record.ended(
            end=at, status=_status(metrics, self.min_duration_s, self.min_coverage),
            distance_m=metrics.distance_m, duration_s=metrics.duration_s,
            coverage=metrics.coverage, outside_grid_s=metrics.outside_grid_s,
            points=metrics.points, ended_by=by)
        if not await self.store.finish(ended):
            return await self.store.get(record.id) or ended
        await self.location.clear_worker(PATROL_KINDS, record.worker, at, "patrol_ended")
        await self._announce(ended)
        return ended

    async def _announce(self, record: PatrolRecord) -> None:
        await self.events.emit({"type": PATROL_EVENT, "patrol": record.public()})

    # --- figures -----------------------------------------------------------------------

    async def measure(self, record: PatrolRecord, until: int) -> PatrolMetrics:
        """The patrol's figures from its stored track between its start and ``until``."""
        end = min(until, record.window_end)
        track = await self.location.track_between(record.worker, record.start, end)
        index = await self.org.index()
        if record.grid is None or record.grid not in index.grid_ids or not len(track):
            return PatrolMetrics(0.0, 0.0, 0.0, 0.0, 0)
        # an independent copy: the index's prepared polygon stays on the event loop's thread
        polygon = shapely.from_wkb(shapely.to_wkb(index.polygon(record.grid)))
        pings = track.pings()
        filters = self.location.filters
        radius = self.settings.cover_radius_m

        def compute() -> PatrolMetrics:
            return patrol_metrics(clean_track(pings, filters), polygon, start_ms=record.start,
                                  end_ms=end, cover_radius_m=radius)

        return await asyncio.to_thread(compute)

    async def current(self, record: PatrolRecord, *, now: int | None = None) -> PatrolRecord:
        """An in-progress patrol with its figures so far (others as stored)."""
        if record.status is not PatrolState.IN_PROGRESS:
            return record
        metrics = await self.measure(record, self._now(now))
        return record.ended(distance_m=metrics.distance_m, duration_s=metrics.duration_s,
                            coverage=metrics.coverage, outside_grid_s=metrics.outside_grid_s,
                            points=metrics.points)

    # --- reading -------------------------------------------------------------------------

    async def get(self, patrol_id: str, principal: Principal) -> PatrolRecord:
        record = await self.store.get(patrol_id)
        if record is None:
            raise NotFound(f"no patrol {patrol_id}", code="unknown_patrol")
        if not can_see(principal, record.worker):
            raise Forbidden("this patrol is another worker's", code="not_your_patrol")
        return record

    async def find(self, day: str, worker: str | None) -> list[PatrolRecord]:
        """The patrols of a local day (of one worker), by start."""
        if worker is None:
            records = await self.store.of_day(day)
        else:
            start, end = self.location.days.bounds(date.fromisoformat(day))
            records = [r for r in await self.store.of_worker(worker, start, end) if r.date == day]
        return sorted(records, key=lambda r: (r.start, r.worker))

    async def track(self, record: PatrolRecord, *, now: int | None = None,
                    tolerance_m: float | None = None) -> dict[str, Any]:
        """The patrol's track: a simplified LineString with a time per vertex, its stops
        and its spans outside the grid (see ``LocationService.track_feature``)."""
        until = record.end if record.end is not None else self._now(now)
        tolerance = self.settings.track_simplify_m if tolerance_m is None else tolerance_m
        feature = await self.location.track_feature(
            record.worker, record.grid, record.start, max(record.start, until), tolerance)
        feature["properties"].update(patrol=record.id, worker=record.worker,
                                     status=record.status.value)
        return feature

    # --- the clock's half --------------------------------------------------------------

    async def close_windows(self, now: int | None = None) -> list[PatrolRecord]:
        """End open patrols whose window is over; record missed patrols of closed windows.

        Call every ~30 s; each window is closed once (a marker in Redis), open patrols
        are ended whenever found past their window. Returns the records written.
        """
        at = self._now(now)
        written = [await self.finish(r, at=r.window_end, by="window_end")
                   for r in await self._overdue(at)]
        today = self.location.days.date_of(at)
        for day in (today - timedelta(days=1), today):
            for window, start, end in windows_of_day(day, self.windows, self.settings.tz):
                if end <= at < end + CLOSE_LOOKBACK_MS and await self.store.mark_closed(
                        day.isoformat(), window.name, CLOSED_MARKER_TTL_S):
                    written += await self._record_missed(day, window.name, start, end, at)
        return written

    async def _overdue(self, at: int) -> list[PatrolRecord]:
        records = await self.store.many(list((await self.store.open_ids()).values()))
        return [r for r in records
                if r.status is PatrolState.IN_PROGRESS and r.window_end <= at]

    async def since(self, workers: list[WorkerRef]) -> dict[str, int]:
        """Since when each worker (and the street) existed."""
        street = int((await self.org.meta()).get("seeded_ms") or 0)
        created = await self.location.directory.users.created([w.username for w in workers])
        return {w.username: max(street, created.get(w.username) or 0) for w in workers}

    async def _record_missed(self, day: date, window: str, start: int, end: int,
                             at: int) -> list[PatrolRecord]:
        """Missed patrols of a closed window, for the workers who owed it: those who existed
        when it opened (never for a window before the street or the worker was there)."""
        done = {r.worker for r in await self.store.of_day(day.isoformat())
                if r.window == window and not r.extra}
        roster = [w for w in await self.location.directory.roster() if w.username not in done]
        since = await self.since(roster)
        missing = [w for w in roster if since[w.username] <= start]
        ids = await self.store.next_ids(len(missing))
        records = [PatrolRecord(
            id=patrol_id, worker=w.username, grid=w.grid, station=w.station,
            date=day.isoformat(), window=window, window_start=start, window_end=end,
            start=start, end=end, status=PatrolState.MISSED, ended_by="window_end")
            for patrol_id, w in zip(ids, missing, strict=True)]
        if records:
            await self.store.add_many(records)
        for record in records:
            await self._alert_missed(record, at)
        return records

    async def _alert_missed(self, record: PatrolRecord, at: int) -> None:
        """One 漏巡 alert per station and window, however many workers missed it."""
        worker = WorkerRef(record.worker, record.grid, record.station)
        await self.location.raise_worker(
            AlertKind.PATROL_MISSED, worker, at,
            {"patrol": record.id, "window": record.window, "date": record.date},
            bucket=f"{record.date}|{record.window}")
