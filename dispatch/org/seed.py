"""Writing an organisation into Redis: refuses to overwrite existing data without force."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from redis.asyncio import Redis

from dispatch.errors import Conflict
from dispatch.identity.roles import Role
from dispatch.identity.users import UserStore
from dispatch.keys import Keys
from dispatch.org.model import OrgData
from dispatch.org.store import OrgStore

HASH_THREADS = 4
SCAN_BATCH = 1000


@dataclass(frozen=True)
class SeedReport:
    stations: int
    grids: int
    departments: int
    users: dict[str, int]

    @property
    def total_users(self) -> int:
        return sum(self.users.values())


async def wipe_street(redis: Redis, keys: Keys) -> int:
    """Delete every key of the street."""
    deleted = 0
    batch: list[str] = []
    async for key in redis.scan_iter(match=keys.pattern(), count=SCAN_BATCH):
        batch.append(key)
        if len(batch) >= SCAN_BATCH:
            deleted += await redis.unlink(*batch)
            batch = []
    if batch:
        deleted += await redis.unlink(*batch)
    return deleted


def hash_all(users: UserStore, password: str, count: int,
             progress: Callable[[int], None] | None = None) -> list[str]:
    """``count`` independent salted hashes of ``password`` (scrypt releases the GIL)."""
    done = 0

    def one(_: int) -> str:
        return users.hash(password)

    out = []
    with ThreadPoolExecutor(HASH_THREADS) as pool:
        for h in pool.map(one, range(count)):
            out.append(h)
            done += 1
            if progress:
                progress(done)
    return out


async def seed_org(redis: Redis, keys: Keys, users: UserStore, org: OrgStore, data: OrgData,
                   password: str, *, force: bool = False,
                   progress: Callable[[int], None] | None = None,
                   seeded_ms: int | None = None) -> SeedReport:
    """Write the street; ``seeded_ms`` (default now) is when it and its people exist from."""
    if await org.exists() and not force:
        raise Conflict("the street already has data; use --force to replace it",
                       code="already_seeded")
    users.hash(password)  # policy check before any work
    hashes = hash_all(users, password, len(data.people), progress)
    version = int(await redis.hget(keys.org_meta(), "version") or 0) + 1
    await wipe_street(redis, keys)
    async with redis.pipeline(transaction=True) as pipe:
        org.write(data, version, pipe, seeded_ms)
        for person, pw in zip(data.people, hashes, strict=True):
            users.write(person.user, pw, pipe, seeded_ms)
        await pipe.execute()
    counts: dict[str, int] = {r.value: 0 for r in Role}
    for p in data.people:
        counts[p.user.role.value] += 1
    return SeedReport(len(data.stations), len(data.grids["features"]), len(data.departments),
                      counts)
