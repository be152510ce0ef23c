"""A grid worker on foot: patrol routes inside the grid, GPS noise, wandering, dead spots.

Everything here is in simulated seconds and metres of the grid's local projection;
the phone turns each :class:`Fix` into a ping with a real timestamp.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from enum import StrEnum

from clients.simulator.street import COORD_DECIMALS, GridShape, Point

WALK_SPEED_MPS = 1.2
WALK_SPEED_SPREAD_MPS = 0.15
MIN_WALK_SPEED_MPS = 0.5
GPS_SIGMA_M = 4.0
ACC_MEDIAN_M = 8.0
ACC_MIN_M, ACC_MAX_M = 3.0, 25.0
#: Now and then a fix is poor (tall buildings): large error and accuracy.
POOR_FIX_SHARE = 0.01
POOR_FIX_SIGMA_M = 40.0
POOR_FIX_ACC_M = (60.0, 120.0)
ARRIVED_M = 3.0
ROUTE_SAMPLE_M = 15.0
ROUTE_TRIES = 12
#: Share of workers who sometimes leave their grid, and how often and how far.
WANDERER_SHARE = 0.3
WANDER_EVERY_S = 15 * 60.0
WANDER_BEYOND_M = (60.0, 160.0)
WANDER_LINGER_S = (60.0, 240.0)
#: Signal dead spots (stairwells, villages): how often and how long.
DEAD_SPOT_EVERY_S = 8 * 60.0
DEAD_SPOT_S = (30.0, 180.0)
#: Stops to talk to residents or look at something.
STOP_EVERY_S = 4 * 60.0
STOP_S = (20.0, 120.0)
BATTERY_START = (0.55, 1.0)
BATTERY_DRAIN_PER_S = 0.00005
BATTERY_FLOOR = 0.05
FULL_CIRCLE_DEG = 360.0
PERCENT = 100


class Mode(StrEnum):
    PATROL = "patrol"
    WANDER = "wander"
    LINGER = "linger"
    STOP = "stop"


@dataclass(frozen=True, slots=True)
class Fix:
    """One GPS fix as the phone's location API gives it."""

    lon: float
    lat: float
    acc: float
    speed: float  # m/s
    heading: float  # degrees from north
    batt: float  # 0..1 (pings carry percent)
    signal: bool  # False inside a dead spot: the phone cannot send
    inside: bool  # the true position is inside the worker's own grid

    def ping(self, seq: int, ts: int) -> dict[str, float | int]:
        """The ping of the wire contract."""
        return {"seq": seq, "ts": ts, "lat": round(self.lat, COORD_DECIMALS),
                "lon": round(self.lon, COORD_DECIMALS),
                "acc": round(self.acc, 1), "speed": round(self.speed, 2),
                "heading": round(self.heading, 1), "batt": round(self.batt * PERCENT)}


def _chance(rng: random.Random, dt_s: float, every_s: float) -> bool:
    """Whether an event of mean period ``every_s`` happens within ``dt_s``."""
    return rng.random() < 1.0 - math.exp(-dt_s / every_s)


