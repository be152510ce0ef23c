"""The command centre's desk (disp1): triage by hand (改派 by category), extensions (延期),
督办 of cases escalated to the desk, and acknowledging (确认) the alerts.

The desk's team socket brings the centre's offers (hard cases, and what no rule
covered) and escalations; a slow poll of the triage list catches anything missed, and
another of the open alerts acknowledges them after a while, as a dispatcher would.
"""

from __future__ import annotations

from typing import Any

from clients.simulator.context import Ctx
from clients.simulator.sockets import Socket
from clients.simulator.stats import (
    ALERTS_ACKED,
    APPROVED,
    CONFLICTS,
    OFFERS,
    OVERDUE,
    SUPERVISED,
    TRIAGED,
    WARNINGS,
    WHISTLES,
)

CONFLICT = 409
CENTRE = "centre"
TRIAGE_MEDIAN_S = 40.0
APPROVE_MEDIAN_S = 60.0
TRIAGE_POLL_S = 60.0
TRIAGE_QUERIES: tuple[dict[str, str], ...] = (
    {"state": "triage"},
    {"state": "dispatched", "department": CENTRE},
)
TRIAGE_NOTES = ("按事项类别改派", "请贵部门尽快处置", "经研判属贵部门职责")
APPROVE_NOTES = ("同意延期", "准予延期，请按期办结")
SUPERVISE_MEDIAN_S = 30.0
SUPERVISE_NOTES = ("已超期，请立即处置并反馈", "群众反映强烈，请今日办结")
#: Of the cases escalated to the desk, the share it also blows the whistle on (吹哨),
#: summoning the case's department and one more to be on site within WHISTLE_MIN.
WHISTLE_SHARE = 0.5
WHISTLE_MIN = 30
WHISTLE_ALSO = ("cgj", "zhzf", "pcs", "wy")
ALERT_POLL_S = 45.0
ACK_MEDIAN_S = 20.0
ACK_NOTES = ("已知悉", "已电话联系", "已通知网格站跟进", "")


