"""``dispatch simulate``: the street (the demo), every street of a district (--district)
or a load test, until Ctrl-C or --duration.

Ctrl-C and SIGTERM stop it cleanly: every task is cancelled, every socket closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import signal
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from clients.simulator.api import Api, LoginRefused
from clients.simulator.clock import SimClock
from clients.simulator.config import SimConfig, parse_args
from clients.simulator.context import Ctx, Spawner
from clients.simulator.display import FiguresPrinter, error_lines, figures
from clients.simulator.district_display import DistrictPrinter, summary
from clients.simulator.district_mode import (
    District,
    describe_plan,
    make_district,
    start_district,
    totals,
)
from clients.simulator.load import REPORTS_IN_FLIGHT, print_table, run_load
from clients.simulator.stats import Stats
from clients.simulator.street_mode import SetupFailed, start_street

EXIT_OK = 0
EXIT_FAIL = 1
#: Pooled HTTP connections: the street's phones and members, or a load test's reports.
STREET_CONNECTIONS = 64
LOAD_CONNECTIONS = REPORTS_IN_FLIGHT
#: After Ctrl-C, how long a run may take to finish (a load test prints its table).
WIND_DOWN_S = 30.0


def make_context(config: SimConfig) -> Ctx:
    rng = random.Random(config.seed)
    stats = Stats(rng=random.Random(rng.random()))
    connections = LOAD_CONNECTIONS if config.load_mode else STREET_CONNECTIONS
    return Ctx(config=config, api=Api(config.url, stats, connections=connections),
               stats=stats, rng=rng, clock=SimClock(config.speed, rng), tasks=Spawner(stats))


async def run_street(ctx: Ctx, stop: asyncio.Event) -> None:
    await start_street(ctx)
    ctx.playing = True
    if not ctx.config.quiet:
        printer = FiguresPrinter(ctx.stats, plain=ctx.config.plain)
        ctx.spawn(printer.run(), "figures")
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), ctx.config.duration_s)


def print_summary(stats: Stats) -> None:
    shown = figures(stats, stats.counts.copy(), 0.0)
    print("simulated street: " + ", ".join(f"{label} {value}" for label, value in shown
                                            if not label.endswith("/s")))
    lines = error_lines(stats)
    if lines:
        print("errors by kind:")
        print("\n".join(lines))


async def _until_stopped(play: Coroutine[Any, Any, None], stop: asyncio.Event,
                         playing: Callable[[], bool]) -> None:
    """Run ``play`` until it ends or ``stop`` is set; stopped while ``playing()``, it may
    wind down (a setup, signing in or connecting, is cut short)."""
    work = asyncio.create_task(play, name="simulate")
    stopped = asyncio.create_task(stop.wait(), name="stop")
    try:
        await asyncio.wait({work, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if not work.done() and playing():
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(work), WIND_DOWN_S)
        work.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await work
    finally:
        stopped.cancel()
        work.cancel()


async def simulate(config: SimConfig, stop: asyncio.Event | None = None) -> Stats:
    """Run until ``stop`` is set or the duration is over; returns the figures (a
    district's totals in district mode)."""
    if config.district:
        return totals(await simulate_district(config, stop))
    stop = stop or asyncio.Event()
    ctx = make_context(config)
    try:
        await _until_stopped(_play(ctx, stop), stop, lambda: ctx.playing)
    finally:
        await ctx.tasks.cancel_all()
        await ctx.api.aclose()
    return ctx.stats


async def run_district(district: District, stop: asyncio.Event) -> None:
    await start_district(district)
    district.playing = True
    config = district.config
    if not config.quiet:
        print(describe_plan(district), flush=True)
        district.watch.tasks.spawn(DistrictPrinter(district, plain=config.plain).run(),
                                   "figures")
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), config.duration_s)


async def simulate_district(config: SimConfig, stop: asyncio.Event | None = None
                            ) -> District:
    """Every street of the district until ``stop`` or the duration; the streets' figures."""
    stop = stop or asyncio.Event()
    district = make_district(config)
    try:
        await _until_stopped(run_district(district, stop), stop, lambda: district.playing)
    finally:
        await district.cancel_all()
        await district.aclose()
    return district


async def _play(ctx: Ctx, stop: asyncio.Event) -> None:
    if ctx.config.load_mode:
        print_table(await run_load(ctx, stop))
    else:
        await run_street(ctx, stop)


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    return stop


async def _main(config: SimConfig) -> None:
    stop = _stop_on_signals()
    if config.district:
        print("\n".join(summary(await simulate_district(config, stop))))
        return
    stats = await simulate(config, stop)
    if not config.load_mode:
        print_summary(stats)


def main(argv: Sequence[str] | None = None) -> int:
    config = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        asyncio.run(_main(config))
    except (SetupFailed, LoginRefused) as exc:
        print(f"simulate: {exc}", file=sys.stderr)
        return EXIT_FAIL
    except KeyboardInterrupt:
        return EXIT_OK
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
