"""The HTTP side of the wire contract over one shared ``httpx.AsyncClient``."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from clients.simulator.stats import LOGIN_WAITS, LOGINS, Stats

HTTP_OK = 200
HTTP_CREATED = 201
HTTP_UNAUTHORIZED = 401
HTTP_TOO_MANY = 429
OK_STATUSES = frozenset({HTTP_OK, HTTP_CREATED})
TIMEOUT_S = 30.0
CONNECT_TIMEOUT_S = 10.0
DEFAULT_CONNECTIONS = 64
LOGIN_TRIES = 40
LOGIN_TRANSPORT_TRIES = 3
DEFAULT_RETRY_AFTER_S = 5.0
MAX_RETRY_WAIT_S = 60.0
JSON_HEADERS = {"content-type": "application/json"}
#: How much of an answer an error message quotes.
SHOWN_CHARS = 200


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any

    @property
    def ok(self) -> bool:
        return self.status in OK_STATUSES

    @property
    def code(self) -> str:
        """The error code of a contract error body, or ''."""
        if isinstance(self.body, dict) and isinstance(self.body.get("error"), dict):
            return str(self.body["error"].get("code", ""))
        return ""

    def describe(self) -> str:
        return f"{self.status} {str(self.body)[:SHOWN_CHARS]}"


class LoginRefused(Exception):
    pass


def _decode(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return response.text


def _retry_after(response: httpx.Response) -> float:
    raw = response.headers.get("retry-after", "")
    try:
        return min(MAX_RETRY_WAIT_S, max(1.0, float(raw)))
    except ValueError:
        return DEFAULT_RETRY_AFTER_S


def client(url: str, connections: int) -> httpx.AsyncClient:
    """An HTTP client of ``connections`` pooled connections to ``url``."""
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    timeout = httpx.Timeout(TIMEOUT_S, connect=CONNECT_TIMEOUT_S)
    return httpx.AsyncClient(base_url=url, limits=limits, timeout=timeout)


class Api:
    def __init__(self, url: str, stats: Stats, *, connections: int = DEFAULT_CONNECTIONS,
                 http: httpx.AsyncClient | None = None) -> None:
        """``http``: a client shared with other Apis (the streets of a district), which
        its owner closes; else one of ``connections`` pooled connections of our own."""
        self.url = url
        self.stats = stats
        self.owned = http is None
        self.http = http or client(url, connections)

    async def aclose(self) -> None:
        if self.owned:
            await self.http.aclose()

    async def send(self, method: str, path: str, token: str | None = None, *,
                   body: Any = None, params: Mapping[str, Any] | None = None,
                   files: Mapping[str, Any] | None = None, auth: tuple[str, str] | None = None,
                   headers: Mapping[str, str] | None = None) -> Reply:
        """One request; a transport failure is a Reply with status 0."""
        hdrs = dict(headers or {})
        if token:
            hdrs["authorization"] = f"Bearer {token}"
        content = None
        if body is not None:
            content = orjson.dumps(body)
            hdrs.update(JSON_HEADERS)
        try:
            response = await self.http.request(method, path, content=content, params=params,
                                               files=files, auth=auth, headers=hdrs)
        except httpx.HTTPError as exc:
            return Reply(0, f"{type(exc).__name__}: {exc}")
        return Reply(response.status_code, _decode(response))

    async def call(self, what: str, method: str, path: str, token: str | None = None, *,
                   expected: Collection[int] = (), resend: int = 0, **kw: Any) -> Reply:
        """A request whose failure is an error unless its status is ``expected``; sent
        again up to ``resend`` times after a transport failure (a kept-alive connection
        the server closed as it was reused), as the phone apps do."""
        reply = await self.send(method, path, token, **kw)
        for _ in range(resend):
            if reply.status:
                break
            reply = await self.send(method, path, token, **kw)
        if not reply.ok and reply.status not in expected:
            self.stats.error(f"{what} {reply.status or 'transport'}", reply.describe())
        return reply

    async def get(self, what: str, path: str, token: str | None, **kw: Any) -> Reply:
        return await self.call(what, "GET", path, token, **kw)

    async def post(self, what: str, path: str, token: str | None, body: Any = None,
                   **kw: Any) -> Reply:
        return await self.call(what, "POST", path, token, body=body, **kw)

    async def login(self, username: str, password: str) -> str:
        """A token; waits out rate limits. Raises LoginRefused on bad credentials."""
        failures = 0
        for _ in range(LOGIN_TRIES):
            try:
                response = await self.http.post(
                    "/api/v1/login", content=orjson.dumps(
                        {"username": username, "password": password}), headers=JSON_HEADERS)
            except httpx.HTTPError as exc:
                failures += 1
                if failures >= LOGIN_TRANSPORT_TRIES:
                    raise LoginRefused(f"{username}: {self.url} unreachable ({exc!r})") from exc
                await asyncio.sleep(DEFAULT_RETRY_AFTER_S)
                continue
            if response.status_code == HTTP_OK:
                self.stats.add(LOGINS)
                return str(orjson.loads(response.content)["token"])
            if response.status_code == HTTP_TOO_MANY:
                self.stats.add(LOGIN_WAITS)
                await asyncio.sleep(_retry_after(response))
                continue
            raise LoginRefused(f"{username}: {response.status_code} {response.text[:SHOWN_CHARS]}")
        raise LoginRefused(f"{username}: still rate limited after {LOGIN_TRIES} tries")
