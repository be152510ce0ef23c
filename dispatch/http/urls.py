"""The server's public address: what people and phones are told to use.

``DISPATCH_PUBLIC_URL`` when set (the address behind a proxy or a domain); otherwise the
request's own scheme and host, where the scheme follows ``X-Forwarded-Proto`` only from a
trusted proxy (``DISPATCH_TRUSTED_PROXIES``, see dispatch.app).
"""

from __future__ import annotations

from starlette.requests import HTTPConnection

from dispatch.settings import Settings


def public_url(conn: HTTPConnection, settings: Settings) -> str:
    if settings.public_url:
        return settings.public_url.rstrip("/")
    scheme = {"ws": "http", "wss": "https"}.get(conn.url.scheme, conn.url.scheme)
    return f"{scheme}://{conn.url.netloc}"
