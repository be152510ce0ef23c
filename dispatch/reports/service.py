"""Reports and scores from the stored audit trail; a finished period's report is kept.

Figures are recomputed from the case timelines and patrol records each time a report is
built, so they always agree with the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from redis.asyncio import Redis

from dispatch.clock import MS_PER_H, MS_PER_S, at_or_now
from dispatch.identity.roles import Role
from dispatch.identity.users import UserStore
from dispatch.keys import Keys
from dispatch.location.patrol_store import PatrolStore
from dispatch.patrol.windows import parse_windows
from dispatch.reports.facts import CaseFacts, case_facts
from dispatch.reports.figures import PatrolFacts, Period, figures, grouped
from dispatch.reports.periods import Kind, days_of, period
from dispatch.reports.scores import department_scores, parse_weights, worker_scores
from dispatch.settings import Settings

BATCH = 500


@dataclass
class Facts:
    cases: list[CaseFacts]
    patrols: list[PatrolFacts]


class ReportService:
    def __init__(self, redis: Redis, keys: Keys, settings: Settings, users: UserStore,
                 patrols: PatrolStore) -> None:
        self.redis = redis
        self.keys = keys
        self.settings = settings
        self.users = users
        self.patrol_store = patrols
        self.zone = ZoneInfo(settings.tz)

    def today(self, now_ms: int | None = None) -> date:
        now = at_or_now(now_ms) / MS_PER_S
        return datetime.fromtimestamp(now, self.zone).date()

    async def case_facts(self) -> list[CaseFacts]:
        """Facts of every case, read from the case hashes and timelines in batches."""
        ids = await self.redis.zrange(self.keys.cases_all(), 0, -1)
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

    async def patrol_facts(self, days: list[date]) -> list[PatrolFacts]:
        out = []
        for day in days:
            for r in await self.patrol_store.of_day(day.isoformat()):
                out.append(PatrolFacts(r.id, r.worker, r.grid, r.station, r.date,
                                       r.status.value, r.start))
        return out

    async def facts(self, kind: Kind, day: date) -> Facts:
        return Facts(await self.case_facts(), await self.patrol_facts(days_of(kind, day)))

    def stuck(self, facts: Facts, p: Period) -> dict[str, list[str]]:
        """Open cases per department that are overdue or untouched too long at the end."""
        limit = p.end - self.settings.stuck_hours * MS_PER_H
        out: dict[str, list[str]] = {}
        for f in facts.cases:
            if f.open_at(p.end) and (f.overdue_at(p.end) or f.created < limit):
                out.setdefault(f.department or "triage", []).append(f.id)
        return {d: sorted(v) for d, v in sorted(out.items())}

    async def build(self, kind: Kind, day: date, now_ms: int | None = None) -> dict[str, Any]:
        p = period(kind, day, self.settings.tz)
        facts = await self.facts(kind, day)
        total = figures(facts.cases, facts.patrols, p)
        report: dict[str, Any] = {
            "kind": kind.value, "label": p.label, "start": p.start, "end": p.end,
            "generated": at_or_now(now_ms),
            "totals": total.public(),
            "stations": {k: v.public() for k, v in grouped(
                facts.cases, facts.patrols, p, lambda x: x.station).items()},
            "departments": {k: v.public() for k, v in grouped(
                facts.cases, [], p, lambda x: getattr(x, "department", None)).items()},
        }
        if kind is not Kind.DAILY:
            report["stuck"] = self.stuck(facts, p)
        return report

    async def get(self, kind: Kind, day: date, now_ms: int | None = None) -> dict[str, Any]:
        """A finished period's kept report (built and kept on first ask); the current
        period's report is built fresh."""
        p = period(kind, day, self.settings.tz)
        now = at_or_now(now_ms)
        key = self.keys.report(kind.value, p.label)
        if p.end <= now:
            kept = await self.redis.get(key)
            if kept is not None:
                return dict(orjson.loads(kept))
        report = await self.build(kind, day, now)
        if p.end <= now:
            await self.redis.set(key, orjson.dumps(report))
        return report

    async def keep(self, kind: Kind, day: date) -> str:
        """Build and keep (replacing) the report of a finished period: the clock's job."""
        report = await self.build(kind, day)
        key = self.keys.report(kind.value, report["label"])
        await self.redis.set(key, orjson.dumps(report))
        return str(report["label"])

    def windows_owed(self, kind: Kind, day: date) -> int:
        return len(parse_windows(self.settings.patrol_windows)) * len(days_of(kind, day))

    async def scores(self, kind: Kind, day: date) -> dict[str, Any]:
        p = period(kind, day, self.settings.tz)
        facts = await self.facts(kind, day)
        s = self.settings
        workers = [u.username for u in await self.users.all(Role.GRID_WORKER)]
        departments = sorted(await self.redis.hkeys(self.keys.org_departments()))
        return {
            "label": p.label, "start": p.start, "end": p.end,
            "workers": [x.public() for x in worker_scores(
                workers, facts.cases, facts.patrols, p, self.windows_owed(kind, day),
                parse_weights(s.worker_weights), s.warn_last)],
            "departments": [x.public() for x in department_scores(
                departments, facts.cases, p, parse_weights(s.department_weights),
                s.warn_last)],
        }

    async def today_figures(self, now_ms: int | None = None) -> dict[str, Any]:
        """The day's figures for the command screen."""
        day = self.today(now_ms)
        p = period(Kind.DAILY, day, self.settings.tz)
        facts = await self.facts(Kind.DAILY, day)
        total = figures(facts.cases, facts.patrols, p).public()
        now = at_or_now(now_ms)
        total["overdue"] = sum(1 for f in facts.cases if f.overdue_at(now))
        total["date"] = day.isoformat()
        return total
