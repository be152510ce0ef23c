"""A grid worker (网格员): walks and streams, patrols, reports, verifies, solves on the spot."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from clients.simulator.clock import now_ms
from clients.simulator.context import Ctx
from clients.simulator.phones import (
    FIX_SIM_S,
    OsmAndPhone,
    OwnTracksPhone,
    Phone,
    PhoneKind,
    SocketPhone,
)
from clients.simulator.reports import DUPLICATE_AFTER_S, Reporter
from clients.simulator.stats import (
    CONFLICTS,
    PATROLS_ENDED,
    PATROLS_REFUSED,
    PATROLS_STARTED,
    RESOLVED,
    VERIFIED,
    VERIFY_FAILED,
)
from clients.simulator.street import GridShape
from clients.simulator.walker import Walker

MIN_FIX_REAL_S = 0.1
SECONDS_PER_MIN = 60.0
#: Patrols start at a random moment within this (simulated seconds) so not all at once.
PATROL_STAGGER_S = 120.0
PATROL_LENGTH_SPREAD = 0.2
#: A refused patrol start (outside the patrol window) is tried again this much later.
PATROL_RETRY_S = 300.0
PATROL_REFUSALS = frozenset({400, 409, 422})
#: Grid workers look for results to verify this often (the socket's tasks come faster).
VERIFY_POLL_S = 120.0
VERIFY_POLL_SOCKET_S = 600.0
VERIFY_MEDIAN_S = 60.0
#: Simple items the worker solves on the spot, in about this long.
ON_THE_SPOT_MEDIAN_S = 120.0
CONFLICT = 409
IN_PROGRESS = "in_progress"
OUTSIDE_WINDOW = "outside_window"
#: Share of patrol starts and ends a socket phone sends as socket messages.
SOCKET_PATROL_SHARE = 0.5
OWN_STATES = "resolved,accepted,reopened"
FIX_NOTES = ("已现场处置完毕", "已清理干净", "已劝导整改", "已恢复原状")
VERIFY_OK_NOTES = ("现场核查通过", "已整改到位", "核查无误")
VERIFY_FAIL_NOTES = ("现场仍未整改", "处置不彻底，需返工", "照片与现场不符")


class GridWorker:
    def __init__(self, ctx: Ctx, username: str, token: str, grid: GridShape,
                 kind: PhoneKind) -> None:
        self.ctx = ctx
        self.username = username
        self.token = token
        self.grid = grid
        self.walker = Walker(grid, ctx.rng)
        self.phone = self._phone(kind)
        self.reporter = Reporter(ctx, username, token, self.walker)
        self.seq = 0
        self.offline: list[dict[str, Any]] = []
        self.signal = True
        self.busy: set[str] = set()

    def _phone(self, kind: PhoneKind) -> Phone:
        if kind is PhoneKind.OSMAND:
            return OsmAndPhone(self.ctx, self.username, self.ctx.rng)
        if kind is PhoneKind.OWNTRACKS:
            return OwnTracksPhone(self.ctx, self.username, self.ctx.config.password)
        return SocketPhone(self.ctx, self.username, self.token, self.on_task)

    def start(self) -> None:
        name = self.username
        self.ctx.spawn(self.phone.run(), f"phone:{name}")
        self.ctx.spawn(self.walk(), f"walk:{name}")
        self.ctx.spawn(self.patrols(), f"patrol:{name}")
        self.ctx.spawn(self.reports(), f"reports:{name}")
        self.ctx.spawn(self.poll_own_cases(), f"verify-poll:{name}")

    # --- walking and streaming ----------------------------------------------------
    async def walk(self) -> None:
        clock = self.ctx.clock
        interval = max(MIN_FIX_REAL_S, clock.real(FIX_SIM_S))
        await asyncio.sleep(self.ctx.rng.uniform(0.0, interval))
        last = time.monotonic()
        while True:
            await asyncio.sleep(interval)
            now = time.monotonic()
            fix = self.walker.step((now - last) * clock.speed)
            last = now
            self.seq += 1
            ping = fix.ping(self.seq, now_ms())
            if not fix.signal:
                await self._lost(ping)
                continue
            if not self.signal:
                self._regained()
            await self.phone.fix(ping)

    async def _lost(self, ping: dict[str, Any]) -> None:
        if self.signal:
            self.signal = False
            await self.phone.lose_signal()
        self.offline.append(ping)

    def _regained(self) -> None:
        self.signal = True
        self.phone.regain_signal()
        late, self.offline = self.offline, []
        self.ctx.spawn(self.phone.upload_late(late), f"late:{self.username}")

    # --- patrols ------------------------------------------------------------------
    async def patrols(self) -> None:
        clock, rng, cfg = self.ctx.clock, self.ctx.rng, self.ctx.config
        await clock.sleep(rng.uniform(0.0, PATROL_STAGGER_S))
        while True:
            patrol = await self.start_patrol()
            if patrol is None:
                await clock.sleep(PATROL_RETRY_S)
                continue
            length = cfg.patrol_min * SECONDS_PER_MIN
            await clock.sleep(length * rng.uniform(1 - PATROL_LENGTH_SPREAD,
                                                   1 + PATROL_LENGTH_SPREAD))
            await self.end_patrol(patrol)
            await clock.sleep(cfg.patrol_rest_min * SECONDS_PER_MIN)

    def _on_socket(self) -> SocketPhone | None:
        """The phone's socket, for patrol messages now and then (else HTTP)."""
        phone = self.phone
        if (isinstance(phone, SocketPhone) and phone.socket.ws is not None
                and self.ctx.rng.random() < SOCKET_PATROL_SHARE):
            return phone
        return None

    async def start_patrol(self) -> str | None:
        socket = self._on_socket()
        if socket is not None:
            answer = await socket.patrol("patrol.start")
            if answer is not None:
                return self._started(answer.get("patrol"), answer.get("code"))
        reply = await self.ctx.api.post("patrol start", "/api/v1/patrols/start", self.token,
                                        {}, expected=PATROL_REFUSALS)
        if reply.status == CONFLICT and reply.code != OUTSIDE_WINDOW:
            running = await self.running_patrol()
            if running:
                return running
        if reply.ok or reply.status in PATROL_REFUSALS:
            return self._started(reply.body if reply.ok else None, reply.code)
        return None

    def _started(self, patrol: Any, refusal: Any) -> str | None:
        if isinstance(patrol, dict) and patrol.get("id"):
            self.ctx.stats.add(PATROLS_STARTED)
            return str(patrol["id"])
        if refusal:
            self.ctx.stats.add(PATROLS_REFUSED)
        return None

    async def running_patrol(self) -> str | None:
        """A patrol left running (say, by an earlier run of the simulator)."""
        reply = await self.ctx.api.get("patrol list", "/api/v1/patrols", self.token,
                                       params={"worker": self.username})
        items = reply.body.get("items", []) if isinstance(reply.body, dict) else []
        found = [p for p in items if isinstance(p, dict) and p.get("status") == IN_PROGRESS]
        return str(found[0]["id"]) if found else None

    async def end_patrol(self, patrol: str) -> None:
        socket = self._on_socket()
        if socket is not None:
            answer = await socket.patrol("patrol.end")
            if answer is not None and answer.get("type") == "patrol.ended":
                self.ctx.stats.add(PATROLS_ENDED)
                return
        reply = await self.ctx.api.post("patrol end", f"/api/v1/patrols/{patrol}/end",
                                        self.token, {}, expected={CONFLICT})
        if reply.ok:
            self.ctx.stats.add(PATROLS_ENDED)

    # --- reports ------------------------------------------------------------------
    async def reports(self) -> None:
        clock, rng, cfg = self.ctx.clock, self.ctx.rng, self.ctx.config
        while True:
            await clock.sleep(clock.poisson_gap(cfg.report_every_s))
            if rng.random() < cfg.bad_share:
                await self.reporter.bad()
                continue
            sent = await self.reporter.good()
            if sent.case is None:
                continue
            self._maybe_mine(sent.case)
            if rng.random() < cfg.retry_share:
                await self.reporter.retry(sent)
            if rng.random() < cfg.duplicate_share:
                await clock.pause(DUPLICATE_AFTER_S)
                await self.reporter.duplicate(sent)

    def _maybe_mine(self, case: dict[str, Any]) -> None:
        """A simple item lands with the worker who reported it: solve it on the spot."""
        state = case.get("state")
        if case.get("assignee") == self.username and state in ("accepted", "reopened"):
            self._spawn_once(case, self.solve(case), "solve")

    def _spawn_once(self, case: dict[str, Any], coro: Any, what: str) -> None:
        cid = str(case.get("id"))
        if cid in self.busy:
            coro.close()
            return
        self.busy.add(cid)
        task = self.ctx.spawn(coro, f"{what}:{self.username}:{cid}")
        task.add_done_callback(lambda _: self.busy.discard(cid))

    async def solve(self, case: dict[str, Any]) -> None:
        ctx, cid = self.ctx, str(case["id"])
        await ctx.clock.pause(ON_THE_SPOT_MEDIAN_S)
        if case.get("state") == "reopened":
            await ctx.api.post("accept own", f"/api/v1/cases/{cid}/accept", self.token, {},
                               expected={CONFLICT})
        media = await self.reporter.photos(1)
        reply = await ctx.api.post("resolve own", f"/api/v1/cases/{cid}/resolve", self.token,
                                   {"note": ctx.rng.choice(FIX_NOTES), "media": media},
                                   expected={CONFLICT})
        if reply.ok:
            ctx.stats.add(RESOLVED)
        elif reply.status == CONFLICT:
            ctx.stats.add(CONFLICTS)

    # --- verification (核查) ---------------------------------------------------------
    async def on_task(self, message: dict[str, Any]) -> None:
        case = message.get("case")
        if not isinstance(case, dict) or not case.get("id"):
            return
        if message.get("kind") == "verify":
            self._spawn_once(case, self.verify(case), "verify")
        elif message.get("kind") == "handle":
            self._maybe_mine(case)

    async def verify(self, case: dict[str, Any]) -> None:
        ctx, cid = self.ctx, str(case["id"])
        await ctx.clock.pause(VERIFY_MEDIAN_S)
        ok = ctx.rng.random() >= ctx.config.verify_fail_share
        note = ctx.rng.choice(VERIFY_OK_NOTES if ok else VERIFY_FAIL_NOTES)
        reply = await ctx.api.post("verify", f"/api/v1/cases/{cid}/verify", self.token,
                                   {"ok": ok, "note": note}, expected={CONFLICT})
        if reply.ok:
            ctx.stats.add(VERIFIED if ok else VERIFY_FAILED)
        elif reply.status == CONFLICT:
            ctx.stats.add(CONFLICTS)

    async def poll_own_cases(self) -> None:
        """What the field app shows: results to verify in the grid, simple jobs held."""
        ctx = self.ctx
        every = VERIFY_POLL_SOCKET_S if isinstance(self.phone, SocketPhone) else VERIFY_POLL_S
        while True:
            await ctx.clock.sleep(ctx.rng.uniform(every / 2, every))
            reply = await ctx.api.get("own cases", "/api/v1/cases", self.token,
                                      params={"grid": self.grid.id, "state": OWN_STATES})
            items = reply.body.get("items", []) if isinstance(reply.body, dict) else []
            for case in items:
                if case.get("state") == "resolved":
                    self._spawn_once(case, self.verify(case), "verify")
                else:
                    self._maybe_mine(case)
