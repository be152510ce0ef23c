"""Live figures in the terminal: a rich table refreshed every second, or a plain line.

``figures`` turns the counters into labelled values (rates over the last second);
the table and the line show the same fields.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import TextIO

from rich.console import Console
from rich.live import Live
from rich.table import Table

from clients.simulator import stats as S
from clients.simulator.stats import P50, Stats

REFRESH_S = 1.0
TOP_ERRORS = 8
NONE = "-"

Figure = tuple[str, str]


def ms(value: float | None) -> str:
    return NONE if value is None else f"{value:.0f} ms"


def duration(value: float | None) -> str:
    """A latency that may run to minutes (report -> accepted)."""
    if value is None:
        return NONE
    return f"{value:.0f} ms" if value < S.MS_PER_S else f"{value / S.MS_PER_S:.1f} s"


def figures(stats: Stats, previous: Counter[str], dt: float) -> list[Figure]:
    """Every live figure, in display order; rates are over ``dt`` seconds."""
    def rate(name: str) -> str:
        per_s = (stats[name] - previous[name]) / dt if dt > 0 else 0.0
        return f"{per_s:.1f}"

    signed_in = f"{stats[S.LOGINS]}/{stats[S.PEOPLE]}"
    if stats[S.LOGIN_WAITS] and stats[S.LOGINS] < stats[S.PEOPLE]:
        signed_in += " (limited)"
    return [
        ("signed in", signed_in),
        ("pings/s", rate(S.PINGS)),
        ("acks", str(stats[S.ACKS])),
        ("ack p50", ms(stats.p(S.ACK_MS, P50))),
        ("late uploaded", str(stats[S.LATE_UPLOADED])),
        ("patrols on/off/refused",
         f"{stats[S.PATROLS_STARTED]}/{stats[S.PATROLS_ENDED]}/{stats[S.PATROLS_REFUSED]}"),
        ("reports", str(stats[S.REPORTS])),
        ("refused (expected)", str(stats[S.REFUSED])),
        ("duplicates", str(stats[S.DUPLICATES])),
        ("offers received", str(stats[S.OFFERS])),
        ("accepted", str(stats[S.ACCEPTED])),
        ("accept p50", duration(stats.p(S.ACCEPT_MS, P50))),
        ("lost races", str(stats[S.LOST_RACES])),
        ("rejected", str(stats[S.REJECTED])),
        ("resolved", str(stats[S.RESOLVED])),
        ("verified ok/fail", f"{stats[S.VERIFIED]}/{stats[S.VERIFY_FAILED]}"),
        ("triaged", str(stats[S.TRIAGED])),
        ("supervised/alerts acked", f"{stats[S.SUPERVISED]}/{stats[S.ALERTS_ACKED]}"),
        ("warnings/overdue", f"{stats[S.WARNINGS]}/{stats[S.OVERDUE]}"),
        ("errors", str(stats[S.ERRORS])),
        ("reconnects", str(stats[S.RECONNECTS])),
        ("screen events/s", rate(S.SCREEN_EVENTS)),
        ("ping->screen p50", ms(stats.p(S.SCREEN_MS, P50))),
    ]


#: The status line: the figures that tell a street is alive, in at most WIDTH columns.
WIDTH = 80
LINE_FIELDS = (("signed in", "in"), ("pings/s", "ping/s"), ("ack p50", "ack"),
               ("reports", "rep"), ("accepted", "acc"), ("errors", "err"),
               ("reconnects", "recon"), ("screen events/s", "scr/s"))


def plain_line(stats: Stats, previous: Counter[str], dt: float) -> str:
    """One status line of at most WIDTH columns (the table shows every figure)."""
    shown = dict(figures(stats, previous, dt))
    cells = [f"t={stats.elapsed():.0f}s"]
    cells += [f"{short}={shown[label].replace(' ', '')}" for label, short in LINE_FIELDS]
    line = " ".join(cells)
    return line if len(line) <= WIDTH else line[: WIDTH - 1] + "…"


def table(stats: Stats, previous: Counter[str], dt: float, title: str) -> Table:
    shown = figures(stats, previous, dt)
    half = (len(shown) + 1) // 2
    t = Table(title=f"{title}  ({stats.elapsed():.0f} s)", show_header=False)
    for _ in range(2):
        t.add_column(justify="left", style="cyan")
        t.add_column(justify="right")
    for i in range(half):
        right = shown[half + i] if half + i < len(shown) else ("", "")
        t.add_row(*shown[i], *right)
    return t


def error_lines(stats: Stats) -> list[str]:
    lines = []
    for kind, count in stats.errors.most_common(TOP_ERRORS):
        detail = stats.last_error.get(kind, "")
        lines.append(f"  {count:6d}  {kind}" + (f"  (last: {detail})" if detail else ""))
    return lines


class FiguresPrinter:
    """Runs until cancelled: a live table on a terminal, else a plain line per second."""

    def __init__(self, stats: Stats, *, plain: bool = False, title: str = "dispatch simulate",
                 out: TextIO | None = None, clock: Callable[[], float] = time.monotonic,
                 tick: Callable[[], Awaitable[None]] | None = None) -> None:
        self.stats = stats
        self.out = out or sys.stdout
        self.plain = plain or not self.out.isatty()
        self.title = title
        self.clock = clock
        #: What the printer waits for between two refreshes (tests give their own ticks).
        self.tick = tick or (lambda: asyncio.sleep(REFRESH_S))

    async def run(self) -> None:
        previous: Counter[str] = Counter(self.stats.counts)
        last = self.clock()
        if self.plain:
            while True:
                await self.tick()
                now = self.clock()
                print(plain_line(self.stats, previous, now - last), file=self.out, flush=True)
                previous, last = Counter(self.stats.counts), now
        console = Console(file=self.out, width=WIDTH)
        with Live(table(self.stats, previous, 0.0, self.title), console=console,
                  auto_refresh=False) as live:
            while True:
                await self.tick()
                now = self.clock()
                live.update(table(self.stats, previous, now - last, self.title), refresh=True)
                previous, last = Counter(self.stats.counts), now
