"""Every street of a district deployment at once, and the district centre's view.

The district centre's user (``--district-user``) signs in and reads
``GET /api/v1/district``: the streets served. Each street is then played as ``dispatch
simulate`` plays one (its own figures, clock and tasks; user names carry the street's
code, ``yuyang.gw001``), with a share (``--scale``) of its grid workers and members, on
one shared HTTP pool. The streets' people are scaled down further so that the
WebSockets of the whole district stay within ``--max-sockets``. Sign-ins take turns
across the streets, so every street comes alive at once, a few people at a time.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
from dataclasses import dataclass, field

import httpx

from clients.simulator.api import Api, LoginRefused, client
from clients.simulator.clock import SimClock
from clients.simulator.config import DISTRICT_STREET_SCREEN_USER, STREET_USER_SEP, SimConfig
from clients.simulator.context import Ctx, Spawner
from clients.simulator.district_screen import DistrictWatch
from clients.simulator.stats import Stats
from clients.simulator.street_mode import (
    LOGIN_CONCURRENCY,
    Prepared,
    SetupFailed,
    populate,
    prepare_street,
)

#: Pooled HTTP connections shared by every street.
DISTRICT_CONNECTIONS = 96
#: Streets read (desk signed in, grids and catalogue loaded) at once.
PREPARE_CONCURRENCY = 4


@dataclass(frozen=True)
class Size:
    """What a street has to play: grids with a worker, members, department leads."""

    workers: int
    members: int
    leads: int

    @classmethod
    def of(cls, ctx: Ctx, street: Prepared) -> Size:
        workers = sum(1 for g in ctx.street.grids.values() if g.worker)
        members = sum(len(d.get("members") or []) for d in street.departments)
        leads = sum(1 for d in street.departments if d.get("lead"))
        return cls(workers, members, leads)

    def scaled(self, share: float) -> Size:
        """``share`` of each (at least one grid worker while there is one)."""
        workers = min(self.workers, max(1, round(self.workers * share)))
        return Size(workers, round(self.members * share), round(self.leads * share))

    def sockets(self, socket_share: float, screens: int) -> float:
        """The WebSockets this many people open: our phones, the team, the desk, screens."""
        return self.workers * socket_share + self.members + self.leads + 1 + screens


def socket_share(config: SimConfig) -> float:
    return max(0.0, 1.0 - config.osmand_share - config.owntracks_share)


def fit(config: SimConfig, sizes: dict[str, Size]) -> dict[str, Size]:
    """Each street's people at ``--scale``, scaled down as one so that the district's
    WebSockets stay within ``--max-sockets``."""
    share = socket_share(config)
    scale = config.scale
    for _ in range(len(sizes) * 4 + 16):  # rounding: shrink until it fits
        planned = {code: size.scaled(scale) for code, size in sizes.items()}
        total = sum(s.sockets(share, config.screens) for s in planned.values())
        if total <= config.max_sockets or scale <= 0.0:
            return planned
        scale *= max(0.5, min(0.95, config.max_sockets / total))
    return {code: size.scaled(0.0) for code, size in sizes.items()}


@dataclass
class District:
    """The streets being played, and the district centre's view of them."""

    config: SimConfig
    http: httpx.AsyncClient
    stats: Stats
    watch: DistrictWatch
    streets: dict[str, Ctx] = field(default_factory=dict)
    planned: dict[str, Size] = field(default_factory=dict)
    playing: bool = False

    async def cancel_all(self) -> None:
        await asyncio.gather(*(c.tasks.cancel_all() for c in self.streets.values()),
                             self.watch.tasks.cancel_all())

    async def aclose(self) -> None:
        await self.http.aclose()


def make_district(config: SimConfig) -> District:
    rng = random.Random(config.seed)
    http = client(config.url, DISTRICT_CONNECTIONS)
    stats = Stats(rng=random.Random(rng.random()))
    api = Api(config.url, stats, http=http)
    watch = DistrictWatch(config, api, stats, Spawner(stats), rng)
    return District(config, http, stats, watch)


