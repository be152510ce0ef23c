"""A grid worker's reports (即拍即传): item, place, text and photos, and what goes wrong.

Besides good reports there are duplicates (the same item at the same place shortly
after), bad reports the server must refuse (an unknown item, a place outside every
grid; counted as expected) and idempotent retries (the same client_id again, which
must return the first case).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from clients.simulator.api import Reply
from clients.simulator.catalogue import UNKNOWN_ITEM, Item
from clients.simulator.context import Ctx
from clients.simulator.images import photo_png
from clients.simulator.stats import DUPLICATES, MEDIA, REFUSED, REPORTS, RETRIES
from clients.simulator.street import COORD_DECIMALS
from clients.simulator.walker import Walker

#: Reports are made this close to where the worker stands (metres).
REPORT_RADIUS_M = 40.0
#: A duplicate is reported this close to the first one (metres) ...
DUPLICATE_RADIUS_M = 3.0
#: ... and this many simulated seconds after it.
DUPLICATE_AFTER_S = 90.0
PHOTOS = (0, 1, 1, 2, 3)
SEVERITY_WEIGHTS = {"low": 0.2, "normal": 0.6, "high": 0.15, "critical": 0.05}
#: Statuses a refused bad report may get.
REFUSAL_STATUSES = frozenset({400, 404, 409, 422})
DUPLICATE_STATE = "duplicate"
#: Of the bad reports, this share names an unknown item; the rest a place off the street.
UNKNOWN_ITEM_SHARE = 0.5
PLACES = ("楼下", "路口", "小区东门", "菜市场旁", "公交站附近", "单元门口", "围墙外", "停车场")
DETAILS = ("请尽快处理", "居民反映较多", "已现场拍照", "存在安全隐患", "影响通行",
           "已持续数日", "需相关部门处置")
MEDIA_FILE = "photo.png"
MEDIA_TYPE = "image/png"


async def upload_photo(ctx: Ctx, token: str) -> str | None:
    """A freshly taken photo up through ``POST /api/v1/media``; its id."""
    data = photo_png(ctx.rng)
    reply = await ctx.api.post("photo upload", "/api/v1/media", token,
                               files={"file": (MEDIA_FILE, data, MEDIA_TYPE)})
    if reply.ok and isinstance(reply.body, dict):
        ctx.stats.add(MEDIA)
        return str(reply.body["id"])
    return None


async def photos(ctx: Ctx, token: str, count: int) -> list[str]:
    found = [await upload_photo(ctx, token) for _ in range(count)]
    return [m for m in found if m]


@dataclass
class Sent:
    """A report as sent, to retry it or repeat it."""

    body: dict[str, Any]
    item: Item
    case: dict[str, Any] | None


class Reporter:
    def __init__(self, ctx: Ctx, username: str, token: str, walker: Walker) -> None:
        self.ctx = ctx
        self.username = username
        self.token = token
        self.walker = walker
        self.count = 0

    def _client_id(self) -> str:
        self.count += 1
        return f"{self.username}-{self.count}-{self.ctx.rng.getrandbits(32):08x}"

    def _text(self, item: Item) -> str:
        rng = self.ctx.rng
        return f"{item.name}，{self.walker.grid.name}{rng.choice(PLACES)}，{rng.choice(DETAILS)}"

    async def photos(self, count: int) -> list[str]:
        return await photos(self.ctx, self.token, count)

    def _body(self, item: Item, lon: float, lat: float, media: list[str]) -> dict[str, Any]:
        rng = self.ctx.rng
        severity = rng.choices(list(SEVERITY_WEIGHTS), list(SEVERITY_WEIGHTS.values()))[0]
        return {"client_id": self._client_id(), "item": item.code,
                "lat": round(lat, COORD_DECIMALS), "lon": round(lon, COORD_DECIMALS),
                "description": self._text(item), "severity": severity, "media": media}

    async def _post(self, body: dict[str, Any], *, expected: frozenset[int] = frozenset()
                    ) -> Reply:
        return await self.ctx.api.post("report", "/api/v1/cases", self.token, body,
                                       expected=expected)

    def _created(self, reply: Reply, sent_at: float) -> dict[str, Any] | None:
        if not reply.ok or not isinstance(reply.body, dict):
            return None
        case = reply.body
        self.ctx.stats.add(REPORTS)
        if case.get("state") == DUPLICATE_STATE:
            self.ctx.stats.add(DUPLICATES)
        else:
            self.ctx.reports.reported(str(case["id"]), sent_at)
        return case

    async def good(self) -> Sent:
        """A report of a catalogue item near the worker, with photos."""
        item = self.ctx.catalogue.choose(self.ctx.rng)
        lon, lat = self.walker.near(REPORT_RADIUS_M)
        media = await self.photos(self.ctx.rng.choice(PHOTOS))
        body = self._body(item, lon, lat, media)
        sent_at = time.monotonic()
        return Sent(body, item, self._created(await self._post(body), sent_at))

    async def retry(self, sent: Sent) -> None:
        """The same request again (the phone never saw the answer): the same case."""
        reply = await self._post(sent.body)
        first = (sent.case or {}).get("id")
        if reply.ok and isinstance(reply.body, dict) and reply.body.get("id") == first:
            self.ctx.stats.add(RETRIES)
        elif reply.ok:
            self.ctx.stats.error("retry made a new case", f"{first} -> {reply.body}")

    async def duplicate(self, sent: Sent) -> dict[str, Any] | None:
        """The same item at the same place, shortly after, under a new client_id."""
        body = dict(sent.body, client_id=self._client_id(), media=[])
        grid = self.walker.grid
        x, y = grid.proj.to_xy(float(body["lon"]), float(body["lat"]))
        rng = self.ctx.rng
        lon, lat = grid.lonlat(x + rng.uniform(-DUPLICATE_RADIUS_M, DUPLICATE_RADIUS_M),
                               y + rng.uniform(-DUPLICATE_RADIUS_M, DUPLICATE_RADIUS_M))
        body.update(lat=round(lat, COORD_DECIMALS), lon=round(lon, COORD_DECIMALS))
        sent_at = time.monotonic()
        return self._created(await self._post(body), sent_at)

    async def bad(self) -> None:
        """A report the server must refuse: an unknown item or a place outside every grid."""
        rng = self.ctx.rng
        item = self.ctx.catalogue.choose(rng)
        lon, lat = self.walker.near(REPORT_RADIUS_M)
        if rng.random() < UNKNOWN_ITEM_SHARE:
            item = Item(UNKNOWN_ITEM, "未知事项", "XX", "", None)
        else:
            lon, lat = self.ctx.street.far_outside()
        reply = await self._post(self._body(item, lon, lat, []), expected=REFUSAL_STATUSES)
        if reply.status in REFUSAL_STATUSES:
            self.ctx.stats.add(REFUSED)
        elif reply.ok:
            self.ctx.stats.error("bad report accepted", str(reply.body))
