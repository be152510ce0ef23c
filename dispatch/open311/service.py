"""Citizens' requests: a GeoReport v2 request becomes a case, routed like any report.

A request is a case whose reporter is the citizen (``open311``) and whose ``source``
is ``open311``; it is verified on site by the grid's worker. What the citizen sent
that is not the case (contact details, the address as typed, media_url, the answers
to the service's questions, the token, the API key) is kept beside the case: the
contact details are shown to nobody but the desk. The token, handed to the citizen
once, lets them follow the request and rate the result once (党群评议).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import shapely  # type: ignore[import-untyped,unused-ignore]
from redis.asyncio import Redis

from dispatch.access import CITIZEN
from dispatch.cases.actions import Action
from dispatch.cases.commands import MAX_TEXT, Command, ReportCommand
from dispatch.cases.model import COORD_DECIMALS
from dispatch.cases.service import CaseService
from dispatch.clock import MS_PER_DAY
from dispatch.errors import BadRequest, DispatchError, Forbidden, NotFound
from dispatch.identity.principal import Principal
from dispatch.identity.roles import Role
from dispatch.keys import Keys
from dispatch.media import MediaStore
from dispatch.open311.apikeys import ApiKey, ApiKeyStore
from dispatch.open311.forms import CONTACT_FIELDS, NewRequest
from dispatch.open311.views import request_view
from dispatch.org.store import OrgStore
from dispatch.ratelimit import Limit, RateLimiter
from dispatch.rules_service import RulesService
from dispatch.settings import Settings

SOURCE = "open311"
TOKEN_BYTES = 18
#: The citizen as the case service sees them: no role of the street's, only the reports
#: (and ratings) the token holder files through this service.
CITIZEN_PRINCIPAL = Principal(CITIZEN, Role.SCREEN, None, "市民 citizen")
PUBLIC_FIELDS = ("description", "address", "media_url", "media_id", "token", "key")


@dataclass(frozen=True)
class Filters:
    ids: tuple[str, ...] = ()
    codes: frozenset[str] = frozenset()
    statuses: frozenset[str] = frozenset()
    start_ms: int | None = None
    end_ms: int | None = None


class Open311Service:
    def __init__(self, redis: Redis, keys: Keys, settings: Settings, *, apikeys: ApiKeyStore,
                 cases: CaseService, rules: RulesService, org: OrgStore, media: MediaStore,
                 limiter: RateLimiter) -> None:
        self.redis = redis
        self.keys = keys
        self.settings = settings
        self.cases = cases
        self.rules = rules
        self.org = org
        self.media = media
        self.limiter = limiter
        self.apikeys = apikeys
        self.zone = ZoneInfo(settings.tz)

    # --- keys and limits ---------------------------------------------------------------

    async def authorize(self, api_key: str, address: str) -> ApiKey:
        """The caller's key (403 when missing, unknown or revoked), counted against its
        rate (429 past it)."""
        key = await self.apikeys.check(api_key)
        if key is None:
            raise Forbidden("api_key is missing, unknown or revoked", code="invalid_api_key",
                            field="api_key")
        window = self.settings.open311_window_s
        await self.limiter.hit(Limit(f"open311:{key.id}", key.rate, window), "key")
        if key.per_address:
            await self.limiter.hit(Limit(f"open311:{key.id}:addr",
                                         self.settings.open311_page_rate_addr, window), address)
        return key

    async def page_key(self) -> str:
        return await self.apikeys.page_key(self.settings.open311_key_rate * 10)

    # --- filing ---------------------------------------------------------------------------

    async def _grid_point(self, grid_id: str) -> tuple[float, float]:
        feature = await self.org.grid(grid_id)
        point = shapely.point_on_surface(shapely.geometry.shape(feature["geometry"]))
        return round(float(point.y), COORD_DECIMALS), round(float(point.x), COORD_DECIMALS)

    async def _place(self, new: NewRequest) -> tuple[float, float]:
        """(lat, lon) of a request: as sent, or inside the grid its address names."""
        if new.lat is not None and new.lon is not None:
            return round(new.lat, COORD_DECIMALS), round(new.lon, COORD_DECIMALS)
        if new.address_id:
            try:
                return await self._grid_point(new.address_id)
            except NotFound:
                raise BadRequest(f"no address_id {new.address_id}: it is a grid's id",
                                 code="unknown_address", field="address_id") from None
        grids = (await self.org.grids())["features"]
        names = sorted(((str(n), str(f["properties"]["id"])) for f in grids
                        for n in (f["properties"].get("name"), f["properties"].get("name_en"),
                                  f["properties"]["id"]) if n),
                       key=lambda pair: -len(pair[0]))
        found = next((grid for name, grid in names if name in new.address), None)
        if found is None:
            raise BadRequest("address_string names no grid of the street; send lat and long",
                             code="unknown_address", field="address_string")
        return await self._grid_point(found)

    def _case_text(self, new: NewRequest) -> str:
        lines = [new.description] if new.description else []
        attrs = {a.code: a for a in self.rules.catalogue.attributes_of(new.item.code)}
        for code, values in new.attributes.items():
            attr = attrs[code]
            names = {v.key: v.name_zh for v in attr.values}
            lines.append(f"{attr.name_zh}：{'、'.join(names.get(v, v) for v in values)}")
        if new.address:
            lines.append(f"地址：{new.address}")
        return "\n".join(lines)[:MAX_TEXT]

    async def create(self, new: NewRequest, key: ApiKey,
                     photo: bytes | None = None) -> dict[str, Any]:
        """File a citizen's request: the case, its private part and its token."""
        lat, lon = await self._place(new)
        media: tuple[str, ...] = ()
        photo_id = ""
        if photo:
            saved = await self.media.save(photo, CITIZEN)
            photo_id = saved.id
            found = await self.media.meta(saved.id)
            # the same photo sent again is shown with this request too, but stays attached
            # to the case it came with first
            if found is not None and not found.cases:
                media = (saved.id,)
        token = secrets.token_urlsafe(TOKEN_BYTES)
        cmd = ReportCommand(client_id=token[:32], item=new.item.code, lat=lat, lon=lon,
                            description=self._case_text(new), severity=None, media=media,
                            reporter=None, source=SOURCE)
        case, _ = await self.cases.report(CITIZEN_PRINCIPAL, cmd)
        extra = {"token": token, "key": key.id, "description": new.description,
                 "address": new.address, "media_url": new.media_url,
                 "media_id": photo_id,
                 **{f"contact_{k}": v for k, v in new.contact.items()}}
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.keys.open311_request(case["id"]),
                      mapping={k: v for k, v in extra.items() if v})
            pipe.hset(self.keys.open311_tokens(), token, case["id"])
            pipe.zadd(self.keys.open311_requests(), {case["id"]: case["created"]})
            await pipe.execute()
        return {"service_request_id": case["id"], "token": token,
                "service_notice": f"限时 {new.item.limit_hours} 小时办理", "account_id": None}

    # --- reading ---------------------------------------------------------------------------

    async def _departments(self) -> dict[str, dict[str, str]]:
        return {d["id"]: {"zh": d["name"], "en": d.get("name_en") or d["name"]}
                for d in await self.org.departments()}

    async def _extra(self, cid: str) -> dict[str, str]:
        return dict(await self.redis.hgetall(self.keys.open311_request(cid)))

    async def views(self, ids: Sequence[str], lang: str, base_url: str) -> list[dict[str, Any]]:
        departments = await self._departments()
        out = []
        for cid in ids:
            extra = await self._extra(cid)
            found = await self.cases.read(cid) if extra else None
            if found is None:
                continue
            case, timeline = found
            out.append(request_view(case, timeline, extra, self.rules.catalogue, departments,
                                    self.zone, lang, base_url))
        return out

    async def one(self, cid: str, lang: str, base_url: str) -> dict[str, Any]:
        found = await self.views([cid], lang, base_url)
        if not found:
            raise NotFound(f"no service request {cid}", code="unknown_request")
        return found[0]

    async def search(self, filters: Filters, lang: str, base_url: str) -> list[dict[str, Any]]:
        """Requests by id (the other filters then do not apply), or by code, status and
        requested date (by default the last ``open311_range_days`` days), newest first."""
        if filters.ids:
            return await self.views(filters.ids, lang, base_url)
        span = self.settings.open311_range_days * MS_PER_DAY
        end = filters.end_ms
        start = filters.start_ms
        if end is None:
            end = (start + span) if start is not None else self.cases.now()
        if start is None:
            start = end - span
        if end < start or end - start > span:
            raise BadRequest(f"start_date to end_date spans at most "
                             f"{self.settings.open311_range_days} days", code="invalid_field",
                             field="start_date")
        ids = await self.redis.zrevrangebyscore(self.keys.open311_requests(), end, start)
        limit = self.settings.page_size_max
        out: list[dict[str, Any]] = []
        for view in await self.views(ids, lang, base_url):
            if filters.codes and view["service_code"] not in filters.codes:
                continue
            if filters.statuses and view["status"] not in filters.statuses:
                continue
            out.append(view)
            if len(out) >= limit:
                break
        return out

    async def by_token(self, token: str) -> str:
        cid = await self.redis.hget(self.keys.open311_tokens(), token) if token else None
        if cid is None:
            raise NotFound("no request has this token", code="unknown_token")
        return str(cid)

    async def contact(self, cid: str) -> dict[str, str] | None:
        """The citizen's contact details (for the desk only)."""
        extra = await self._extra(cid)
        found = {k: extra[f"contact_{k}"] for k in CONTACT_FIELDS if extra.get(f"contact_{k}")}
        return found or None

    # --- rating ----------------------------------------------------------------------------

    async def rate(self, token: str, score: int, note: str) -> str:
        """The citizen rates the handled case once (409 before it is closed, or again)."""
        cid = await self.by_token(token)
        try:
            await self.cases.act(CITIZEN_PRINCIPAL, cid, Command(Action.RATE, note=note,
                                                                  score=score))
        except Forbidden as exc:  # not the reporter's case: never the case for a token
            raise NotFound("no request has this token", code="unknown_token") from exc
        except DispatchError:
            raise
        return cid
