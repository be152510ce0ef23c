"""The timer tick drains every timer due, in steps sized by what a step costs."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from dispatch.jobs.schedule import MAX_TIMER_BATCH, MIN_TIMER_BATCH, TimerDrain
from dispatch.keys import Keys
from dispatch.metrics import Metrics

STEP_OVERHEAD_S = 1e-4  # a round trip to Redis


class DueTimers:
    """Stands for the case service's timer step: ``due`` timers, each costing ``cost_s``
    of the clock the drain reads (moved here, not waited for)."""

    def __init__(self, due: int, cost_s: float) -> None:
        self.due = due
        self.cost_s = cost_s
        self.steps: list[int] = []
        self.fired: list[int] = []  # timers fired a step
        self.told: list[int] = []  # the steps the observers were told of, in order
        self.now_s = 0.0

    def elapsed(self) -> float:
        return self.now_s

    async def fire_untold(self, now: int, limit: int) -> tuple[list[Any], list[Any]]:
        n = min(limit, self.due)
        self.due -= n
        self.steps.append(limit)
        self.now_s += STEP_OVERHEAD_S + n * self.cost_s
        self.fired.append(n)
        return [SimpleNamespace(fired=True, timer=None, late_ms=0)] * n, [n]

    async def tell_fired(self, fired: list[Any], cases: list[Any], now: int) -> None:
        self.told += cases


def drain(due: int, cost_s: float, batch: int = 500) -> tuple[DueTimers, TimerDrain]:
    timers = DueTimers(due, cost_s)
    c = SimpleNamespace(cases=timers, metrics=Metrics(), keys=Keys("jlc"),
                        settings=SimpleNamespace(timer_batch=batch))
    tick = TimerDrain(c, timers.elapsed)  # type: ignore[arg-type]
    asyncio.run(tick(0))
    return timers, tick


def test_a_burst_due_in_one_second_fires_in_one_tick_not_one_batch_per_second() -> None:
    timers, _ = drain(10_000, cost_s=2e-6)
    assert timers.due == 0
    assert len(timers.steps) > 1  # several steps in the one tick


def test_quick_steps_grow_and_slow_steps_shrink() -> None:
    _, quick = drain(20_000, cost_s=1e-7)
    assert quick.batch > 500
    _, slow = drain(2_000, cost_s=1e-4)  # 50 ms for 500: over the step target
    assert MIN_TIMER_BATCH <= slow.batch < 500 <= MAX_TIMER_BATCH


def test_a_tick_leaves_what_it_cannot_fire_in_time_for_the_next() -> None:
    timers, _ = drain(10**9, cost_s=1e-4)
    assert timers.due > 0  # it returned within its share of the second


def test_every_step_is_told_to_the_observers_in_order_before_the_tick_returns() -> None:
    timers, _ = drain(10_000, cost_s=2e-6)
    assert len(timers.fired) > 1 and sum(timers.told) == 10_000
    assert timers.told == timers.fired
