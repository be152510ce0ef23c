"""The web pages the server itself serves: the command screen at ``/``, the field app at
``/app`` (with its manifest and offline service worker), the report pages at ``/reports``,
the district screen at ``/district``,
and their static files (plain ES modules, no build step, no CDN)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from dispatch.authz import POLICY_ATTR, Policy, public
from dispatch.http import field_shell
from dispatch.http.typed import op

HTML = {"text/html": {"schema": {"type": "string"}}}
JS = {"text/javascript": {"schema": {"type": "string"}}}
MANIFEST = {"application/manifest+json": {"schema": {"type": "object"}}}

WEB_DIR = Path(str(resources.files("dispatch") / "web"))
NO_CACHE = {"Cache-Control": "no-cache"}


@public
@op(content=HTML)
async def screen_page(request: Request) -> Response:
    """The command screen (sign in on the page)."""
    return FileResponse(WEB_DIR / "screen" / "index.html", headers=NO_CACHE)


@public
@op(content=HTML)
async def field_app(request: Request) -> Response:
    """The field app for grid workers and disposal members."""
    return FileResponse(WEB_DIR / "app" / "index.html", headers=NO_CACHE)


@public
@op(content=JS)
async def field_app_worker(request: Request) -> Response:
    """The field app's service worker (scope /app): the app opens and records with no signal."""
    return Response(field_shell.worker_script(WEB_DIR), media_type=field_shell.JS_TYPE,
                    headers=field_shell.WORKER_HEADERS)


@public
@op(content=MANIFEST)
async def field_app_manifest(request: Request) -> Response:
    """The field app's web app manifest: installable on the phone's home screen."""
    return FileResponse(WEB_DIR / "app" / field_shell.MANIFEST_FILE,
                        media_type=field_shell.MANIFEST_TYPE, headers=NO_CACHE)


@public
@op(content=HTML)
async def reports_page(request: Request) -> Response:
    """The report pages: daily, weekly and monthly figures, charts, rankings, downloads."""
    return FileResponse(WEB_DIR / "reports" / "index.html", headers=NO_CACHE)


@public
@op(content=HTML)
async def district_page(request: Request) -> Response:
    """The district screen: every street on one map, their figures, escalations live."""
    return FileResponse(WEB_DIR / "district" / "index.html", headers=NO_CACHE)


class WebFiles(StaticFiles):
    """The pages' static files; public like the pages (the data behind them is not)."""


static = WebFiles(directory=WEB_DIR)
setattr(static, POLICY_ATTR, Policy(None, "static files of the web pages"))

routes: list[BaseRoute] = [
    Route("/", screen_page, methods=["GET"]),
    Route("/app", field_app, methods=["GET"]),
    Route("/app/sw.js", field_app_worker, methods=["GET"]),
    Route(field_shell.MANIFEST_PATH, field_app_manifest, methods=["GET"]),
    Route("/reports", reports_page, methods=["GET"]),
    Route("/district", district_page, methods=["GET"]),
    Mount("/static", app=static, name="static"),
]
