"""What the location and patrol tests share: phones, walks, services with an injected now."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import orjson
import shapely  # type: ignore[import-untyped,unused-ignore]
from websockets.sync.client import ClientConnection, connect

from dispatch.bootstrap import Container, bootstrap
from dispatch.geo.walk import patrol_walk
from dispatch.location.directory import WorkerRef
from dispatch.org.model import OrgData
from dispatch.settings import Settings
from tests.conftest import LiveServer

T = TypeVar("T")
RECV_S = 5.0
MS = 1000
MINUTE_MS = 60 * MS
#: Two windows covering the whole day: a patrol can start whenever the test runs.
ALL_DAY_WINDOWS = "00:00-12:00,12:00-00:00"
TZ = "Asia/Shanghai"


def now_ms() -> int:
    return int(time.time() * MS)


def with_service(settings: Settings, fn: Callable[[Container], Awaitable[T]]) -> T:
    """Run ``fn`` against a container of its own (the clock's view of the same Redis)."""

    async def go() -> T:
        c = bootstrap(settings)
        try:
            return await fn(c)
        finally:
            await c.aclose()

    return asyncio.run(go())


def phone(live: LiveServer, token: str) -> ClientConnection:
    return connect(f"{live.ws_url}/ws/phone?token={token}", open_timeout=RECV_S)


def recv(ws: ClientConnection, timeout: float = RECV_S) -> dict[str, Any]:
    return dict(orjson.loads(ws.recv(timeout=timeout)))


def recv_until(ws: ClientConnection, pred: Callable[[dict[str, Any]], bool],
               timeout: float = RECV_S) -> dict[str, Any]:
    """The first message matching ``pred`` (others are skipped)."""
    deadline = time.monotonic() + timeout
    while True:
        msg = recv(ws, max(0.01, deadline - time.monotonic()))
        if pred(msg):
            return msg


def send(ws: ClientConnection, message: dict[str, Any]) -> None:
    ws.send(orjson.dumps(message).decode())


def grid_feature(street: OrgData, grid_id: str) -> dict[str, Any]:
    return next(f for f in street.grids["features"] if f["properties"]["id"] == grid_id)


def inside(street: OrgData, grid_id: str) -> tuple[float, float]:
    """(lon, lat) of a point well inside a grid."""
    polygon = shapely.geometry.shape(grid_feature(street, grid_id)["geometry"])
    point = shapely.point_on_surface(polygon)
    return float(point.x), float(point.y)


def worker_ref(street: OrgData, username: str) -> WorkerRef:
    grid = username[2:]
    return WorkerRef(username, grid, str(grid_feature(street, grid)["properties"]["station"]))


def ping(seq: int, lon: float, lat: float, ts: int, **extra: Any) -> dict[str, Any]:
    return {"type": "ping", "seq": seq, "lat": lat, "lon": lon, "ts": ts, **extra}


def walk(street: OrgData, grid_id: str, start_ms: int, minutes: float, *, every_s: float = 5.0,
         seed: int = 1) -> list[dict[str, Any]]:
    """A realistic patrol walk inside a grid as ping dicts, one every ``every_s``."""
    lonlat = patrol_walk(grid_feature(street, grid_id), duration_s=minutes * 60,
                         fix_interval_s=every_s, seed=seed)
    step = int(every_s * MS)
    return [{"seq": n, "lat": float(lat), "lon": float(lon), "ts": start_ms + n * step,
             "acc": 5.0} for n, (lon, lat) in enumerate(lonlat)]


def local_ms(day: date, hour: int, minute: int = 0, tz: str = TZ) -> int:
    return int(datetime(day.year, day.month, day.day, hour, minute,
                        tzinfo=ZoneInfo(tz)).timestamp() * MS)


def recent_morning(tz: str = TZ) -> date:
    """A local date whose 08:00-12:00 window is over and within the last 48 hours."""
    now = datetime.now(ZoneInfo(tz))
    return now.date() if now.hour >= 12 else now.date() - timedelta(days=1)


async def worker_ref_of(c: Container, username: str) -> WorkerRef:
    found = await c.location.directory.by_name(username)
    assert found is not None, username
    return found
