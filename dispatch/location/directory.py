"""Who a phone belongs to, cached in-process so that no ping reads the organisation.

Device ids (OsmAnd), OwnTracks logins (a scrypt check each time otherwise) and the
roster of grid workers are kept for ``ttl_s``; a revoked device or a changed
password is honoured within that time.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

from dispatch.errors import Forbidden, NotFound
from dispatch.identity.principal import Principal
from dispatch.identity.roles import PATROL_ROLES
from dispatch.identity.users import User, UserStore
from dispatch.org.store import OrgStore

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
#: Unknown device ids are remembered for a shorter time (a device registered meanwhile).
NEGATIVE_TTL_S = 10.0
MAX_ENTRIES = 100_000


@dataclass(frozen=True, slots=True)
class WorkerRef:
    """A grid worker as the location service needs them: name, grid, station."""

    username: str
    grid: str | None
    station: str | None


#: Remembered for a name that is no active grid worker.
NOT_A_WORKER = WorkerRef("", None, None)


class TtlCache(Generic[K, V]):
    """A dict whose entries expire; cleared wholesale when it grows past a bound."""

    def __init__(self, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self.clock = clock
        self._data: dict[K, tuple[float, V]] = {}

    def get(self, key: K) -> V | None:
        found = self._data.get(key)
        if found is None or found[0] < self.clock():
            return None
        return found[1]

    def put(self, key: K, value: V, ttl_s: float | None = None) -> V:
        if len(self._data) >= MAX_ENTRIES:
            self._data.clear()
        self._data[key] = (self.clock() + (self.ttl_s if ttl_s is None else ttl_s), value)
        return value


def _secret_key(username: str, password: str) -> str:
    return hashlib.sha256(f"{username}\0{password}".encode()).hexdigest()


class WorkerDirectory:
    def __init__(self, users: UserStore, org: OrgStore, ttl_s: float) -> None:
        self.users = users
        self.org = org
        self._workers: TtlCache[str, WorkerRef] = TtlCache(ttl_s)
        self._devices: TtlCache[str, str | None] = TtlCache(ttl_s)
        self._logins: TtlCache[str, str] = TtlCache(ttl_s)
        self._roster: TtlCache[str, list[WorkerRef]] = TtlCache(ttl_s)

    async def _ref(self, user: User) -> WorkerRef | None:
        if user.role not in PATROL_ROLES or user.disabled:
            return None
        station = await self.org.station_of(user.scope) if user.scope else None
        return WorkerRef(user.username, user.scope, station)

    async def of_principal(self, principal: Principal) -> WorkerRef:
        """The signed-in grid worker (the token already says who and which grid)."""
        station = await self.org.station_of(principal.scope) if principal.scope else None
        return WorkerRef(principal.username, principal.scope, station)

    async def by_name(self, username: str) -> WorkerRef | None:
        """An enabled grid worker by user name, or None."""
        cached = self._workers.get(username)
        if cached is not None:
            return cached if cached.username else None
        try:
            ref = await self._ref(await self.users.get(username))
        except NotFound:
            ref = None
        self._workers.put(username, ref or NOT_A_WORKER, None if ref else NEGATIVE_TTL_S)
        return ref

    async def by_device(self, device_id: str) -> WorkerRef | None:
        """The grid worker a tracking device is registered to, or None."""
        owner = self._devices.get(device_id)
        if owner is None:
            owner = await self.org.device_owner(device_id)
            self._devices.put(device_id, owner or "", None if owner else NEGATIVE_TTL_S)
        return await self.by_name(owner) if owner else None

    async def by_password(self, username: str, password: str) -> WorkerRef | None:
        """The grid worker if the password is right (None if not; Forbidden for another
        role); a success is remembered, so the next ping costs no scrypt."""
        secret = _secret_key(username, password)
        if self._logins.get(secret) == username:
            return await self.by_name(username)
        user = await self.users.check_password(username, password)
        if user is None:
            return None
        ref = await self._ref(user)
        if ref is None:
            raise Forbidden(f"{username} is not an active grid worker", code="role_forbidden")
        self._logins.put(secret, username)
        return ref

    async def roster(self) -> list[WorkerRef]:
        """Every grid's worker with their grid and station, by grid."""
        cached = self._roster.get("all")
        if cached is not None:
            return cached
        features = (await self.org.grids())["features"]
        refs = [WorkerRef(str(p["worker"]), str(p["id"]), str(p["station"]))
                for p in (f["properties"] for f in features) if p.get("worker")]
        return self._roster.put("all", refs)
