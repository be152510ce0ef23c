"""Seeding a whole district: every street as ``dispatch seed`` stores one, and the district
centre's own people; one progress count over every password hashed."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from dispatch.bootstrap import bootstrap
from dispatch.embedded_redis import resolve_redis_url
from dispatch.errors import Conflict
from dispatch.identity.users import User
from dispatch.org.model import OrgData
from dispatch.org.seed import SeedReport, hash_all, seed_org
from dispatch.settings import Settings


async def _refuse_seeded(settings: Settings, url: str, codes: list[str]) -> None:
    seeded = []
    for code in codes:
        c = bootstrap(dataclasses.replace(settings, street=code, redis_url=url))
        try:
            if await c.org.exists():
                seeded.append(code)
        finally:
            await c.aclose()
    if seeded:
        raise Conflict(f"street(s) {', '.join(seeded)} already have data; use --force to "
                       "replace them", code="already_seeded")


@dataclass(frozen=True)
class DistrictReport:
    streets: dict[str, SeedReport]
    centre: str
    centre_users: int

    @property
    def grids(self) -> int:
        return sum(r.grids for r in self.streets.values())

    @property
    def users(self) -> int:
        return sum(r.total_users for r in self.streets.values()) + self.centre_users


async def seed_district(settings: Settings, streets: list[OrgData], centre: str,
                        centre_people: list[User], password: str, *, force: bool = False,
                        progress: Callable[[int], None] | None = None) -> DistrictReport:
    """Store every street under its own code, then the centre's people under ``centre``;
    without ``force``, refused before anything is stored when any street has data."""
    url = resolve_redis_url(settings.redis_url, settings.redis_dir, settings.fsync)
    if not force:
        await _refuse_seeded(settings, url, [s.street.code for s in streets])
    done = 0

    def counted(n: int) -> None:
        if progress:
            progress(done + n)

    reports: dict[str, SeedReport] = {}
    for data in streets:
        c = bootstrap(dataclasses.replace(settings, street=data.street.code, redis_url=url))
        try:
            reports[data.street.code] = await seed_org(c.redis, c.keys, c.users, c.org, data,
                                                       password, force=force, progress=counted)
        finally:
            await c.aclose()
        done += len(data.people)
    c = bootstrap(dataclasses.replace(settings, street=centre, redis_url=url))
    try:
        hashes = hash_all(c.users, password, len(centre_people), counted)
        async with c.redis.pipeline(transaction=True) as pipe:
            for user, pw in zip(centre_people, hashes, strict=True):
                c.users.write(user, pw, pipe, None)
            await pipe.execute()
    finally:
        await c.aclose()
    return DistrictReport(reports, centre, len(centre_people))
