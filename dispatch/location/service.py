"""The location service: fixes in, live positions, presence and out-of-grid alerts out.

Entry points (the phone socket, the upload endpoint, the OsmAnd and OwnTracks
endpoints) turn what they read into :class:`Ping` values for a :class:`WorkerRef` and
call :meth:`LocationService.ingest`: the fixes are judged by the pure filter, stored
in one Redis round trip, and only the transitions (an alert to open or close) cost a
second one. :meth:`sweep` is the clock's half: silences and long absences that no
fix will report.
"""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import orjson
import shapely  # type: ignore[import-untyped,unused-ignore]

from dispatch.alerts import AlertKind, AlertService, Condition, Scope, Subject
from dispatch.clock import MS_PER_H, MS_PER_MIN, MS_PER_S, Now, at_or_now, now_ms
from dispatch.errors import DispatchError
from dispatch.keys import Keys
from dispatch.location.apps import AppReport, NoFix, Transition
from dispatch.location.bounds import bounded
from dispatch.location.codec import BUCKET_MS, FLAG_OF, Track, pack_many
from dispatch.location.directory import WorkerDirectory, WorkerRef
from dispatch.location.positions import POSITIONS
from dispatch.location.store import (
    ALREADY_THERE,
    STORED_AS_JUMP,
    HeartbeatOutcome,
    IngestOutcome,
    JumpRule,
    LiveCandidate,
    LocationStore,
)
from dispatch.metrics import Metrics
from dispatch.org.store import OrgStore
from dispatch.patrol.days import LocalDays
from dispatch.patrol.filters import (
    FilterConfig,
    Ping,
    Verdict,
    clean_track,
    judge_without_jumps,
    time_order,
)
from dispatch.patrol.judge import STORED_VERDICTS
from dispatch.patrol.presence import Presence, PresenceConfig, out_of_grid_due, presence_at
from dispatch.patrol.replay import TrackView, track_feature
from dispatch.patrol.track import fixes_after
from dispatch.realtime.events import Events
from dispatch.scripts import ScriptRunner
from dispatch.settings import Settings

#: GEOADD refuses latitudes beyond the Web Mercator limit.
GEO_MAX_LAT = 85.05112878
#: Verdicts the phone may forget: the fix is stored (or was already).
ACCEPTED = STORED_VERDICTS | {Verdict.DUPLICATE}
MAX_BATTERY = 100.0
#: Live-hash fields and values an alert follows: raised while they hold, cleared once not.
SIGNAL_LOST = ("state", Presence.SIGNAL_LOST.value)
OUTSIDE = ("oog", "1")
#: Alerts a fix ends (the phone is heard again) and those a patrol's end ends.
SILENCE_KINDS = (AlertKind.SIGNAL_LOST, AlertKind.OFFLINE_ON_PATROL)
PATROL_KINDS = (AlertKind.OUT_OF_GRID, *SILENCE_KINDS)
#: Live-hash field: the silence (last heard, ms) an offline-on-patrol alert was raised for.
OFF_SEEN = "off_seen"


def filter_config(s: Settings) -> FilterConfig:
    return FilterConfig(max_future_ms=s.loc_max_future_s * MS_PER_S,
                        max_age_ms=s.loc_max_age_h * MS_PER_H,
                        max_accuracy_m=s.loc_max_accuracy_m, max_speed_mps=s.loc_max_speed_mps,
                        jump_slack_m=s.loc_jump_slack_m)


def presence_config(s: Settings) -> PresenceConfig:
    return PresenceConfig(signal_lost_ms=s.signal_lost_min * MS_PER_MIN,
                          offline_ms=s.offline_min * MS_PER_MIN,
                          out_of_grid_ms=s.out_of_grid_min * MS_PER_MIN)


@dataclass
class IngestResult:
    """The final verdict of every fix of a message, in its order."""

    verdicts: list[Verdict]
    moved: bool = False
    #: The ``positions`` item to show when the newest fix moved the worker.
    position: dict[str, Any] | None = None

    def accepted(self, i: int) -> bool:
        return self.verdicts[i] in ACCEPTED

    def counts(self) -> dict[str, int]:
        return dict(Counter(v.value for v in self.verdicts))


