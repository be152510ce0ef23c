"""The disposal force (处置队伍) on ``/ws/team``: offers, races to accept, the work itself.

Every member of a department receives each offer; a few of those on duty race for it
after a human delay (only one can win: the others get 409 and see ``job.taken``).
Now and then the job goes back as not the department's, now and then the member is
late (the light turns yellow, then red), asks for more time, or notes progress; the
result goes up with photos.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from typing import Any

from clients.simulator.clock import now_ms
from clients.simulator.context import Ctx
from clients.simulator.reports import photos
from clients.simulator.sockets import Socket
from clients.simulator.stats import (
    ACCEPTED,
    CHECKINS,
    CHECKINS_REFUSED,
    CONFLICTS,
    EXTENSIONS,
    LOST_RACES,
    OFFERS,
    OVERDUE,
    PARTS_ACCEPTED,
    PARTS_LEFT_OPEN,
    PARTS_RESOLVED,
    PROGRESS,
    REJECTED,
    RESOLVED,
    TAKEN,
    WARNINGS,
)

HTTP_OK = 200
HTTP_BAD_REQUEST = 400
CONFLICT = 409
CONFLICT_CODES = frozenset({"already_taken", "invalid_state", "conflict"})
#: Real seconds to let every member's socket receive an offer before the race.
GATHER_REAL_S = 0.2
#: How many race for one offer: one, and each further one with this chance.
EXTRA_RACER_SHARE = 0.5
MAX_RACERS = 3
ACCEPT_MEDIAN_S = 25.0
WORK_MEDIAN_S = 100.0
LATE_WORK_MEDIAN_S = 420.0
PROGRESS_SHARE = 0.6
EXTENSION_SHARE = 0.08
EXTENSION_HOURS = 1
#: Share of accepts and progress notes sent on the socket rather than over HTTP.
SOCKET_ACTION_SHARE = 0.3
SOCKET_REPLY_TIMEOUT_S = 15.0
RESOLVE_PHOTOS = (1, 1, 2)
REJECT_REASONS = ("不属于本部门职责", "应由属地物业处理", "事项分类有误，请中心改派")
PROGRESS_NOTES = ("已到达现场", "正在处置中", "已联系责任单位", "材料已准备，明日施工")
RESOLVE_NOTES = ("已处置完毕，请核查", "问题已整改", "已清理完成", "已维修恢复")
EXTENSION_REASONS = ("需协调多个单位", "等待材料到货", "天气原因暂缓施工")
REOPENED = "reopened"
DISPATCHED = "dispatched"
HELD = ("accepted", REOPENED)
#: The lead waits this long (simulated) for the assisting parts, a few times, then resolves
#: naming the parts still open.
PARTS_WAIT_S = 300.0
PARTS_WAITS = 4
LEFT_OPEN_REASON = "协办部门未按时反馈，主办先行办结"
PART_RESOLVE_NOTES = ("已配合处置完毕", "协办事项已完成", "已按要求配合到场处置")
#: Of the members summoned by a whistle, the share who check in from too far first.
FAR_CHECKIN_SHARE = 0.25
CHECKIN_MEDIAN_S = 90.0
M_PER_DEG_LAT = 111_000.0
NEAR_M, FAR_M = 25.0, 1500.0


class Member:
    def __init__(self, ctx: Ctx, username: str, token: str, department: Department,
                 *, lead: bool = False) -> None:
        self.ctx = ctx
        self.username = username
        self.token = token
        self.department = department
        self.lead = lead
        self.socket = Socket(ctx.ws_base, "/ws/team", token, self._message, ctx.stats,
                             ctx.rng, label="team socket")
        self.seq = itertools.count(1)
        self.waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.working: set[str] = set()

    def start(self) -> None:
        self.ctx.spawn(self.socket.run(), f"team:{self.username}")

    # --- messages -----------------------------------------------------------------
    async def _message(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        case = message.get("case")
        if kind == "job.offered" and isinstance(case, dict) and message.get("part"):
            self.ctx.stats.add(OFFERS)
            self.department.offered_part(case, self)
        elif kind == "job.offered" and isinstance(case, dict):
            self._offered(case)
        elif kind == "whistle" and isinstance(case, dict):
            self.department.summoned(case, int(message.get("n") or 0))
        elif kind == "job.taken":
            self.ctx.stats.add(TAKEN)
        elif kind == "job.warning":
            self.ctx.stats.add(WARNINGS)
        elif kind == "job.overdue":
            self.ctx.stats.add(OVERDUE)
        elif kind == "job.updated" and isinstance(case, dict):
            self._updated(case)
        elif kind in ("ack", "error"):
            self._reply(message)

    def _offered(self, case: dict[str, Any]) -> None:
        self.ctx.stats.add(OFFERS)
        cid = str(case.get("id"))
        self.ctx.reports.offer_seen(cid)
        if case.get("state") == REOPENED and case.get("assignee") == self.username:
            self.take_on(case, redo=True)
        elif case.get("state") == DISPATCHED:
            self.department.offered(case, self)

    def _updated(self, case: dict[str, Any]) -> None:
        """A job given straight to this member (改派 to a person) is worked on at once."""
        if case.get("assignee") == self.username and case.get("state") in HELD:
            self.take_on(case, redo=case.get("state") == REOPENED)

    def _reply(self, message: dict[str, Any]) -> None:
        ref = message.get("ref")
        future = self.waiting.pop(ref, None) if isinstance(ref, int) else None
        if future is not None and not future.done():
            future.set_result(message)
        elif message.get("type") == "error":
            self.ctx.stats.error(f"team socket {message.get('code')}",
                                 str(message.get("message")))

    # --- actions --------------------------------------------------------------------
    async def _socket_action(self, action: str, cid: str, **fields: Any) -> int:
        """An action on the team socket; returns an HTTP-like status (0: no answer)."""
        seq = next(self.seq)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.waiting[seq] = future
        if not await self.socket.send({"type": action, "case": cid, "seq": seq, **fields}):
            self.waiting.pop(seq, None)
            return 0
        try:
            reply = await asyncio.wait_for(future, SOCKET_REPLY_TIMEOUT_S)
        except TimeoutError:
            self.waiting.pop(seq, None)
            self.ctx.stats.error("team socket no answer", f"{action} {cid}")
            return 0
        if reply.get("type") == "ack":
            return HTTP_OK
        code = str(reply.get("code"))
        if code in CONFLICT_CODES:
            return CONFLICT
        self.ctx.stats.error(f"team socket {action} {code}", str(reply.get("message")))
        return HTTP_BAD_REQUEST

    async def act(self, action: str, cid: str, body: dict[str, Any] | None = None) -> int:
        """Accept, progress or reject by socket or HTTP; other actions by HTTP."""
        body = body or {}
        if (action in ("accept", "progress", "reject") and self.socket.ws is not None
                and self.ctx.rng.random() < SOCKET_ACTION_SHARE):
            status = await self._socket_action(action, cid, **body)
            if status:
                return status
        reply = await self.ctx.api.post(action, f"/api/v1/cases/{cid}/{action}", self.token,
                                        body, expected={CONFLICT})
        return reply.status

    async def try_accept(self, case: dict[str, Any]) -> bool:
        cid = str(case["id"])
        await self.ctx.clock.pause(ACCEPT_MEDIAN_S)
        status = await self.act("accept", cid)
        if status == CONFLICT:
            self.ctx.stats.add(LOST_RACES)
            return False
        if status != HTTP_OK:
            return False
        self.ctx.stats.add(ACCEPTED)
        self.ctx.reports.accept_seen(cid)
        return True

    async def reject(self, case: dict[str, Any]) -> None:
        await self.ctx.clock.pause(ACCEPT_MEDIAN_S)
        status = await self.act("reject", str(case["id"]),
                                {"reason": self.ctx.rng.choice(REJECT_REASONS)})
        if status == HTTP_OK:
            self.ctx.stats.add(REJECTED)
        elif status == CONFLICT:
            self.ctx.stats.add(CONFLICTS)

    def take_on(self, case: dict[str, Any], *, redo: bool = False) -> None:
        cid = str(case["id"])
        if cid in self.working:
            return
        self.working.add(cid)

        async def run() -> None:
            try:
                await self.work(case, redo=redo)
            finally:
                self.working.discard(cid)

        self.ctx.spawn(run(), f"work:{self.username}:{cid}")

    async def work(self, case: dict[str, Any], *, redo: bool = False) -> None:
        ctx, cid = self.ctx, str(case["id"])
        if redo and await self.act("accept", cid) != HTTP_OK:
            return
        late = ctx.rng.random() < ctx.config.late_share
        total = ctx.clock.human(LATE_WORK_MEDIAN_S if late else WORK_MEDIAN_S)
        if ctx.rng.random() < EXTENSION_SHARE and not await self._extend(cid):
            return
        await ctx.clock.sleep(total / 2)
        if ctx.rng.random() < PROGRESS_SHARE:
            status = await self.act("progress", cid,
                                    {"note": ctx.rng.choice(PROGRESS_NOTES)})
            if status == CONFLICT:
                ctx.stats.add(CONFLICTS)
                return
            if status == HTTP_OK:
                ctx.stats.add(PROGRESS)
        await ctx.clock.sleep(total / 2)
        await self.resolve(cid)

    async def _extend(self, cid: str) -> bool:
        """Ask for more time (延期); the desk approves it. False: the job is gone."""
        body = {"hours": EXTENSION_HOURS, "reason": self.ctx.rng.choice(EXTENSION_REASONS)}
        reply = await self.ctx.api.post("extend", f"/api/v1/cases/{cid}/extend", self.token,
                                        body, expected={CONFLICT})
        if reply.ok:
            self.ctx.stats.add(EXTENSIONS)
            self.ctx.extensions.put_nowait(cid)
        return reply.status != CONFLICT or reply.code == "extension_pending"

    async def resolve(self, cid: str) -> None:
        """The result; while assisting parts are open (409 ``parts_open``) the lead waits
        for them a few times, then names the ones still open with a reason."""
        ctx = self.ctx
        media = await photos(ctx, self.token, ctx.rng.choice(RESOLVE_PHOTOS))
        body: dict[str, Any] = {"note": ctx.rng.choice(RESOLVE_NOTES), "media": media}
        for attempt in range(PARTS_WAITS + 1):
            reply = await ctx.api.post("resolve", f"/api/v1/cases/{cid}/resolve", self.token,
                                       body, expected={CONFLICT})
            if reply.ok:
                ctx.stats.add(RESOLVED)
                return
            if reply.status != CONFLICT or reply.code != "parts_open":
                if reply.status == CONFLICT:
                    ctx.stats.add(CONFLICTS)
                return
            still = reply.body["error"].get("parts") or []
            if attempt == PARTS_WAITS - 1:
                body["left_open"] = [{"department": d, "reason": LEFT_OPEN_REASON}
                                     for d in still]
                ctx.stats.add(PARTS_LEFT_OPEN, len(still))
            else:
                await ctx.clock.sleep(PARTS_WAIT_S)

    async def work_part(self, case: dict[str, Any]) -> None:
        """The department's own part of a joint case (协办): progress, then the result."""
        ctx, cid, dept = self.ctx, str(case["id"]), self.department.id
        base = f"/api/v1/cases/{cid}/parts/{dept}"
        late = ctx.rng.random() < ctx.config.late_share
        total = ctx.clock.human(LATE_WORK_MEDIAN_S if late else WORK_MEDIAN_S)
        await ctx.clock.sleep(total / 2)
        if ctx.rng.random() < PROGRESS_SHARE:
            await ctx.api.post("part progress", f"{base}/progress", self.token,
                               {"note": ctx.rng.choice(PROGRESS_NOTES)}, expected={CONFLICT})
        await ctx.clock.sleep(total / 2)
        media = await photos(ctx, self.token, 1)
        reply = await ctx.api.post("part resolve", f"{base}/resolve", self.token,
                                   {"note": ctx.rng.choice(PART_RESOLVE_NOTES), "media": media},
                                   expected={CONFLICT})
        if reply.ok:
            ctx.stats.add(PARTS_RESOLVED)
        elif reply.status == CONFLICT:
            ctx.stats.add(CONFLICTS)

    async def check_in(self, case: dict[str, Any], away_m: float = NEAR_M) -> None:
        """报到 for a whistle: the phone's fix, ``away_m`` from the case, then the check-in
        (refused from too far: the server judges the fix, not the tap)."""
        ctx, cid = self.ctx, str(case["id"])
        lat, lon = float(case["lat"]), float(case["lon"])
        await ctx.clock.pause(CHECKIN_MEDIAN_S)
        fix = {"lat": lat + away_m / M_PER_DEG_LAT, "lon": lon, "ts": now_ms() - 1_000,
               "acc": 8}
        await ctx.api.post("member fix", "/api/v1/locations", self.token, {"items": [fix]})
        reply = await ctx.api.post("checkin", f"/api/v1/cases/{cid}/checkin", self.token,
                                   {}, expected={CONFLICT, 403})
        if reply.ok:
            ctx.stats.add(CHECKINS)
        elif reply.code == "not_on_site":
            ctx.stats.add(CHECKINS_REFUSED)


