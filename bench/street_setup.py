"""What the benchmarks share to set a street up: the reference street seeded with a cheap
password hash, the routing rules installed, tokens issued; for a district, the 26 streets
and the centre seeded once and kept as backup archives (``dispatch backup``'s format), so
every configuration of a run, and every later run, restores them instead of seeding again.
"""

from __future__ import annotations

import dataclasses
import json
import tarfile
from collections.abc import Iterable
from pathlib import Path

from dispatch.backup import MANIFEST, backup_all, restore
from dispatch.bootstrap import Container, bootstrap
from dispatch.identity.users import User
from dispatch.org.district_preset import CENTRE, STREETS, centre_people, district_preset
from dispatch.org.district_seed import seed_district
from dispatch.org.model import OrgData
from dispatch.org.preset import street_preset
from dispatch.org.seed import seed_org
from dispatch.settings import Settings

PASSWORD = "bench-pass"
#: A cheap password hash: the benchmarks seed thousands of users.
SCRYPT_N = 16


async def seed_street(c: Container, street: OrgData | None = None, *,
                      rules: bool = False) -> OrgData:
    """The reference street (or ``street``) stored in ``c``, every user with PASSWORD."""
    data = street or street_preset()
    await seed_org(c.redis, c.keys, c.users, c.org, data, PASSWORD)
    if rules:
        await c.rules.ensure_installed()
    return data


async def issue_tokens(c: Container, users: Iterable[str | User],
                       qualified: bool = False) -> dict[str, str]:
    """A token for each user (by name, or as written); ``qualified``: as a deployment of
    several streets issues them (``street.secret``)."""
    tokens = {}
    for user in users:
        found = await c.users.get(user) if isinstance(user, str) else user
        if found is None:
            raise LookupError(f"no user {user}")
        secret, _ = await c.tokens.issue(found)
        tokens[found.username] = f"{c.keys.street}.{secret}" if qualified else secret
    return tokens


def district_codes() -> list[str]:
    """Every street of the district preset, then the centre."""
    return [code for code, _ in STREETS] + [CENTRE]


def district_settings(settings: Settings) -> Settings:
    """``settings`` serving the district preset (its streets and the centre)."""
    return dataclasses.replace(settings, street=STREETS[0][0],
                               streets=",".join(district_codes()), district=CENTRE)


def _archives(cache: Path) -> list[Path]:
    found = sorted(cache.glob("*.tar.gz"))
    streets = set()
    for path in found:
        with tarfile.open(path) as tar:
            member = tar.extractfile(MANIFEST)
            if member is not None:
                streets.add(json.loads(member.read())["street"])
    return found if streets == set(district_codes()) else []


async def seeded_district(settings: Settings, cache: Path) -> list[Path]:
    """The district preset in ``settings``' store: restored from the archives in ``cache``,
    else seeded (about a minute) and archived there for the next time."""
    settings = district_settings(settings)
    archives = _archives(cache)
    if not archives:
        await seed_district(settings, district_preset(), CENTRE, centre_people(), PASSWORD,
                            force=True)
        cache.mkdir(parents=True, exist_ok=True)
        for old in cache.glob("*.tar.gz"):
            old.unlink()
        return [s.path for s in await backup_all(settings, cache)]
    for path in archives:
        await restore(settings, path, force=True)
    return archives


def street_container(settings: Settings, code: str) -> Container:
    return bootstrap(dataclasses.replace(district_settings(settings), street=code))
