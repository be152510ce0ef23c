"""Reports and scores from the stored audit trail; a finished period's report is kept.

Figures are counted from the case timelines and patrol records each time, as of the
period's instant T (its end when finished, now when current), by the definitions of
``definitions.py``. The same history therefore gives the same figures whenever they are
computed, and a kept report equals a fresh one of the same definitions' version.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import orjson
from redis.asyncio import Redis

from dispatch.cases.model import case_id
from dispatch.clock import MS_PER_H, MS_PER_S, Now, at_or_now
from dispatch.identity.roles import Role
from dispatch.identity.users import UserStore
from dispatch.keys import Keys
from dispatch.location.patrol_store import PatrolStore
from dispatch.org.store import OrgStore
from dispatch.patrol.windows import parse_windows, windows_of_day
from dispatch.reports.definitions import ASSISTANT, VERSION, DayWindow
from dispatch.reports.facts import ENDED, CaseFacts, PatrolFacts, case_facts
from dispatch.reports.figures import (
    CASE_NAMES,
    DEPARTMENT,
    GROUPS,
    PATROL_NAMES,
    STATION,
    TOTAL,
    GroupKey,
    Tally,
    group_figures,
    tally,
)
from dispatch.reports.periods import Kind, Period, days_of, period
from dispatch.reports.scores import WorkerInput, department_scores, parse_weights, worker_scores
from dispatch.rules import CENTRE
from dispatch.settings import Settings

if TYPE_CHECKING:
    from dispatch.cases.archive import CaseArchiveStore

BATCH = 500
#: A daily report's charts show this many days, ending with its own.
DAILY_SERIES_DAYS = 7
SERIES_FIGURES = ("reported", "closed", "reported_closed", "cancelled", "due",
                  "due_suspended", "closed_in_time", "overdue", "closure_rate", "on_time_rate")
CENTRE_NAME = {"id": CENTRE, "name": "指挥中心", "name_en": "Command centre"}


@dataclass
class Facts:
    cases: list[CaseFacts]
    patrols: list[PatrolFacts]


class UnknownFigure(ValueError):
    pass


class ReportService:
    def __init__(self, redis: Redis, keys: Keys, settings: Settings, users: UserStore,
                 patrols: PatrolStore, org: OrgStore, clock: Now) -> None:
        self.redis = redis
        self.keys = keys
        self.settings = settings
        self.users = users
        self.patrol_store = patrols
        self.org = org
        self.clock = clock
        self.zone = ZoneInfo(settings.tz)
        self.windows = parse_windows(settings.patrol_windows)
        #: The archive of closed cases, counted beside the live ones.
        self.archive: CaseArchiveStore | None = None

    def now(self, now_ms: int | None = None) -> int:
        return at_or_now(now_ms, self.clock)

    def today(self, now_ms: int | None = None) -> date:
        return datetime.fromtimestamp(self.now(now_ms) / MS_PER_S, self.zone).date()

    def period(self, kind: Kind, day: date, now_ms: int | None = None) -> Period:
        return period(kind, day, self.settings.tz, self.now(now_ms))

    # --- reading the audit trail --------------------------------------------------------

    async def case_facts(self) -> list[CaseFacts]:
        """Facts of every case, read from the case hashes and timelines in batches, and from
        the archive."""
        top = int(await self.redis.get(self.keys.case_seq()) or 0)
        ids = await self.redis.zrange(self.keys.cases_all(), 0, -1)
        out = await self._live_facts(ids)
        if self.archive is not None:  # read after the live store: a case archived meanwhile
            seen = {f.id for f in out}  # is found there
            async for record in self.archive.records():
                if record.fields.get("id") not in seen:
                    out.append(case_facts(record.fields, record.timeline))
            # one restored from the archive while the two were read is live again by now
            found = {f.id for f in out}
            missing = [case_id(n) for n in range(1, top + 1) if case_id(n) not in found]
            out += await self._live_facts(missing)
        return out

    async def _live_facts(self, ids: Sequence[str]) -> list[CaseFacts]:
        out: list[CaseFacts] = []
        for i in range(0, len(ids), BATCH):
            async with self.redis.pipeline(transaction=False) as pipe:
                for cid in ids[i:i + BATCH]:
                    pipe.hgetall(self.keys.case(cid))
                    pipe.lrange(self.keys.case_timeline(cid), 0, -1)
                rows = await pipe.execute()
            for case, timeline in zip(rows[::2], rows[1::2], strict=True):
                if case:
                    out.append(case_facts(case, [orjson.loads(e) for e in timeline]))
        return out

    async def street_since(self) -> int:
        return int((await self.org.meta()).get("seeded_ms") or 0)

    async def workers_since(self) -> dict[str, int]:
        """Every grid worker and since when they (and the street) existed."""
        street = await self.street_since()
        workers = [u.username for u in await self.users.all(Role.GRID_WORKER)]
        created = await self.users.created(workers)
        return {w: max(street, created.get(w) or 0) for w in workers}

    async def patrol_facts(self, days: list[date]) -> list[PatrolFacts]:
        """Every patrol record; a grid assistant's is of kind ``assistant``: shown, and
        counted apart from the grid workers' (no window is owed by an assistant)."""
        since = await self.workers_since()
        street = await self.street_since()
        assistants = {u.username for u in await self.users.all(Role.GRID_ASSISTANT)}
        out = []
        for day in days:
            for r in await self.patrol_store.of_day(day.isoformat()):
                kind = ASSISTANT if r.worker in assistants else r.kind
                out.append(PatrolFacts(
                    r.id, r.worker, r.grid, r.station, r.date, r.status.value, r.start,
                    r.end, kind, r.window, r.window_start,
                    since.get(r.worker, street)))
        return out

    async def facts(self, days: list[date]) -> Facts:
        return Facts(await self.case_facts(), await self.patrol_facts(days))

    async def names(self) -> dict[str, dict[str, dict[str, str]]]:
        """Names of the street's stations and departments (the centre's included)."""
        stations = {s.id: {"id": s.id, "name": s.name, "name_en": s.name_en}
                    for s in await self.org.stations()}
        departments = {d["id"]: {"id": d["id"], "name": d["name"],
                                 "name_en": d.get("name_en", "")}
                       for d in await self.org.departments()}
        departments.setdefault(CENTRE, dict(CENTRE_NAME))
        return {"stations": stations, "departments": departments}

    # --- reports -------------------------------------------------------------------------

    @staticmethod
    def series_days(kind: Kind, day: date) -> list[date]:
        if kind is Kind.DAILY:
            return [day - timedelta(days=n) for n in range(DAILY_SERIES_DAYS - 1, -1, -1)]
        return days_of(kind, day)

    def stuck(self, facts: Facts, p: Period) -> dict[str, list[str]]:
        """Cases open at T, per department holding them, overdue or open too long."""
        limit = p.at - self.settings.stuck_hours * MS_PER_H
        out: dict[str, list[str]] = {}
        for f in facts.cases:
            state = f.state_before(p.at)
            if state is None or state in ENDED or f.created >= p.at:
                continue
            deadline = f.deadline_before(p.at)
            late = deadline is not None and deadline < p.at
            if late or f.created < limit:
                out.setdefault(f.department_at(p.at - 1) or CENTRE, []).append(f.id)
        return {d: sorted(v) for d, v in sorted(out.items())}

    def _series(self, kind: Kind, day: date, facts: Facts, now: int) -> list[dict[str, Any]]:
        out = []
        for d in self.series_days(kind, day):
            p = self.period(Kind.DAILY, d, now)
            if p.at <= p.start:
                break
            figs = tally(facts.cases, facts.patrols, p).figures()
            out.append({"label": p.label, "start": p.start, "end": p.end, "at": p.at,
                        **{k: figs[k] for k in SERIES_FIGURES}})
        return out

    async def build(self, kind: Kind, day: date, now_ms: int | None = None) -> dict[str, Any]:
        now = self.now(now_ms)
        p = self.period(kind, day, now)
        facts = await self.facts(sorted(set(days_of(kind, day)) | set(
            self.series_days(kind, day))))
        t = tally(facts.cases, facts.patrols, p)
        names = await self.names()
        report: dict[str, Any] = {
            "kind": kind.value, "label": p.label, "start": p.start, "end": p.end, "at": p.at,
            "finished": p.finished, "generated": now, "definitions": VERSION,
            "totals": t.figures(TOTAL),
            "stations": group_figures(t, STATION, list(names["stations"])),
            "departments": group_figures(t, DEPARTMENT, [
                d for d in names["departments"] if d != CENTRE]),
            "series": self._series(kind, day, facts, now),
            "names": names,
        }
        if kind is not Kind.DAILY:
            report["stuck"] = self.stuck(facts, p)
        return report

    async def get(self, kind: Kind, day: date, now_ms: int | None = None) -> dict[str, Any]:
        """A finished period's kept report (built and kept on first ask); the current
        period's report is built fresh. A kept report of older definitions is rebuilt."""
        now = self.now(now_ms)
        p = self.period(kind, day, now)
        key = self.keys.report(kind.value, p.label)
        if p.finished:
            kept = await self.redis.get(key)
            if kept is not None:
                found = dict(orjson.loads(kept))
                if found.get("definitions") == VERSION:
                    return found
        report = await self.build(kind, day, now)
        if p.finished:
            await self.redis.set(key, orjson.dumps(report))
        return report

    async def keep(self, kind: Kind, day: date) -> str:
        """Build and keep (replacing) the report of a finished period: the clock's job."""
        report = await self.build(kind, day)
        key = self.keys.report(kind.value, report["label"])
        await self.redis.set(key, orjson.dumps(report))
        return str(report["label"])

    async def tally(self, kind: Kind, day: date, now_ms: int | None = None) -> Tally:
        p = self.period(kind, day, now_ms)
        facts = await self.facts(days_of(kind, day))
        return tally(facts.cases, facts.patrols, p)

    async def members(self, kind: Kind, day: date, figure: str, group: str = "total",
                      name: str = "", now_ms: int | None = None) -> dict[str, Any]:
        """The cases (or patrols) a report figure counts, each with how often."""
        if figure not in (*CASE_NAMES, *PATROL_NAMES):
            raise UnknownFigure(figure)
        if group not in GROUPS:
            raise UnknownFigure(group)
        t = await self.tally(kind, day, now_ms)
        key = TOTAL if group == TOTAL[0] else (group, name)
        items = [{"id": ident, "n": n} for ident, n in t.ids(figure, key)]
        return {"kind": kind.value, "label": t.period.label, "at": t.period.at,
                "figure": figure, "group": group, "name": name or None,
                "subject": "patrol" if figure in PATROL_NAMES else "case",
                "count": sum(i["n"] for i in items), "items": items}

    # --- scores ------------------------------------------------------------------------

    def day_windows(self, days: list[date]) -> list[DayWindow]:
        return [DayWindow(d, w.name, start, end) for d in days
                for w, start, end in windows_of_day(d, self.windows, self.settings.tz)]

    async def scores(self, kind: Kind, day: date, now_ms: int | None = None) -> dict[str, Any]:
        now = self.now(now_ms)
        p = self.period(kind, day, now)
        days = days_of(kind, day)
        facts = await self.facts(days)
        t = tally(facts.cases, facts.patrols, p)
        s = self.settings
        since = await self.workers_since()
        grids = {u.username: u.scope for u in await self.users.all(Role.GRID_WORKER)}
        workers = [WorkerInput(w, since[w], grids.get(w)) for w in sorted(since)]
        departments = sorted(await self.redis.hkeys(self.keys.org_departments()))
        return {
            "kind": kind.value, "label": p.label, "start": p.start, "end": p.end, "at": p.at,
            "finished": p.finished, "definitions": VERSION,
            "workers": [x.public() for x in worker_scores(
                workers, facts.cases, facts.patrols, self.day_windows(days), p,
                parse_weights(s.worker_weights), s.warn_last)],
            "departments": [x.public() for x in department_scores(
                departments, facts.cases, t, parse_weights(s.department_weights),
                s.warn_last)],
        }

    # --- the screen ----------------------------------------------------------------------

    async def today_figures(self, now_ms: int | None = None) -> dict[str, Any]:
        """The day's figures for the command screen: the daily report's totals as of now."""
        return (await self.today_by_group(now_ms))[TOTAL]

    async def today_by_group(self, now_ms: int | None = None) -> dict[GroupKey, dict[str, Any]]:
        """The daily report's figures as of now, in total and per station and department
        (a screen that follows one shows its own)."""
        now = self.now(now_ms)
        day = self.today(now)
        t = await self.tally(Kind.DAILY, day, now)
        stamp = {"date": day.isoformat(), "at": t.period.at}
        groups = [TOTAL, *((kind, name) for kind in (STATION, DEPARTMENT)
                           for name in sorted(t.groups(kind)))]
        return {g: {**t.figures(g), **stamp} for g in groups}