@dataclass
class Department:
    """The simulated people of one department, and who races for each offer."""

    ctx: Ctx
    id: str
    people: list[Member] = field(default_factory=list)
    racing: set[str] = field(default_factory=set)

    #: Joint cases whose part is being raced for or worked on, and whistles answered.
    parts: set[str] = field(default_factory=set)
    answered: set[str] = field(default_factory=set)

    def offered_part(self, case: dict[str, Any], member: Member) -> None:
        """Members race for the department's part of a joint case; the winner works it."""
        cid = str(case.get("id"))
        if cid in self.parts:
            return
        self.parts.add(cid)
        self.ctx.spawn(self.race_part(case), f"race-part:{self.id}:{cid}")

    async def race_part(self, case: dict[str, Any]) -> None:
        cid = str(case["id"])
        await asyncio.sleep(GATHER_REAL_S)
        for member in self._racers():
            await self.ctx.clock.pause(ACCEPT_MEDIAN_S)
            reply = await self.ctx.api.post(
                "part accept", f"/api/v1/cases/{cid}/parts/{self.id}/accept", member.token,
                {}, expected={CONFLICT, 404})
            if reply.ok:
                self.ctx.stats.add(PARTS_ACCEPTED)
                await member.work_part(case)
                return
            self.ctx.stats.add(LOST_RACES)

    def summoned(self, case: dict[str, Any], n: int) -> None:
        """Whistle ``n`` on a case: one member of the department goes on site and checks
        in (every member's socket hears it; the department answers once)."""
        key = f"{case.get('id')}|{n}"
        if key in self.answered:
            return
        self.answered.add(key)
        on_duty = self._on_duty()
        if not on_duty:
            return
        first, *others = self.ctx.rng.sample(on_duty, min(2, len(on_duty)))
        if others and self.ctx.rng.random() < FAR_CHECKIN_SHARE:  # one taps from afar
            self.ctx.spawn(others[0].check_in(case, FAR_M), f"checkin-far:{self.id}")
        self.ctx.spawn(first.check_in(case), f"checkin:{self.id}:{case.get('id')}")

    def offered(self, case: dict[str, Any], member: Member) -> None:
        cid = str(case.get("id"))
        if cid in self.racing or any(cid in m.working for m in self.people):
            return
        self.racing.add(cid)
        self.ctx.spawn(self.race(case), f"race:{self.id}:{cid}")

    def _on_duty(self) -> list[Member]:
        up = [m for m in self.people if m.socket.ws is not None]
        members = [m for m in up if not m.lead]
        return members or up

    def _racers(self) -> list[Member]:
        rng = self.ctx.rng
        on_duty = self._on_duty()
        count = 1
        while count < MAX_RACERS and rng.random() < EXTRA_RACER_SHARE:
            count += 1
        return rng.sample(on_duty, min(count, len(on_duty)))

    async def race(self, case: dict[str, Any]) -> None:
        cid = str(case["id"])
        try:
            await asyncio.sleep(GATHER_REAL_S)
            racers = self._racers()
            if not racers:
                return
            if self.ctx.rng.random() < self.ctx.config.reject_share:
                await racers[0].reject(case)
                return
            won = await asyncio.gather(*(m.try_accept(case) for m in racers))
            for member, ok in zip(racers, won, strict=True):
                if ok:
                    member.take_on(case)
        finally:
            self.racing.discard(cid)
