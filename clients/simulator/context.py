"""What every simulated person shares: options, HTTP client, figures, clock, tasks."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from clients.simulator.api import Api
from clients.simulator.catalogue import Catalogue
from clients.simulator.clock import SimClock
from clients.simulator.config import SimConfig
from clients.simulator.stats import ACCEPT_MS, OFFER_MS, PingLedger, Stats
from clients.simulator.street import Street

CANCEL_WAIT_S = 5.0
#: Offers seen before their report's answer, kept for matching (then forgotten).
EARLY_KEEP = 10_000


class Spawner:
    """Background tasks that must all be cancelled on the way out; a crash is an error."""

    def __init__(self, stats: Stats) -> None:
        self.stats = stats
        self.tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro, name=name)
        self.tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            self.stats.error(f"crash in {task.get_name().split(':')[0]}",
                             f"{type(exc).__name__}: {exc}")

    async def cancel_all(self) -> None:
        while self.tasks:
            pending = list(self.tasks)
            for task in pending:
                task.cancel()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.gather(*pending, return_exceptions=True),
                                       CANCEL_WAIT_S)
            self.tasks.difference_update(pending)


@dataclass
class Reports:
    """When each of our reports was sent, to time its offer and its acceptance.

    An offer can arrive before the answer to the report: it is kept a while and timed
    once the report's case id is known.
    """

    stats: Stats
    made: dict[str, float] = field(default_factory=dict)
    early: dict[str, float] = field(default_factory=dict)
    offered: set[str] = field(default_factory=set)
    accepted: set[str] = field(default_factory=set)

    def reported(self, case_id: str, sent_at: float) -> None:
        self.made.setdefault(case_id, sent_at)
        seen = self.early.pop(case_id, None)
        if seen is not None and case_id not in self.offered:
            self.offered.add(case_id)
            self.stats.time(OFFER_MS, seen - sent_at)

    def offer_seen(self, case_id: str) -> None:
        now = time.monotonic()
        at = self.made.get(case_id)
        if at is None:
            if len(self.early) >= EARLY_KEEP:
                self.early.clear()
            self.early[case_id] = now
        elif case_id not in self.offered:
            self.offered.add(case_id)
            self.stats.time(OFFER_MS, now - at)

    def accept_seen(self, case_id: str) -> None:
        at = self.made.get(case_id)
        if at is not None and case_id not in self.accepted:
            self.accepted.add(case_id)
            self.stats.time(ACCEPT_MS, time.monotonic() - at)


@dataclass
class Ctx:
    config: SimConfig
    api: Api
    stats: Stats
    rng: random.Random
    clock: SimClock
    tasks: Spawner
    ledger: PingLedger = field(default_factory=PingLedger)
    street: Street = field(default_factory=lambda: Street({}))
    catalogue: Catalogue = field(default_factory=Catalogue)
    reports: Reports = field(init=False)
    #: Set once everyone is set up: a stop then lets the run wind down.
    playing: bool = False
    #: Cases whose holder asked for more time, for the desk to approve.
    extensions: asyncio.Queue[str] = field(default_factory=asyncio.Queue)
    #: Each grid worker playing, and the protocol of their phone.
    phones: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.reports = Reports(self.stats)

    @property
    def ws_base(self) -> str:
        return self.config.ws_base

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        return self.tasks.spawn(coro, name)
