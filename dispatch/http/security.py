"""Security headers on every HTTP response: pages, API, static files and photos.

One pure ASGI middleware. The pages load only their own modules and style sheets (no
inline script or style, no ``on...=`` attributes), so the policy allows nothing inline;
images may also be ``data:`` (the favicon) and ``blob:`` (photos fetched with the
token, and the camera's previews). A header a response already set is kept.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable, Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: The Content-Security-Policy's directives, before any extra image sources.
CSP_DIRECTIVES: Mapping[str, tuple[str, ...]] = {
    "default-src": ("'self'",),
    "script-src": ("'self'",),
    "style-src": ("'self'",),
    "img-src": ("'self'", "data:", "blob:"),
    "connect-src": ("'self'",),
    "font-src": ("'self'",),
    "media-src": ("'self'", "blob:"),
    "worker-src": ("'self'",),
    "manifest-src": ("'self'",),
    "object-src": ("'none'",),
    "base-uri": ("'none'",),
    "form-action": ("'self'",),
    "frame-ancestors": ("'none'",),
}
REFERRER_POLICY = "strict-origin-when-cross-origin"
#: Phones may use their location and camera on these pages; nothing else is granted.
PERMISSIONS_POLICY = "geolocation=(self), camera=(self), microphone=(), payment=(), usb=()"
HSTS = "max-age=31536000"


def content_security_policy(img_sources: Iterable[str] = ()) -> str:
    """The policy; ``img_sources`` adds origins images may come from (base-map tiles)."""
    directives = {name: list(values) for name, values in CSP_DIRECTIVES.items()}
    directives["img-src"] += [s for s in img_sources if s not in directives["img-src"]]
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def tile_origins(url: str, subdomains: str) -> list[str]:
    """The origins an XYZ tile URL loads from (``{s}`` expanded): images the map may show."""
    if not url:
        return []
    hosts = [url.replace("{s}", s) for s in subdomains] if "{s}" in url else [url]
    found = []
    for host in hosts:
        scheme, _, rest = host.partition("://")
        origin = f"{scheme}://{rest.split('/', 1)[0]}" if rest else host
        if origin not in found:
            found.append(origin)
    return found


def security_headers(img_sources: Iterable[str] = ()) -> list[tuple[bytes, bytes]]:
    headers = {
        "content-security-policy": content_security_policy(img_sources),
        "x-content-type-options": "nosniff",
        "x-frame-options": "DENY",
        "referrer-policy": REFERRER_POLICY,
        "permissions-policy": PERMISSIONS_POLICY,
        "cross-origin-opener-policy": "same-origin",
        "cross-origin-resource-policy": "same-origin",
    }
    return [(k.encode(), v.encode()) for k, v in headers.items()]


class SecurityHeadersMiddleware:
    """Add the security headers to every HTTP response (and HSTS to HTTPS ones)."""

    def __init__(self, app: ASGIApp, *, img_sources: Iterable[str] = ()) -> None:
        self.app = app
        self.headers = security_headers(img_sources)
        self.hsts = (b"strict-transport-security", HSTS.encode())
        self._names = frozenset(name for name, _ in self.headers)

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # not a coroutine itself: a socket's lifetime keeps no frame of this layer
        if scope["type"] != "http":
            return self.app(scope, receive, send)
        return self._http(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        https = scope.get("scheme") == "https"

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                present = {name.lower() for name, _ in headers}
                # the common response sets none of ours: all of them, no per-header test
                extra = (self.headers if present.isdisjoint(self._names)
                         else [h for h in self.headers if h[0] not in present])
                if https and self.hsts[0] not in present:
                    extra = [*extra, self.hsts]
                message["headers"] = [*headers, *extra]
            await send(message)

        await self.app(scope, receive, with_headers)
