"""Strict security headers on every page, static file, API answer and photo; the pages carry
no inline script, style or event handler, so the policy needs no 'unsafe-inline'."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx

from dispatch.http.security import content_security_policy, tile_origins
from tests.conftest import PNG_1PX, LiveServer

WEB = Path(__file__).resolve().parents[2] / "dispatch" / "web"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
#: In our modules: style attributes set or written into markup, code from strings.
JS_INLINE = re.compile(
    r"""setAttribute\(\s*["']style["']|\sstyle=\\?["'`$]|\son[a-z]+=\\?["']|\beval\(|"""
    r"""new Function\(""")


def assert_strict(r: httpx.Response) -> None:
    csp = r.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "strict-origin-when-cross-origin"


def test_pages_static_api_and_errors(live: LiveServer) -> None:
    with live.client() as c:
        for path in ("/", "/app", "/static/screen/main.js", "/static/app/app.css",
                     "/healthz", "/api/v1/me", "/no/such/page"):
            r = c.get(path)
            assert_strict(r)
        assert "strict-transport-security" not in c.get("/").headers  # plain HTTP


def test_photos_are_nosniff(live: LiveServer, tokens: Callable[[str], str]) -> None:
    with live.client(tokens("gw001")) as c:
        up = c.post("/api/v1/media", files={"file": ("p.png", PNG_1PX, "image/png")})
        assert up.status_code == 201
        assert_strict(up)
        r = c.get(f"/api/v1/media/{up.json()['id']}")
    assert r.status_code == 200 and r.content == PNG_1PX
    assert r.headers["content-type"] == "image/png"
    assert_strict(r)


def test_pages_have_nothing_inline() -> None:
    problems = []
    for page in WEB.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        for name, pattern in (("script", INLINE_SCRIPT), ("style", INLINE_STYLE),
                              ("handler", INLINE_HANDLER)):
            problems += [f"{page.name}: inline {name}: {m.group(0)[:60]}"
                         for m in pattern.finditer(text)]
    for module in (m for m in WEB.rglob("*.js") if "vendor" not in m.parts):
        text = module.read_text(encoding="utf-8")
        problems += [f"{module.name}: {m.group(0)}" for m in JS_INLINE.finditer(text)]
    assert problems == []


def test_extra_image_sources_join_the_policy() -> None:
    csp = content_security_policy(["https://tiles.example.org"])
    assert "img-src 'self' data: blob: https://tiles.example.org" in csp
    assert tile_origins("https://{s}.tile.example.org/{z}/{x}/{y}.png", "ab") == [
        "https://a.tile.example.org", "https://b.tile.example.org"]
    assert tile_origins("", "abc") == []
