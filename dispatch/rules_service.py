"""The rules in force: one rule set shared by every process through Redis.

The text of the rule set in force is stored in Redis with its version; each process
parses it once and re-reads it when the stored version changes. A reload validates
the new text first: a bad file is refused and the old rules stay.
"""

from __future__ import annotations

import logging
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from redis.asyncio import Redis

from dispatch.clock import MS_PER_S, now_ms
from dispatch.errors import BadRequest
from dispatch.keys import Keys
from dispatch.org.store import OrgStore
from dispatch.patrol.windows import parse_windows
from dispatch.rules import (
    CENTRE,
    DEFAULT_RULES_FILE,
    DEPARTMENT_IDS,
    SEVERITIES,
    Catalogue,
    Decision,
    RulesError,
    RuleSet,
    WorkCalendar,
    deadline_ms,
    escalation_times,
    load_catalogue,
    packaged_rules_text,
    parse_rules,
    route,
    yellow_at_ms,
)
from dispatch.rules.official import official_days, with_local
from dispatch.rules.routing import Routing
from dispatch.settings import Settings

log = logging.getLogger("dispatch.rules")
RECHECK_S = 1.0
#: How far ahead the official calendar must know the days off: a limit set in December
#: counts working days into January.
CALENDAR_AHEAD = timedelta(days=31)
WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


def _dates(raw: str, name: str) -> frozenset[date]:
    try:
        return frozenset(date.fromisoformat(d.strip()) for d in raw.split(",") if d.strip())
    except ValueError as exc:
        raise ValueError(f"setting {name}: {exc}") from exc


def work_calendar(settings: Settings, today: date | None = None) -> WorkCalendar:
    """The working calendar of the street: the official days (``DISPATCH_CALENDAR``) with the
    street's own holidays and make-up days on top."""
    periods = tuple((w.start, w.end) for w in parse_windows(settings.work_hours))
    weekend = frozenset(WEEKDAYS[d.strip().lower()[:3]] for d in settings.weekend.split(",")
                        if d.strip())
    official = official_days(settings.calendar)
    holidays, makeup = with_local(official, _dates(settings.holidays, "DISPATCH_HOLIDAYS"),
                                  _dates(settings.workdays, "DISPATCH_WORKDAYS"))
    ahead = (today or date.today()) + CALENDAR_AHEAD
    if official.last_year is not None and not official.covers(ahead):
        log.warning("the official calendar (%s) knows days off up to %d only: list %d's in "
                    "DISPATCH_HOLIDAYS and DISPATCH_WORKDAYS", settings.calendar,
                    official.last_year, ahead.year)
    return WorkCalendar(periods=periods, weekend=weekend, holidays=holidays,
                        makeup_days=makeup, tz=settings.tz)


def initial_rules_text(settings: Settings) -> tuple[str, str]:
    """(text, source) of the configured rules file, or the shipped default."""
    if settings.rules_file is not None:
        path = Path(settings.rules_file)
        return path.read_text(encoding="utf-8"), path.name
    return packaged_rules_text(DEFAULT_RULES_FILE), DEFAULT_RULES_FILE


class RulesService:
    def __init__(self, redis: Redis, keys: Keys, settings: Settings, org: OrgStore) -> None:
        self.redis = redis
        self.keys = keys
        self.settings = settings
        self.org = org
        self.catalogue: Catalogue = load_catalogue()
        self.calendar = work_calendar(settings)
        self.zone = ZoneInfo(settings.tz)
        self._ruleset: RuleSet | None = None
        self._stamp: str | None = None
        self._checked = 0.0

    async def departments(self) -> set[str]:
        known = await self.org.department_ids()
        return (known or set(DEPARTMENT_IDS)) | {CENTRE}

    async def parse(self, text: str, source: str) -> RuleSet:
        """Validate ``text``; raises RulesError listing every problem."""
        return parse_rules(text, source=source, catalogue=self.catalogue,
                           departments=await self.departments())

    async def install(self, text: str, source: str) -> RuleSet:
        """Validate, then swap the rule set in force for every process at once."""
        ruleset = await self.parse(text, source)
        stamp = f"{ruleset.version}@{now_ms()}"
        await self.redis.hset(self.keys.rules_current(), mapping={
            "version": ruleset.version, "source": source, "text": text, "stamp": stamp,
            "loaded_ms": str(now_ms()),
        })
        await self.redis.publish(self.keys.rules_channel(), stamp)
        self._ruleset, self._stamp, self._checked = ruleset, stamp, time.monotonic()
        return ruleset

    async def ensure_installed(self) -> RuleSet:
        """At startup: the configured file when set and different, else what Redis has."""
        stored = await self.redis.hgetall(self.keys.rules_current())
        if self.settings.rules_file is not None or not stored:
            text, source = initial_rules_text(self.settings)
            if stored.get("text") != text:
                return await self.install(text, source)
        return await self.ruleset()

    async def ruleset(self) -> RuleSet:
        """The rule set in force (re-read when another process installed a new one)."""
        now = time.monotonic()
        if self._ruleset is not None and now - self._checked < RECHECK_S:
            return self._ruleset
        self._checked = now
        stamp = await self.redis.hget(self.keys.rules_current(), "stamp")
        if stamp is None:
            return await self.ensure_installed()
        if stamp != self._stamp or self._ruleset is None:
            stored = await self.redis.hgetall(self.keys.rules_current())
            self._ruleset = await self.parse(stored["text"], stored["source"])
            self._stamp = stamp
        return self._ruleset

    def deadlines(self, start_ms: int, decision: Decision) -> tuple[int, int, list[int]]:
        """(deadline, yellow light, escalation times) of a case routed at ``start_ms``."""
        deadline = deadline_ms(start_ms, decision, self.calendar)
        yellow = yellow_at_ms(start_ms, deadline, decision, self.calendar)
        return deadline, yellow, escalation_times(deadline, decision, self.calendar)

    async def route(self, item: str, lat: float, lon: float, severity: str | None,
                    at_ms: int) -> Routing:
        """Where a report of ``item`` at (lat, lon) goes; BadRequest for bad input."""
        found = self.catalogue.get(item)
        if found is None:
            raise BadRequest(f"unknown item {item!r}", code="unknown_item", field="item")
        severity = severity or "normal"
        if severity not in SEVERITIES:
            raise BadRequest(f"severity is one of {', '.join(SEVERITIES)}",
                             code="invalid_field", field="severity")
        index = await self.org.index()
        grid = index.locate(lon, lat)
        if grid is None:
            raise BadRequest("the place is outside every grid of the street",
                             code="outside_grids", field="lat")
        station = await self.org.station_of(grid)
        ruleset = await self.ruleset()
        local = datetime.fromtimestamp(at_ms / MS_PER_S, self.zone).time()
        try:
            decision = route(ruleset, self.catalogue, item, station=station, grid=grid,
                             severity=severity, local_time=local)
        except RulesError as exc:
            raise BadRequest(str(exc), code="invalid_field", field="item") from exc
        if decision is None:
            return Routing(found, None, grid, station, None, None, [], None, ruleset.version)
        deadline, yellow, escalations = self.deadlines(at_ms, decision)
        return Routing(found, decision, grid, station, deadline, yellow, escalations,
                       decision.rule_id, ruleset.version)
