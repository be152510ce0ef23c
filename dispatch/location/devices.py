"""Which street a tracking device (OsmAnd / Traccar Client id) belongs to.

A device id is registered in one street's organisation (its ``devices`` hash). A
deployment serving several streets finds the street of a device with one round trip
(an ``HGET`` of every street's hash in one pipeline) the first time it is seen, then
remembers it in-process: every later fix costs one dict lookup before the street's own
:class:`~dispatch.location.directory.WorkerDirectory` (cached too) names the worker.
An unknown id is remembered for a shorter time, as the directory does; a device moved
to another street is followed within the directory's cache time.
"""

from __future__ import annotations

from starlette.requests import HTTPConnection

from dispatch.bootstrap import Container
from dispatch.district import Deployment
from dispatch.http.context import deployment, use_street
from dispatch.location.directory import NEGATIVE_TTL_S, TtlCache, WorkerRef

#: Where a web process keeps its device index (on the app's state, one per deployment).
STATE_ATTR = "device_streets"
#: Remembered for a device id no street has.
NO_STREET = ""


class DeviceStreets:
    """Device id -> the code of the street that registered it, cached."""

    def __init__(self, streets: Deployment, ttl_s: float) -> None:
        self.streets = streets
        self._cache: TtlCache[str, str] = TtlCache(ttl_s)

    async def _look_up(self, device_id: str) -> str:
        """The first street (home first) holding the device, one round trip for all."""
        candidates = self.streets.street_containers or list(self.streets)
        home = candidates[0]
        async with home.redis.pipeline(transaction=False) as pipe:
            for c in candidates:
                pipe.hexists(c.keys.devices(), device_id)
            found = await pipe.execute()
        return next((c.keys.street for c, held in zip(candidates, found, strict=True)
                     if held), NO_STREET)

    async def street_of(self, device_id: str) -> Container | None:
        street = self._cache.get(device_id)
        if street is None:
            street = await self._look_up(device_id)
            self._cache.put(device_id, street, None if street else NEGATIVE_TTL_S)
        return self.streets.of(street) if street else None

    def forget(self, device_id: str) -> None:
        self._cache.put(device_id, NO_STREET, NEGATIVE_TTL_S)


def device_streets(conn: HTTPConnection) -> DeviceStreets:
    """The web process's index (made on first use)."""
    state = conn.app.state
    index: DeviceStreets | None = getattr(state, STATE_ATTR, None)
    streets = deployment(conn)
    if index is None or index.streets is not streets:
        index = DeviceStreets(streets, streets.home.settings.device_auth_cache_s)
        setattr(state, STATE_ATTR, index)
    return index


async def device_worker(conn: HTTPConnection, device_id: str) -> WorkerRef | None:
    """The grid worker a device is registered to (None: no street served has it); the
    request then acts on the street that registered it."""
    streets = deployment(conn)
    if not streets.multi:
        return await streets.home.location.directory.by_device(device_id)
    index = device_streets(conn)
    c = await index.street_of(device_id)
    if c is None:
        return None
    worker = await c.location.directory.by_device(device_id)
    if worker is None:
        index.forget(device_id)  # revoked or moved: looked up afresh after a short while
        return None
    use_street(conn, c.keys.street)
    return worker