@dataclass
class ReportResult:
    """What became of an app's report: its fix's verdict, or why it had none."""

    verdict: Verdict | None
    no_fix: NoFix | None
    #: The ``positions`` item to show (the worker moved, or came back without a fix).
    position: dict[str, Any] | None = None

    def public(self) -> dict[str, Any]:
        if self.verdict is not None:
            return {"ok": True, "verdicts": {self.verdict.value: 1}}
        return {"ok": True, "no_fix": self.no_fix.value if self.no_fix else None}


@dataclass
class Batch:
    """What one message brings to the store."""

    #: The packed records, in time order, and their (local day, bucket, count) runs.
    records: bytes = b""
    runs: list[tuple[str, int, int]] = field(default_factory=list)
    #: The index in the message of each record.
    kept: list[int] = field(default_factory=list)
    heard: int | None = None
    best: Ping | None = None
    #: The index of ``best`` among the records.
    best_item: int | None = None


@dataclass
class SweepReport:
    checked: int = 0
    states: dict[str, int] = field(default_factory=dict)
    opened: list[str] = field(default_factory=list)


def position_item(worker: WorkerRef, lat: float | None, lon: float | None, ts: int | None,
                  state: str, grid: str | None, patrol: str | None,
                  out_of_grid: bool) -> dict[str, Any]:
    """A ``positions`` item: ``patrol`` and ``out_of_grid`` only when set (events stay small)."""
    item: dict[str, Any] = {"worker": worker.username, "station": worker.station, "lat": lat,
                            "lon": lon, "ts": ts, "state": state, "grid": grid}
    if patrol:
        item["patrol"] = patrol
    if out_of_grid:
        item["out_of_grid"] = True
    return item


def _int(value: str | None) -> int | None:
    return int(value) if value else None


def _float(value: str | None) -> float | None:
    return float(value) if value else None


