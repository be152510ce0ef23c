"""Which street an Open311 call is for, in a deployment serving several.

Each street is a GeoReport jurisdiction (``jurisdiction_id`` is its code; the district
centre is none). A call naming one acts on that street (404 for a code not served);
one naming none acts on the street that holds what it carries: the street that issued
its ``api_key`` (a filing), the street that handed out its token (following and rating);
otherwise the home street. A one-street deployment is its only jurisdiction, as before.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import HTTPConnection

from dispatch.bootstrap import Container
from dispatch.district import Deployment
from dispatch.errors import NotFound
from dispatch.http.context import deployment, use_street
from dispatch.open311.apikeys import MAX_KEY_CHARS, key_hash

JURISDICTION = "jurisdiction_id"


def jurisdictions(streets: Deployment) -> list[Container]:
    """The streets citizens file with, the home street first."""
    return streets.street_containers or list(streets)


def choose(conn: HTTPConnection, given: str | None, field: str = JURISDICTION) -> Container:
    """The street ``given`` names (the home street when None); the call then acts on it."""
    served = {c.keys.street: c for c in jurisdictions(deployment(conn))}
    if given:
        found = served.get(given)
        if found is None:
            raise NotFound(f"no jurisdiction {given}", code="unknown_jurisdiction",
                           field=field)
    else:
        found = next(iter(served.values()))
    use_street(conn, found.keys.street)
    return found


async def _holding(streets: Deployment, key_of: Callable[[Container], str],
                   field: str) -> Container | None:
    """The first street (home first) whose hash ``key_of`` has ``field``: one round trip."""
    candidates = jurisdictions(streets)
    async with candidates[0].redis.pipeline(transaction=False) as pipe:
        for c in candidates:
            pipe.hexists(key_of(c), field)
        held = await pipe.execute()
    return next((c for c, found in zip(candidates, held, strict=True) if found), None)


async def choose_by_key(conn: HTTPConnection, api_key: str, given: str | None) -> Container:
    """The street a filing goes to: the one named, else the one that issued its key."""
    streets = deployment(conn)
    if given or not streets.multi or not api_key or len(api_key) > MAX_KEY_CHARS:
        return choose(conn, given)
    found = await _holding(streets, lambda c: c.keys.open311_keys(), key_hash(api_key))
    return choose(conn, found.keys.street if found else None)


async def choose_by_token(conn: HTTPConnection, token: str, given: str | None) -> Container:
    """The street a citizen's token is of: the one named, else the one that issued it."""
    streets = deployment(conn)
    if given or not streets.multi or not token:
        return choose(conn, given)
    found = await _holding(streets, lambda c: c.keys.open311_tokens(), token)
    return choose(conn, found.keys.street if found else None)


async def choose_by_media(conn: HTTPConnection, media_id: str, given: str | None) -> Container:
    """The street holding a citizen's photo: the one named, else the first that has it."""
    streets = deployment(conn)
    if given or not streets.multi:
        return choose(conn, given)
    for c in jurisdictions(streets):
        if await c.media.meta(media_id) is not None and await c.media.owned_by(media_id,
                                                                              "open311"):
            return choose(conn, c.keys.street)
    return choose(conn, None)


async def street_list(streets: Deployment) -> list[dict[str, str | None]]:
    """Every jurisdiction's code and names (for the citizens' page to choose from)."""
    out: list[dict[str, str | None]] = []
    for c in jurisdictions(streets):
        meta = await c.org.meta()
        out.append({"code": c.keys.street, "name": meta.get("name"),
                    "name_en": meta.get("name_en")})
    return out