class Desk:
    def __init__(self, ctx: Ctx, username: str, token: str) -> None:
        self.ctx = ctx
        self.username = username
        self.token = token
        self.socket = Socket(ctx.ws_base, "/ws/team", token, self._message, ctx.stats,
                             ctx.rng, label="desk socket")
        self.busy: set[str] = set()

    def start(self) -> None:
        self.ctx.spawn(self.socket.run(), f"desk-socket:{self.username}")
        self.ctx.spawn(self.poll(), f"desk-poll:{self.username}")
        self.ctx.spawn(self.approvals(), f"desk-approvals:{self.username}")
        self.ctx.spawn(self.alerts(), f"desk-alerts:{self.username}")

    async def _message(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        case = message.get("case")
        if kind == "job.offered" and isinstance(case, dict):
            self.ctx.stats.add(OFFERS)
            self.ctx.reports.offer_seen(str(case.get("id")))
            self.triage_later(case)
        elif kind == "job.warning":
            self.ctx.stats.add(WARNINGS)
        elif kind == "job.overdue":
            self.ctx.stats.add(OVERDUE)
            if message.get("level") and isinstance(case, dict):
                self.ctx.spawn(self.supervise(str(case.get("id"))), f"supervise:{case.get('id')}")
                if self.ctx.rng.random() < WHISTLE_SHARE:
                    self.ctx.spawn(self.whistle(case), f"whistle:{case.get('id')}")

    def triage_later(self, case: dict[str, Any]) -> None:
        cid = str(case.get("id"))
        if cid in self.busy:
            return
        self.busy.add(cid)

        async def run() -> None:
            try:
                await self.triage(case)
            finally:
                self.busy.discard(cid)

        self.ctx.spawn(run(), f"triage:{cid}")

    async def triage(self, case: dict[str, Any]) -> None:
        """Send the case to the department its category belongs to."""
        ctx, cid = self.ctx, str(case["id"])
        await ctx.clock.pause(TRIAGE_MEDIAN_S)
        department = ctx.catalogue.department_for(str(case.get("category") or ""), ctx.rng)
        if department is None:
            return
        reply = await ctx.api.post("reassign", f"/api/v1/cases/{cid}/reassign", self.token,
                                   {"department": department,
                                    "note": ctx.rng.choice(TRIAGE_NOTES)},
                                   expected={CONFLICT})
        if reply.ok:
            ctx.stats.add(TRIAGED)
        elif reply.status == CONFLICT:
            ctx.stats.add(CONFLICTS)

    async def poll(self) -> None:
        ctx = self.ctx
        while True:
            await ctx.clock.sleep(TRIAGE_POLL_S)
            for query in TRIAGE_QUERIES:
                reply = await ctx.api.get("triage list", "/api/v1/cases", self.token,
                                          params=query)
                items = reply.body.get("items", []) if isinstance(reply.body, dict) else []
                for case in items:
                    self.triage_later(case)

    async def supervise(self, cid: str) -> None:
        """督办 a case escalated to the desk."""
        ctx = self.ctx
        await ctx.clock.pause(SUPERVISE_MEDIAN_S)
        reply = await ctx.api.post("supervise", f"/api/v1/cases/{cid}/supervise", self.token,
                                   {"note": ctx.rng.choice(SUPERVISE_NOTES)},
                                   expected={CONFLICT})
        if reply.ok:
            ctx.stats.add(SUPERVISED)
        elif reply.status == CONFLICT:
            ctx.stats.add(CONFLICTS)

    async def whistle(self, case: dict[str, Any]) -> None:
        """吹哨: the case's department and one more are summoned to the site."""
        ctx, cid = self.ctx, str(case.get("id"))
        await ctx.clock.pause(SUPERVISE_MEDIAN_S)
        own = case.get("department")
        departments = [d for d in (own, ctx.rng.choice(WHISTLE_ALSO)) if d and d != CENTRE]
        if not departments:
            return
        reply = await ctx.api.post("whistle", f"/api/v1/cases/{cid}/whistle", self.token,
                                   {"departments": list(dict.fromkeys(departments)),
                                    "respond_min": WHISTLE_MIN}, expected={CONFLICT})
        if reply.ok:
            ctx.stats.add(WHISTLES)
        elif reply.status == CONFLICT:
            ctx.stats.add(CONFLICTS)

    async def alerts(self) -> None:
        """Acknowledge the open alerts, a while after they show."""
        ctx = self.ctx
        while True:
            await ctx.clock.sleep(ALERT_POLL_S)
            reply = await ctx.api.get("alerts", "/api/v1/alerts", self.token,
                                      params={"state": "open"})
            items = reply.body.get("items", []) if isinstance(reply.body, dict) else []
            for alert in items:
                alert_id = str(alert.get("id"))
                if alert_id not in self.busy:
                    self.busy.add(alert_id)
                    ctx.spawn(self.ack(alert_id), f"ack:{alert_id}")

    async def ack(self, alert_id: str) -> None:
        ctx = self.ctx
        try:
            await ctx.clock.pause(ACK_MEDIAN_S)
            reply = await ctx.api.post("ack alert", f"/api/v1/alerts/{alert_id}/ack",
                                       self.token, {"note": ctx.rng.choice(ACK_NOTES)},
                                       expected={CONFLICT})
            if reply.ok:
                ctx.stats.add(ALERTS_ACKED)
            elif reply.status == CONFLICT:
                ctx.stats.add(CONFLICTS)
        finally:
            self.busy.discard(alert_id)

    async def approvals(self) -> None:
        while True:
            cid = await self.ctx.extensions.get()
            self.ctx.spawn(self.approve(cid), f"approve:{cid}")

    async def approve(self, cid: str) -> None:
        ctx = self.ctx
        await ctx.clock.pause(APPROVE_MEDIAN_S)
        reply = await ctx.api.post("approve extension",
                                   f"/api/v1/cases/{cid}/approve_extension", self.token,
                                   {"approve": True, "note": ctx.rng.choice(APPROVE_NOTES)},
                                   expected={CONFLICT})
        if reply.ok:
            ctx.stats.add(APPROVED)
        elif reply.status == CONFLICT:
            ctx.stats.add(CONFLICTS)
