"""Shared pieces of the case tests: places inside grids, reports, actions, photos, sockets."""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Callable, Iterator
from typing import Any

import orjson
from shapely.geometry import Point, shape
from websockets.sync.client import ClientConnection, connect

from tests.conftest import PNG_1PX, LiveServer

#: Items routed to city management (cgj) by category rules on the working clock.
CGJ_ITEMS = ("SS01", "SS03", "SR05", "SR13", "AQ13")
CGJ_ITEM = "SS01"
#: Sanitation (hw): 2 h on the calendar clock, escalations 1 h (lead) and 4 h (dispatcher).
HW_ITEM = "SR01"
SIMPLE_ITEM = "SR04"  # flyers: the grid worker handles it
HARD_ITEM = "ZA20"  # the command centre handles it
LATTICE_M = 60.0
M_PER_DEG_LAT = 111_000.0
M_PER_DEG_LON = 86_000.0
RECV_TIMEOUT_S = 5.0


class Places:
    """Distinct points inside each grid, at least LATTICE_M apart (no accidental duplicates)."""

    def __init__(self, grids: dict[str, Any]) -> None:
        self.shapes = {f["properties"]["id"]: shape(f["geometry"]) for f in grids["features"]}
        self._iters: dict[str, Iterator[tuple[float, float]]] = {}

    def _lattice(self, grid: str) -> Iterator[tuple[float, float]]:
        poly = self.shapes[grid]
        minx, miny, maxx, maxy = poly.bounds
        dx, dy = LATTICE_M / M_PER_DEG_LON, LATTICE_M / M_PER_DEG_LAT
        points = []
        for i in itertools.count():
            y = miny + dy / 2 + i * dy
            if y > maxy:
                break
            for j in itertools.count():
                x = minx + dx / 2 + j * dx
                if x > maxx:
                    break
                if poly.contains(Point(x, y)):
                    points.append((round(y, 7), round(x, 7)))
        return iter(points)

    def point(self, grid: str = "001") -> tuple[float, float]:
        """(lat, lon) not handed out before."""
        it = self._iters.setdefault(grid, self._lattice(grid))
        return next(it)

    def centre(self, grid: str) -> tuple[float, float]:
        p = self.shapes[grid].representative_point()
        return round(p.y, 7), round(p.x, 7)


class Cases:
    """Reports and actions through the HTTP API as seeded users."""

    def __init__(self, live: LiveServer, tokens: Callable[[str], str]) -> None:
        self.live = live
        self.tokens = tokens
        with live.client(tokens("admin")) as c:
            self.places = Places(c.get("/api/v1/grids").json())
        self._client_ids = itertools.count(1)

    def call(self, user: str, method: str, path: str, **kw: Any) -> Any:
        with self.live.client(self.tokens(user)) as c:
            return c.request(method, path, **kw)

    def report(self, user: str = "gw001", item: str = CGJ_ITEM, grid: str = "001",
               expect: int = 201, **body: Any) -> dict[str, Any]:
        if "lat" not in body:
            body["lat"], body["lon"] = self.places.point(grid)
        body.setdefault("client_id", f"cid-{next(self._client_ids)}")
        body.setdefault("description", "路灯不亮")
        r = self.call(user, "POST", "/api/v1/cases", json={"item": item, **body})
        assert r.status_code == expect, r.text
        return dict(r.json())

    def act(self, user: str, case_id: str, action: str, expect: int = 200,
            **body: Any) -> dict[str, Any]:
        r = self.call(user, "POST", f"/api/v1/cases/{case_id}/{action}", json=body or None)
        assert r.status_code == expect, r.text
        return dict(r.json())

    def get(self, user: str, case_id: str, expect: int = 200) -> dict[str, Any]:
        r = self.call(user, "GET", f"/api/v1/cases/{case_id}")
        assert r.status_code == expect, r.text
        return dict(r.json())

    def listing(self, user: str, **params: Any) -> dict[str, Any]:
        r = self.call(user, "GET", "/api/v1/cases", params=params)
        assert r.status_code == 200, r.text
        return dict(r.json())

    def photo(self, user: str) -> str:
        """Upload a distinct photo (photos are stored by content)."""
        data = PNG_1PX + os.urandom(16)
        r = self.call(user, "POST", "/api/v1/media", files={"file": ("p.png", data, "image/png")})
        assert r.status_code == 201, r.text
        return str(r.json()["id"])


class Socket:
    """A team socket (use as a context manager): read messages until one matches."""

    def __init__(self, live: LiveServer, token: str, settle_s: float = 0.0) -> None:
        self.url = f"{live.ws_url}/ws/team?token={token}"
        self.settle_s = settle_s
        self.seen: list[dict[str, Any]] = []
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> Socket:
        self.ws: ClientConnection = self._stack.enter_context(connect(self.url, open_timeout=5))
        if self.settle_s:
            self.seen = self.drain(self.settle_s)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def send(self, message: dict[str, Any]) -> None:
        self.ws.send(orjson.dumps(message).decode())

    def wait(self, match: Callable[[dict[str, Any]], bool],
             timeout: float = RECV_TIMEOUT_S) -> dict[str, Any]:
        for message in self.seen:
            if match(message):
                self.seen.remove(message)
                return message
        while True:
            message = orjson.loads(self.ws.recv(timeout=timeout))
            if match(message):
                return dict(message)
            self.seen.append(message)

    def drain(self, quiet_s: float = 0.3) -> list[dict[str, Any]]:
        """Everything received until nothing comes for ``quiet_s``."""
        got = list(self.seen)
        self.seen.clear()
        while True:
            try:
                got.append(orjson.loads(self.ws.recv(timeout=quiet_s)))
            except TimeoutError:
                return got


def of_type(kind: str, case_id: str | None = None) -> Callable[[dict[str, Any]], bool]:
    def match(m: dict[str, Any]) -> bool:
        if m.get("type") != kind:
            return False
        if case_id is None:
            return True
        case = m.get("case")
        return (case.get("id") if isinstance(case, dict) else case) == case_id

    return match
