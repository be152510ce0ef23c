"""Many streets in one deployment: one :class:`~dispatch.bootstrap.Container` per street.

The organisation is district > street > station > grid. Every street keeps its own keys
(its code is their hash tag), so each street's container is the one-street container of
before, built once at startup with that street's code. What is per street is explicit:

- a user belongs to one street: login finds the street holding the user name (or the
  street named by ``user@street`` when two streets have the same name);
- the token a multi-street deployment issues starts with its street (``street.secret``),
  so every request and socket resolves its user's street with one lookup, and acts on
  that street's container only. A one-street deployment issues tokens as before.

What is shared: the streets' containers are built on one set of clients of the store
(:class:`~dispatch.bootstrap.Clients`: one pool, the queues' connection), which the
deployment closes once; the web process adds one hub and one ingest pipe for all of them
(``bootstrap.web_runtimes``). A process's connections do not grow with its streets.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass

from dispatch.bootstrap import Clients, Container, bootstrap, make_clients
from dispatch.clock import Now
from dispatch.keys import STREET_CODE
from dispatch.metrics import Metrics
from dispatch.settings import Settings

#: Between a token's street and its secret (never in a street code nor a urlsafe secret).
TOKEN_STREET_SEP = "."
#: Between a user name and the street it is qualified with at login.
USER_STREET_SEP = "@"


def street_codes(settings: Settings) -> list[str]:
    """The streets served: ``DISPATCH_STREETS`` (comma-separated), else ``DISPATCH_STREET``;
    the home street (``DISPATCH_STREET`` when listed, else the first) comes first."""
    listed = [s.strip() for s in settings.streets.split(",") if s.strip()]
    if not listed:
        return [settings.street] + (
            [settings.district] if settings.district not in ("", settings.street) else [])
    for code in listed:
        if not STREET_CODE.match(code):
            raise ValueError(f"street code {code!r} must match {STREET_CODE.pattern}")
    codes = list(dict.fromkeys(listed))
    if settings.district and settings.district not in codes:
        codes.append(settings.district)
    if settings.street in codes:
        codes.remove(settings.street)
        codes.insert(0, settings.street)
    return codes


@dataclass(frozen=True)
class Deployment:
    """Every street's container, the home street's first."""

    containers: dict[str, Container]
    #: The district centre's code (its users act for the district), if there is one.
    district: str | None = None
    #: The clients every container is built on, closed by :meth:`aclose` (None: each
    #: container has its own).
    clients: Clients | None = None

    @property
    def home(self) -> Container:
        return next(iter(self.containers.values()))

    @property
    def streets(self) -> list[str]:
        return list(self.containers)

    @property
    def multi(self) -> bool:
        return len(self.containers) > 1

    def __iter__(self) -> Iterator[Container]:
        return iter(self.containers.values())

    def of(self, street: str) -> Container | None:
        return self.containers.get(street)

    @property
    def street_containers(self) -> list[Container]:
        """Every street's container, the district centre's left out."""
        return [c for code, c in self.containers.items() if code != self.district]

    def is_district(self, c: Container) -> bool:
        return self.district is not None and c.keys.street == self.district

    def visible_to(self, c: Container) -> list[Container]:
        """The streets a user of ``c`` sees: every street for the district centre's users,
        their own street for everyone else's."""
        return self.street_containers if self.is_district(c) else [c]

    def drill_down(self, c: Container, street: str | None) -> Container:
        """What a request of a user of ``c`` that names ``street`` acts on: that street for
        a district user, their own street otherwise (a street user's naming is ignored)."""
        if street and self.is_district(c) and street != self.district:
            return self.containers.get(street, c)
        return c

    def by_token(self, token: str) -> tuple[Container | None, str]:
        """The container a token belongs to, and the token as that street stores it
        (None: the token names a street not served here)."""
        street, sep, secret = token.partition(TOKEN_STREET_SEP)
        if not sep:
            return self.home, token
        return self.containers.get(street), secret

    def token_for(self, c: Container, secret: str) -> str:
        return f"{c.keys.street}{TOKEN_STREET_SEP}{secret}" if self.multi else secret

    async def for_login(self, username: str) -> tuple[Container, str]:
        """The street a login is for, and the user name within it: ``name@street``, else
        the first street (home first) that has ``name``, else the home street."""
        name, sep, street = username.rpartition(USER_STREET_SEP)
        if sep and street in self.containers:
            return self.containers[street], name
        if self.multi:
            for c in self:
                if await c.redis.exists(c.keys.user(username)):
                    return c, username
        return self.home, username

    async def aclose(self) -> None:
        for c in self:
            await c.aclose()  # (a container leaves the shared clients open)
        if self.clients is not None:
            await self.clients.aclose()


def bootstrap_deployment(settings: Settings, *, metrics: Metrics | None = None,
                         clock: Now | None = None) -> Deployment:
    """A container per street served, all on one set of clients of one Redis (resolved,
    or started, once)."""
    clients = make_clients(settings)
    metrics = metrics or Metrics()
    return Deployment({
        code: bootstrap(dataclasses.replace(settings, street=code,
                                            redis_url=clients.redis_url),
                        metrics=metrics, clock=clock, clients=clients)
        for code in street_codes(settings)
    }, district=settings.district or None, clients=clients)


def single(container: Container) -> Deployment:
    """A one-street deployment of an existing container."""
    return Deployment({container.keys.street: container})
