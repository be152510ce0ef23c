"""Command screens on ``/ws/screen``: follow the stream, resume with ``since``, time pings.

A ping's send time is remembered by (worker, ts); when a ``positions`` event shows it,
the difference is the ping → screen latency. One screen does the timing.
"""

from __future__ import annotations

from typing import Any

from clients.simulator.context import Ctx
from clients.simulator.sockets import Socket
from clients.simulator.stats import SCREEN_ALERTS, SCREEN_EVENTS, SCREEN_MS

SNAPSHOT = "snapshot"
POSITIONS = "positions"


class Screen:
    def __init__(self, ctx: Ctx, token: str, number: int, *, timing: bool) -> None:
        self.ctx = ctx
        self.number = number
        self.timing = timing
        self.last_seq: int | None = None
        self.snapshots = 0
        self.gaps = 0
        self.socket = Socket(ctx.ws_base, "/ws/screen", token, self._event, ctx.stats,
                             ctx.rng, label="screen socket", query=self._query)

    def _query(self) -> dict[str, str]:
        return {} if self.last_seq is None else {"since": str(self.last_seq)}

    def start(self) -> None:
        self.ctx.spawn(self.socket.run(), f"screen:{self.number}")

    async def _event(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        seq = event.get("seq")
        self.ctx.stats.add(SCREEN_EVENTS)
        if kind == SNAPSHOT:
            self.snapshots += 1
        elif isinstance(seq, int) and self.last_seq is not None and seq > self.last_seq + 1:
            self.gaps += 1
        if isinstance(seq, int):
            self.last_seq = seq
        if kind == POSITIONS and self.timing:
            self._time(event.get("items") or [])
        elif kind == "alert":
            self.ctx.stats.add(SCREEN_ALERTS)

    def _time(self, items: list[Any]) -> None:
        ledger, stats = self.ctx.ledger, self.ctx.stats
        for item in items:
            if not isinstance(item, dict):
                continue
            worker, ts = item.get("worker"), item.get("ts")
            if isinstance(worker, str) and isinstance(ts, int):
                waited = ledger.seen(worker, ts)
                if waited is not None:
                    stats.time(SCREEN_MS, waited)