class Walker:
    def __init__(self, grid: GridShape, rng: random.Random, *, wanderer: bool | None = None
                 ) -> None:
        self.grid = grid
        self.rng = rng
        self.speed_mps = max(MIN_WALK_SPEED_MPS, rng.gauss(WALK_SPEED_MPS, WALK_SPEED_SPREAD_MPS))
        self.wanderer = rng.random() < WANDERER_SHARE if wanderer is None else wanderer
        self.x, self.y = grid.random_point(rng)
        self.mode = Mode.PATROL
        self.target: Point = self._next_waypoint()
        self.mode_left_s = 0.0
        self.dead_left_s = 0.0
        self.heading = 0.0
        self.batt = rng.uniform(*BATTERY_START)

    # --- route ----------------------------------------------------------------
    def _segment_inside(self, target: Point) -> bool:
        tx, ty = target
        length = math.hypot(tx - self.x, ty - self.y)
        steps = max(1, int(length / ROUTE_SAMPLE_M))
        return all(self.grid.contains(self.x + (tx - self.x) * k / steps,
                                      self.y + (ty - self.y) * k / steps)
                   for k in range(1, steps + 1))

    def _next_waypoint(self) -> Point:
        candidate = self.grid.random_point(self.rng)
        for _ in range(ROUTE_TRIES):
            if self._segment_inside(candidate):
                return candidate
            candidate = self.grid.random_point(self.rng)
        return candidate

    def _outside_point(self) -> Point:
        x0, y0, x1, y1 = self.grid.bbox_m
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        radius = math.hypot(x1 - x0, y1 - y0) / 2
        for _ in range(ROUTE_TRIES):
            angle = self.rng.uniform(0.0, 2 * math.pi)
            reach = radius + self.rng.uniform(*WANDER_BEYOND_M)
            point = (cx + reach * math.cos(angle), cy + reach * math.sin(angle))
            if not self.grid.contains(*point):
                return point
        return (x1 + WANDER_BEYOND_M[1], cy)

    # --- modes ----------------------------------------------------------------
    def _switch_mode(self, dt_s: float) -> None:
        if self.mode in (Mode.LINGER, Mode.STOP):
            self.mode_left_s -= dt_s
            if self.mode_left_s <= 0.0:
                self.mode = Mode.PATROL
                self.target = self._next_waypoint()
            return
        if self.mode is Mode.PATROL:
            if self.wanderer and _chance(self.rng, dt_s, WANDER_EVERY_S):
                self.mode, self.target = Mode.WANDER, self._outside_point()
            elif _chance(self.rng, dt_s, STOP_EVERY_S):
                self.mode, self.mode_left_s = Mode.STOP, self.rng.uniform(*STOP_S)

    def _arrive(self) -> None:
        if self.mode is Mode.WANDER:
            self.mode, self.mode_left_s = Mode.LINGER, self.rng.uniform(*WANDER_LINGER_S)
        else:
            self.target = self._next_waypoint()

    def _move(self, dt_s: float) -> float:
        """Walk toward the target; returns the speed actually walked (m/s)."""
        if self.mode in (Mode.LINGER, Mode.STOP) or dt_s <= 0.0:
            return 0.0
        tx, ty = self.target
        dx, dy = tx - self.x, ty - self.y
        distance = math.hypot(dx, dy)
        if distance <= ARRIVED_M:
            self._arrive()
            return 0.0
        step = min(distance, self.speed_mps * dt_s)
        self.x += dx / distance * step
        self.y += dy / distance * step
        self.heading = math.degrees(math.atan2(dx, dy)) % FULL_CIRCLE_DEG
        return step / dt_s

    def _signal(self, dt_s: float) -> bool:
        if self.dead_left_s > 0.0:
            self.dead_left_s -= dt_s
            return self.dead_left_s <= 0.0
        if _chance(self.rng, dt_s, DEAD_SPOT_EVERY_S):
            self.dead_left_s = self.rng.uniform(*DEAD_SPOT_S)
            return False
        return True

    # --- the phone's view -------------------------------------------------------
    def step(self, dt_s: float) -> Fix:
        """Advance ``dt_s`` simulated seconds and read the GPS."""
        self._switch_mode(dt_s)
        speed = self._move(dt_s)
        signal = self._signal(dt_s)
        self.batt = max(BATTERY_FLOOR, self.batt - BATTERY_DRAIN_PER_S * dt_s)
        return self.read(speed, signal)

    def read(self, speed: float = 0.0, signal: bool = True) -> Fix:
        if self.rng.random() < POOR_FIX_SHARE:
            sigma, acc = POOR_FIX_SIGMA_M, self.rng.uniform(*POOR_FIX_ACC_M)
        else:
            sigma = GPS_SIGMA_M
            acc = min(ACC_MAX_M, max(ACC_MIN_M, self.rng.gauss(ACC_MEDIAN_M, GPS_SIGMA_M)))
        nx = self.x + self.rng.gauss(0.0, sigma)
        ny = self.y + self.rng.gauss(0.0, sigma)
        lon, lat = self.grid.lonlat(nx, ny)
        return Fix(lon, lat, acc, speed, self.heading, self.batt, signal,
                   self.grid.contains(self.x, self.y))

    def near(self, radius_m: float) -> Point:
        """A (lon, lat) inside the grid within about ``radius_m`` of the worker."""
        for _ in range(ROUTE_TRIES):
            x = self.x + self.rng.uniform(-radius_m, radius_m)
            y = self.y + self.rng.uniform(-radius_m, radius_m)
            if self.grid.contains(x, y):
                return self.grid.lonlat(x, y)
        return self.grid.random_lonlat(self.rng)
