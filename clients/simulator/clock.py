"""Simulated time: waits and human delays shrink with ``--speed``; timestamps stay real."""

from __future__ import annotations

import asyncio
import math
import random
import time

MS_PER_S = 1000
#: Spread (sigma of the logarithm) of human reaction times around their median.
HUMAN_SPREAD = 0.6
#: Shortest real wait, so a high speed never turns the simulator into a busy loop.
MIN_REAL_WAIT_S = 0.02


def now_ms() -> int:
    """Wall-clock time in Unix milliseconds, as every message carries it."""
    return int(time.time() * MS_PER_S)


class SimClock:
    def __init__(self, speed: float, rng: random.Random) -> None:
        self.speed = speed
        self.rng = rng

    def real(self, sim_s: float) -> float:
        """Real seconds that ``sim_s`` simulated seconds take."""
        return max(MIN_REAL_WAIT_S, sim_s / self.speed)

    async def sleep(self, sim_s: float) -> None:
        await asyncio.sleep(self.real(sim_s))

    def human(self, median_s: float, spread: float = HUMAN_SPREAD) -> float:
        """A human delay in simulated seconds: log-normal around ``median_s``."""
        return median_s * math.exp(self.rng.gauss(0.0, spread))

    async def pause(self, median_s: float, spread: float = HUMAN_SPREAD) -> None:
        """Wait like a person would: about ``median_s`` simulated seconds."""
        await self.sleep(self.human(median_s, spread))

    def poisson_gap(self, mean_s: float) -> float:
        """Simulated seconds to the next event of a Poisson process of mean gap ``mean_s``."""
        return self.rng.expovariate(1.0 / mean_s)
