"""The district centre's view: its user polls ``GET /api/v1/district`` as its page does.

Each answer names every street the district serves with its figures (open, red,
reported, closed, the rates) and the district's totals; the last one is kept for the
live figures, and a street missing from it, or a street's figures going backwards, is
an error.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

from clients.simulator.api import Api
from clients.simulator.config import SimConfig
from clients.simulator.context import Spawner
from clients.simulator.stats import PEOPLE, Stats

DISTRICT_PATH = "/api/v1/district"
DISTRICT_POLLS = "district_polls"
#: A street's counts that only grow through a day.
GROWING = ("reported", "reported_closed")


class DistrictWatch:
    def __init__(self, config: SimConfig, api: Api, stats: Stats, tasks: Spawner,
                 rng: random.Random) -> None:
        self.config = config
        self.api = api
        self.stats = stats
        self.tasks = tasks
        self.rng = rng
        self.token = ""
        self.rows: dict[str, dict[str, Any]] = {}
        self.totals: dict[str, Any] = {}
        self.day = ""

    async def sign_in(self) -> list[str]:
        """Sign in; the codes of the streets the district user sees."""
        self.stats.add(PEOPLE)
        self.token = await self.api.login(self.config.district_user, self.config.password)
        if not await self.poll():
            return []
        return list(self.rows)

    def start(self) -> None:
        self.tasks.spawn(self.run(), "district-view")

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.config.district_poll_s * self.rng.uniform(0.9, 1.1))
            await self.poll()

    async def poll(self) -> bool:
        reply = await self.api.get("district view", DISTRICT_PATH, self.token)
        if not reply.ok or not isinstance(reply.body, dict):
            return False
        self.stats.add(DISTRICT_POLLS)
        self._check(reply.body)
        self.day = str(reply.body.get("date", ""))
        self.rows = {str(r["street"]): r for r in reply.body.get("streets", [])
                     if isinstance(r, dict) and r.get("street")}
        self.totals = dict(reply.body.get("totals") or {})
        return True

    def _check(self, body: dict[str, Any]) -> None:
        rows = {str(r.get("street")): r for r in body.get("streets", []) if isinstance(r, dict)}
        for code in self.rows:
            if code not in rows:
                self.stats.error("district view lost a street", code)
        if str(body.get("date", "")) != self.day:
            return  # a new day starts from zero
        for code, row in rows.items():
            before = self.rows.get(code)
            for name in GROWING:
                if before is not None and int(row.get(name, 0)) < int(before.get(name, 0)):
                    self.stats.error("district view went backwards",
                                     f"{code} {name} {before.get(name)} -> {row.get(name)}")