def street_ctx(district: District, code: str, rng: random.Random) -> Ctx:
    config = dataclasses.replace(district.config, prefix=f"{code}{STREET_USER_SEP}",
                                 screen_user=DISTRICT_STREET_SCREEN_USER)
    stats = Stats(rng=random.Random(rng.random()))
    return Ctx(config=config, api=Api(config.url, stats, http=district.http), stats=stats,
               rng=rng, clock=SimClock(config.speed, rng), tasks=Spawner(stats))


async def streets_of(district: District) -> list[str]:
    """The streets to play: ``--streets``, else every one the district user sees."""
    config = district.config
    try:
        seen = await district.watch.sign_in()
    except LoginRefused as exc:
        if not config.streets:
            raise SetupFailed(f"cannot sign in the district user: {exc}") from exc
        district.stats.error("district login refused", str(exc))
        return list(config.streets)
    if not config.streets:
        return seen
    unknown = [code for code in config.streets if code not in seen]
    if unknown:
        raise SetupFailed(f"the district user sees no street {', '.join(unknown)}")
    return list(config.streets)


async def prepare_all(district: District, codes: list[str]
                      ) -> dict[str, tuple[Ctx, Prepared]]:
    rng = random.Random(district.stats.rng.random())
    gate = asyncio.Semaphore(PREPARE_CONCURRENCY)

    async def one(code: str) -> tuple[Ctx, Prepared]:
        ctx = street_ctx(district, code, random.Random(rng.random()))
        district.streets[code] = ctx
        async with gate:
            try:
                return ctx, await prepare_street(ctx)
            except SetupFailed as exc:
                raise SetupFailed(f"street {code}: {exc}") from exc

    found = await asyncio.gather(*(one(code) for code in codes))
    return dict(zip(codes, found, strict=True))


async def start_district(district: District) -> None:
    """Every street read, sized to fit, then each one's people brought in."""
    codes = await streets_of(district)
    if not codes:
        raise SetupFailed("the district has no street")
    prepared = await prepare_all(district, codes)
    sizes = {code: Size.of(ctx, street) for code, (ctx, street) in prepared.items()}
    district.planned = fit(district.config, sizes)
    shared = asyncio.Semaphore(LOGIN_CONCURRENCY)
    for code, (ctx, street) in prepared.items():
        size = district.planned[code]
        ctx.config = dataclasses.replace(ctx.config, workers=_worker_span(ctx, size.workers),
                                         members=size.members, leads=size.leads)
        populate(ctx, street, (asyncio.Semaphore(1), shared))
    if district.watch.token:  # the district user signed in
        district.watch.start()


def _worker_span(ctx: Ctx, workers: int) -> int:
    """How many of ``gw001..`` to take so that ``workers`` of them have a grid."""
    if workers <= 0:
        return 0
    numbers = sorted(int(g.id) for g in ctx.street.grids.values()
                     if g.worker and g.id.isdigit())
    return numbers[min(workers, len(numbers)) - 1] if numbers else workers


def totals(district: District) -> Stats:
    """The district's figures: the sums of its streets' (and the district view's)."""
    merged = Stats(rng=district.stats.rng, started=district.stats.started)
    for stats in [*(c.stats for c in district.streets.values()), district.stats]:
        merged.counts.update(stats.counts)
        merged.errors.update(stats.errors)
        merged.last_error.update(stats.last_error)
    return merged


def describe_plan(district: District) -> str:
    """One line: what is played."""
    planned = district.planned.values()
    workers = sum(s.workers for s in planned)
    members = sum(s.members + s.leads for s in planned)
    sockets = sum(s.sockets(socket_share(district.config), district.config.screens)
                  for s in planned)
    return (f"district: {len(district.planned)} streets, {workers} grid workers, "
            f"{members} members and leads, about {sockets:.0f} WebSockets")