class LocationService:
    def __init__(self, settings: Settings, *, keys: Keys, store: LocationStore,
                 directory: WorkerDirectory, org: OrgStore, events: Events, metrics: Metrics,
                 alerts: AlertService, clock: Now = now_ms) -> None:
        self.settings = settings
        self.keys = keys
        self.clock = clock
        self.org = org
        self.events = events
        self.store = store
        self.alerts = alerts
        self.directory = directory
        self.filters = filter_config(settings)
        #: The filter of a web process: all but the jumps, judged in Redis (ingest script).
        self._before_jumps = replace(self.filters, max_speed_mps=math.inf)
        self.jumps = JumpRule(self.filters.max_speed_mps, self.filters.jump_slack_m)
        self.presence = presence_config(settings)
        self.days = LocalDays(settings.tz)
        self._counter = metrics.counter("location_pings_total", "Fixes received, by verdict",
                                        ["source", "verdict"])
        self._counters: dict[tuple[str, Verdict], Any] = {}
        self._nofix = metrics.counter("location_nofix_total",
                                      "App requests answered 2xx without a usable fix, by reason",
                                      ["source", "reason"])
        self._messages = metrics.counter("location_app_messages_total",
                                         "Messages of the tracking apps, by type",
                                         ["source", "type"])
        self._refused = metrics.counter(
            "location_fields_refused_total",
            "Measured values outside physical bounds, dropped from their fix", ["source", "field"])

    # --- ingest ----------------------------------------------------------------------

    async def ingest(self, worker: WorkerRef, pings: Sequence[Ping], source: str, *,
                     now: int | None = None, charge: bool | None = None,
                     runner: ScriptRunner | None = None) -> IngestResult:
        """Judge and store a message's fixes (any order, any age, repeats); through
        ``runner`` when the web process gives one. The result carries the worker's new
        position for the screens when the newest fix moved it."""
        at = at_or_now(now, self.clock)
        pings = self._bounded(pings, source)
        # jumps are judged by the ingest script, against the newest fix in Redis
        order = time_order(pings)  # the one sort of a message's fixes
        verdicts = judge_without_jumps(pings, order, now_ms=at, cfg=self._before_jumps)
        batch = self._batch(pings, order, verdicts)
        result = IngestResult(verdicts)
        if batch.kept:
            best = batch.best
            candidate = await self._candidate(worker, best)
            outcome = await self.store.ingest(
                worker.username, batch.records, batch.runs, heard_ms=batch.heard,
                fresh_after_ms=at - self.presence.signal_lost_ms, live=candidate,
                jumps=self.jumps, live_item=batch.best_item if candidate else None,
                charge=charge, runner=runner)
            for i, code in zip(batch.kept, outcome.codes, strict=True):
                if code == ALREADY_THERE:
                    verdicts[i] = Verdict.DUPLICATE
                elif code == STORED_AS_JUMP:
                    verdicts[i] = Verdict.JUMP
            if outcome.instead is not None:  # the newest was a jump: an older fix moves
                best = pings[batch.kept[outcome.instead]]
                candidate = await self._candidate(worker, best)
                if candidate is not None:
                    moved = await self.store.move(worker.username, candidate, charge=charge,
                                                  runner=runner)
                    outcome = replace(outcome, moved=moved.moved, patrol=moved.patrol,
                                      out_of_grid=moved.out_of_grid,
                                      transition=moved.transition)
            result.moved = outcome.moved
            if outcome.moved and candidate is not None:
                result.position = position_item(
                    worker, candidate.lat, candidate.lon, candidate.ts,
                    outcome.state or Presence.OFFLINE.value, candidate.grid, outcome.patrol,
                    outcome.out_of_grid)
            await self._transitions(worker, outcome, candidate, at)
        self.count(source, verdicts)
        return result

    def _bounded(self, pings: Sequence[Ping], source: str) -> Sequence[Ping]:
        """The fixes with their out-of-bounds values made unknown (copied only if any)."""
        out = pings
        for i, ping in enumerate(pings):
            fixed, refused = bounded(ping)
            if refused:
                if out is pings:
                    out = list(pings)
                out[i] = fixed  # type: ignore[index]
                for name in refused:
                    self._refused.labels(source, name).inc()
        return out

    async def report(self, worker: WorkerRef, report: AppReport, source: str, *,
                     now: int | None = None, runner: ScriptRunner | None = None
                     ) -> ReportResult:
        """An app's report: its fix stored, or (no usable fix) presence and battery only."""
        at = at_or_now(now, self.clock)
        if report.fix is not None:
            result = await self.ingest(worker, [report.fix], source, now=at,
                                       charge=report.charge, runner=runner)
            verdict = result.verdicts[0]
            if verdict is Verdict.INVALID:  # the filter's view of the position
                return await self.heartbeat(worker, report, source, NoFix.BAD_POSITION, now=at,
                                            runner=runner)
            return ReportResult(verdict, None, result.position)
        return await self.heartbeat(worker, report, source, report.no_fix or NoFix.HEARTBEAT,
                                    now=at, runner=runner)

    async def heartbeat(self, worker: WorkerRef, report: AppReport, source: str, reason: NoFix,
                        *, now: int | None = None, runner: ScriptRunner | None = None
                        ) -> ReportResult:
        """A phone heard without a usable fix: presence, battery and charging; the map
        stays where it is. Counted by reason."""
        at = at_or_now(now, self.clock)
        self._nofix.labels(source, reason.value).inc()
        heard = min(report.ts, at)  # a clock ahead of ours says nothing about later
        batt = report.batt
        if batt is not None and not 0 <= batt <= MAX_BATTERY:
            batt = None
            self._refused.labels(source, "batt").inc()
        outcome = await self.store.heartbeat(
            worker.username, heard_ms=heard, fresh_after_ms=at - self.presence.signal_lost_ms,
            batt=batt, charge=report.charge, runner=runner)
        return ReportResult(None, reason, await self._presence_back(worker, outcome, at))

    async def _presence_back(self, worker: WorkerRef, outcome: HeartbeatOutcome,
                             at: int) -> dict[str, Any] | None:
        """A heartbeat brought the phone back: close signal lost; the position to show."""
        if outcome.previous_state == outcome.state:
            return None
        if outcome.previous_state == Presence.SIGNAL_LOST and outcome.state == Presence.ONLINE:
            await self.clear_worker(SILENCE_KINDS, worker.username, at, "signal_back",
                                    unless=SIGNAL_LOST)
        live = outcome.live
        if not live["ts"]:
            return None
        return position_item(worker, _float(live["lat"]), _float(live["lon"]),
                             _int(live["ts"]), outcome.state, live["grid"] or None,
                             live["patrol"] or None, live["oog"] == "1")

    async def transition(self, worker: WorkerRef, transition: Transition) -> bool:
        """Record a region enter/leave event when the region is the worker's own grid."""
        if worker.grid is None or transition.region is None:
            return False
        names = {worker.grid}
        try:
            feature = await self.org.grid(worker.grid)
            names.add(str(feature["properties"].get("name") or worker.grid))
        except DispatchError:
            pass
        if transition.region.strip() not in names:
            return False
        await self.store.record_fence(worker.username, {
            "event": transition.event, "grid": worker.grid, "ts": transition.ts,
            "region": transition.region, "rid": transition.region_id})
        return True

    def _batch(self, pings: Sequence[Ping], order: Sequence[int],
               verdicts: Sequence[Verdict]) -> Batch:
        """The records to store in time order (``order``), their indexes, the newest fix
        heard and the newest usable (OK records go to the jump filter of the ingest
        script). The records are packed together, and grouped by day and bucket."""
        batch = Batch()
        kept = batch.kept
        stored, flags = STORED_VERDICTS, FLAG_OF
        best: Ping | None = None
        best_ts = -1
        ok = Verdict.OK
        for i in order:
            verdict = verdicts[i]
            if verdict not in stored:
                continue
            if verdict is ok:
                ts = pings[i].ts
                if ts > best_ts:
                    best, best_ts, batch.best_item = pings[i], ts, len(kept)
            kept.append(i)
        if not kept:
            return batch
        chosen = [pings[i] for i in kept]
        batch.heard = max(p.ts for p in chosen) if len(chosen) > 1 else chosen[0].ts
        batch.best = best
        batch.records = pack_many(chosen, [flags[verdicts[i]] for i in kept])
        batch.runs = self._runs([p.ts for p in chosen])
        return batch

    def _runs(self, times: list[int]) -> list[tuple[str, int, int]]:
        """(local day, bucket, count) of consecutive records (``times`` in order): one
        ``days`` look-up per bucket's first and last fix (a day's edge inside a bucket
        splits it)."""
        runs: list[tuple[str, int, int]] = []
        days = self.days.of
        start, n = 0, len(times)
        while start < n:
            bucket = times[start] // BUCKET_MS
            end = start + 1
            while end < n and times[end] // BUCKET_MS == bucket:
                end += 1
            first, last = days(times[start]), days(times[end - 1])
            if first == last:
                runs.append((first, bucket, end - start))
            else:
                for ts in times[start:end]:
                    day = days(ts)
                    if runs and runs[-1][0] == day and runs[-1][1] == bucket:
                        runs[-1] = (day, bucket, runs[-1][2] + 1)
                    else:
                        runs.append((day, bucket, 1))
            start = end
        return runs

    async def _candidate(self, worker: WorkerRef, best: Ping | None) -> LiveCandidate | None:
        if best is None or abs(best.lat) > GEO_MAX_LAT:
            return None
        index = await self.org.index()
        grid = index.locate(best.lon, best.lat)
        inside: bool | None = None
        if worker.grid is not None:
            inside = grid == worker.grid
            if not inside and grid is not None and worker.grid in index.grid_ids:
                inside = index.contains(worker.grid, best.lon, best.lat)  # on a shared edge
        return LiveCandidate(best.ts, best.lon, best.lat, grid, inside, best.acc, best.speed,
                             best.heading, best.batt)

    def when(self, worker: str, condition: tuple[str, str]) -> Condition:
        """A condition on the worker's live hash."""
        return Condition(self.keys.loc_live(worker), *condition)

    async def raise_worker(self, kind: AlertKind, worker: WorkerRef, at: int,
                           data: dict[str, Any], condition: tuple[str, str] | None = None,
                           bucket: str = "") -> bool:
        """Raise a worker alert of ``kind`` (only while ``condition`` holds); True when new."""
        done = await self.alerts.raise_alert(
            kind, subject=Subject(worker=worker.username), scope=Scope(station=worker.station),
            data={"grid": worker.grid, **data}, now_ms=at, bucket=bucket,
            when=self.when(worker.username, condition) if condition else None)
        return done.announced

    async def clear_worker(self, kinds: Sequence[AlertKind], worker: str, at: int, reason: str,
                           unless: tuple[str, str] | None = None) -> None:
        await self.alerts.clear(kinds, Subject(worker=worker), now_ms=at, reason=reason,
                                unless=self.when(worker, unless) if unless else None)

    async def _transitions(self, worker: WorkerRef, outcome: IngestOutcome,
                           fix: LiveCandidate | None, at: int) -> None:
        name = worker.username
        if outcome.previous_state == Presence.SIGNAL_LOST and outcome.state == Presence.ONLINE:
            await self.clear_worker(SILENCE_KINDS, name, at, "signal_back", unless=SIGNAL_LOST)
        if fix is None or not outcome.transition:
            return
        if outcome.transition == "open":
            await self.raise_worker(AlertKind.OUT_OF_GRID, worker, fix.ts,
                                    {"patrol": outcome.patrol, "lat": fix.lat, "lon": fix.lon,
                                     "at_grid": fix.grid}, OUTSIDE)
        else:
            await self.clear_worker([AlertKind.OUT_OF_GRID], name, fix.ts, "back_in_grid",
                                    unless=OUTSIDE)

    def count_message(self, source: str, kind: str) -> None:
        """Count an app's message by its type (OwnTracks: location, transition, lwt, ...)."""
        self._messages.labels(source, kind[:32]).inc()

    def count(self, source: str, verdicts: Sequence[Verdict]) -> None:
        """Count fixes by verdict (entry points add the ones they could not even read)."""
        tally: dict[Verdict, int] = {}
        for verdict in verdicts:  # one increment per verdict, not per fix
            tally[verdict] = tally.get(verdict, 0) + 1
        for verdict, n in tally.items():
            child = self._counters.get((source, verdict))
            if child is None:
                child = self._counters[source, verdict] = self._counter.labels(
                    source, verdict.value)
            child.inc(n)

    # --- the clock's half --------------------------------------------------------------

    async def sweep(self, now: int | None = None) -> SweepReport:
        """Presence and out-of-grid changes that no fix reports: call every ~30 s."""
        at = at_or_now(now, self.clock)
        roster = {w.username: w for w in await self.directory.roster()}
        names = await self.store.tracked_workers()
        report = SweepReport(checked=len(names))
        changed: list[dict[str, Any]] = []
        for name, row in zip(names, await self.store.live_many(names), strict=True):
            worker = roster.get(name) or WorkerRef(name, None, None)
            state = await self._sweep_presence(worker, row, at, report)
            if state is not None and row.get("lat"):
                changed.append(self._position(worker, row, state))
            await self._sweep_outside(worker, row, at, report)
        if changed:
            await self.events.emit({"type": POSITIONS, "items": changed})
        return report

    async def _sweep_presence(self, worker: WorkerRef, row: dict[str, str], at: int,
                              report: SweepReport) -> Presence | None:
        since = _int(row.get("patrol_since")) if row.get("patrol") else None
        state = presence_at(at, seen_ms=_int(row.get("seen")), patrol_since_ms=since,
                            cfg=self.presence)
        before = row.get("state", "")
        if state is Presence.SIGNAL_LOST and since is not None:
            await self._offline_on_patrol(worker, row, since, at, report)
        if state == before or not await self.store.set_if(
                worker.username, "seen", row.get("seen", ""), "state", state.value):
            return None
        report.states[state.value] = report.states.get(state.value, 0) + 1
        if state is Presence.SIGNAL_LOST:
            data = {"patrol": row.get("patrol"), "seen": _int(row.get("seen"))}
            if await self.raise_worker(AlertKind.SIGNAL_LOST, worker, at, data, SIGNAL_LOST):
                report.opened.append(f"{AlertKind.SIGNAL_LOST.value}:{worker.username}")
        elif before == Presence.SIGNAL_LOST:
            await self.clear_worker(SILENCE_KINDS, worker.username, at, state.value,
                                    unless=SIGNAL_LOST)
        return state

    async def _offline_on_patrol(self, worker: WorkerRef, row: dict[str, str], since: int,
                                 at: int, report: SweepReport) -> None:
        """Silent on patrol for as long as a phone off patrol counts as offline."""
        heard = max(_int(row.get("seen")) or 0, since)
        if at - heard < self.presence.offline_ms or row.get("state") != Presence.SIGNAL_LOST:
            return
        mark, marked = str(heard), row.get("off_seen", "")  # once per silence
        if marked == mark or not await self.store.set_if(worker.username, OFF_SEEN, marked,
                                                         OFF_SEEN, mark):
            return
        data = {"patrol": row.get("patrol"), "seen": _int(row.get("seen")),
                "lat": _float(row.get("lat")), "lon": _float(row.get("lon")),
                "batt": _float(row.get("batt"))}
        if await self.raise_worker(AlertKind.OFFLINE_ON_PATROL, worker, at, data, SIGNAL_LOST):
            report.opened.append(f"{AlertKind.OFFLINE_ON_PATROL.value}:{worker.username}")

    async def _sweep_outside(self, worker: WorkerRef, row: dict[str, str], at: int,
                             report: SweepReport) -> None:
        since = _int(row.get("out_since"))
        if not row.get("patrol") or row.get("oog") == "1" or not out_of_grid_due(
                at, out_since_ms=since, cfg=self.presence):
            return
        if await self.store.set_if(worker.username, "out_since", str(since), "oog", "1"):
            data = {"patrol": row.get("patrol"), "lat": _float(row.get("lat")),
                    "lon": _float(row.get("lon")), "at_grid": row.get("grid") or None}
            if await self.raise_worker(AlertKind.OUT_OF_GRID, worker, at, data, OUTSIDE):
                report.opened.append(f"{AlertKind.OUT_OF_GRID.value}:{worker.username}")

    # --- reading -----------------------------------------------------------------------

    @staticmethod
    def _position(worker: WorkerRef, row: dict[str, str], state: Presence) -> dict[str, Any]:
        return position_item(worker, _float(row.get("lat")), _float(row.get("lon")),
                             _int(row.get("ts")), state.value, row.get("grid") or None,
                             row.get("patrol"), row.get("oog") == "1")

    async def workers(self, now: int | None = None) -> list[dict[str, Any]]:
        """Every grid worker: newest fix, presence (as of ``now``), patrol, out of grid."""
        at = at_or_now(now, self.clock)
        roster = await self.directory.roster()
        rows = await self.store.live_many([w.username for w in roster])
        out = []
        for worker, row in zip(roster, rows, strict=True):
            since = _int(row.get("patrol_since")) if row.get("patrol") else None
            state = presence_at(at, seen_ms=_int(row.get("seen")), patrol_since_ms=since,
                                cfg=self.presence)
            position = None
            if row.get("ts"):
                position = {"lat": _float(row.get("lat")), "lon": _float(row.get("lon")),
                            "ts": _int(row.get("ts")), "acc": _float(row.get("acc")),
                            "speed": _float(row.get("speed")),
                            "heading": _float(row.get("heading")),
                            "batt": _float(row.get("batt")), "grid": row.get("grid") or None}
            fence = orjson.loads(row["fence"]) if row.get("fence") else None
            out.append({"worker": worker.username, "grid": worker.grid,
                        "station": worker.station, "state": state.value,
                        "seen": _int(row.get("seen")), "position": position,
                        "patrol": row.get("patrol") or None,
                        "out_of_grid": row.get("oog") == "1",
                        "batt": _float(row.get("batt")),
                        "charging": None if not row.get("charge") else row["charge"] == "1",
                        "geofence": fence})
        return out

    async def track_between(self, worker: str, start_ms: int, end_ms: int) -> Track:
        """A worker's stored fixes in [start_ms, end_ms], in time order."""
        track = await self.store.track(worker, self.days.between(start_ms, end_ms))
        return track.between(start_ms, end_ms)

    async def day_track(self, worker: str, day: str) -> Track:
        return await self.store.track(worker, [day])

    def track_view(self, tolerance_m: float) -> TrackView:
        """How tracks are drawn: ``tolerance_m`` and the configured stop rule."""
        s = self.settings
        return TrackView(tolerance_m, stop_radius_m=s.stop_radius_m,
                         stop_min_ms=s.stop_min_min * MS_PER_MIN)

    async def track_feature(self, worker: str, grid: str | None, start_ms: int, end_ms: int,
                            tolerance_m: float) -> dict[str, Any]:
        """The worker's clean fixes in [start_ms, end_ms] as the screen draws and replays
        them: a LineString with a time per vertex, stops, and spans outside ``grid``."""
        track = await self.track_between(worker, start_ms, end_ms)
        pings = clean_track(track.pings(), self.filters)
        polygon = None
        index = await self.org.index()
        if grid is not None and grid in index.grid_ids:
            # an independent copy: the index's prepared polygon stays on this thread
            polygon = shapely.from_wkb(shapely.to_wkb(index.polygon(grid)))
        feature = await asyncio.to_thread(track_feature, pings, self.track_view(tolerance_m),
                                          polygon)
        feature["properties"].update(worker=worker, grid=grid, **{"from": start_ms,
                                                                  "to": end_ms})
        return feature

    async def day_feature_since(self, worker: str, day: str, since_ms: int) -> dict[str, Any]:
        """The fixes of a worker's cleaned day track after ``since_ms`` (the whole day is
        cleaned, so a fix is judged as in the full track)."""
        track = await self.day_track(worker, day)
        feature = fixes_after(clean_track(track.pings(), self.filters), since_ms)
        feature["properties"].update(worker=worker, date=day)
        return feature
