"""Live figures of a district: a row per street and the district's totals.

Each row shows what the simulator did in the street (people signed in, pings per second,
pings by protocol, reports, offers, acceptances, closures, errors) beside what the
district centre's view (``GET /api/v1/district``) says of it (open, red, closed today).
On a terminal the table is refreshed every second; otherwise a totals line each second
and the streets' lines every ``PLAIN_STREETS_EVERY`` seconds.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any, TextIO

from rich.console import Console
from rich.live import Live
from rich.table import Table

from clients.simulator import stats as S
from clients.simulator.display import REFRESH_S, error_lines
from clients.simulator.district_mode import District, totals
from clients.simulator.phones import PhoneKind
from clients.simulator.stats import Stats

TOTAL = "total"
TABLE_WIDTH = 132
PLAIN_STREETS_EVERY = 10
NONE = "-"
#: (label, what) of every column after the street's code.
COLUMNS = ("in", "ping/s", "ws", "osmand", "owntr", "reports", "offers", "accepted",
           "resolved", "verified", "errors", "open", "red", "closed")
#: The table's heading of each column, where it is shorter than the plain line's.
HEADINGS = {"accepted": "acc", "resolved": "resolv", "verified": "verif", "errors": "err"}

Snapshot = dict[str, Counter[str]]


def cells(stats: Stats, previous: Counter[str], dt: float, row: dict[str, Any] | None
          ) -> list[str]:
    """A street's (or the district's) figures, in COLUMNS order."""
    per_s = (stats[S.PINGS] - previous[S.PINGS]) / dt if dt > 0 else 0.0
    kinds = [str(stats[S.pings_of(kind)]) for kind in PhoneKind]
    view = [NONE, NONE, NONE] if row is None else [
        str(row.get("open", NONE)), str(row.get("red", NONE)),
        str(row.get("reported_closed", NONE))]
    return [f"{stats[S.LOGINS]}/{stats[S.PEOPLE]}", f"{per_s:.1f}", *kinds,
            str(stats[S.REPORTS]), str(stats[S.OFFERS]), str(stats[S.ACCEPTED]),
            str(stats[S.RESOLVED]), str(stats[S.VERIFIED]), str(stats[S.ERRORS]), *view]


def rows(district: District, previous: Snapshot, dt: float) -> list[tuple[str, list[str]]]:
    """(street, cells) for every street, then the district's totals."""
    view = district.watch.rows
    out = [(code, cells(ctx.stats, previous.get(code, Counter()), dt, view.get(code)))
           for code, ctx in district.streets.items()]
    out.append((TOTAL, cells(totals(district), previous.get(TOTAL, Counter()), dt,
                             district.watch.totals or None)))
    return out


def snapshot(district: District) -> Snapshot:
    shot = {code: Counter(ctx.stats.counts) for code, ctx in district.streets.items()}
    shot[TOTAL] = Counter(totals(district).counts)
    return shot


def line(code: str, shown: list[str]) -> str:
    return f"{code:>14} " + " ".join(f"{label}={value}" for label, value
                                      in zip(COLUMNS, shown, strict=True))


def table(district: District, previous: Snapshot, dt: float) -> Table:
    elapsed = time.monotonic() - district.stats.started
    t = Table(title=f"dispatch simulate --district  ({elapsed:.0f} s; open/red/closed: "
                    "the district view)")
    width = max([len(TOTAL), *(len(code) for code in district.streets)])
    t.add_column("street", style="cyan", no_wrap=True, min_width=width)
    for label in COLUMNS:
        heading = HEADINGS.get(label, label)
        t.add_column(heading, justify="right", no_wrap=True, min_width=len(heading))
    for code, shown in rows(district, previous, dt):
        t.add_row(code, *shown, style="bold" if code == TOTAL else None)
    return t


class DistrictPrinter:
    """Runs until cancelled: the table on a terminal, else plain lines."""

    def __init__(self, district: District, *, plain: bool = False, out: TextIO | None = None,
                 tick: Callable[[], Awaitable[None]] | None = None) -> None:
        self.district = district
        self.out = out or sys.stdout
        self.plain = plain or not self.out.isatty()
        self.tick = tick or (lambda: asyncio.sleep(REFRESH_S))

    async def run(self) -> None:
        previous, last, ticks = snapshot(self.district), time.monotonic(), 0
        if self.plain:
            while True:
                await self.tick()
                now, ticks = time.monotonic(), ticks + 1
                shown = rows(self.district, previous, now - last)
                chosen = shown if ticks % PLAIN_STREETS_EVERY == 0 else shown[-1:]
                print("\n".join(line(code, c) for code, c in chosen), file=self.out,
                      flush=True)
                previous, last = snapshot(self.district), now
        console = Console(file=self.out, width=TABLE_WIDTH)
        with Live(table(self.district, previous, 0.0), console=console,
                  auto_refresh=False) as live:
            while True:
                await self.tick()
                now = time.monotonic()
                live.update(table(self.district, previous, now - last), refresh=True)
                previous, last = snapshot(self.district), now


def summary(district: District) -> list[str]:
    """The lines printed at the end: every street, the totals, the errors by kind."""
    shown = rows(district, {}, 0.0)
    out = ["simulated district:"] + [line(code, c) for code, c in shown]
    errors = error_lines(totals(district))
    if errors:
        out += ["errors by kind:", *errors]
    return out
