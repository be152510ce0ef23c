"""``dispatch serve``: the ASGI app under uvicorn.

Protocols: uvloop's event loop and httptools' HTTP parser when installed (both are
pinned dependencies; uvicorn falls back to asyncio and h11 where they are missing), and
the WebSocket implementation chosen by bench_ingest (CPU per ping, same run).
"""

from __future__ import annotations

import uvicorn
from starlette.applications import Starlette
from uvicorn.supervisors import Multiprocess

from dispatch.app import create_app
from dispatch.embedded_redis import resolve_redis_url
from dispatch.logs import install as install_redaction
from dispatch.logs import uvicorn_log_config
from dispatch.settings import Settings

#: uvloop when importable, else asyncio's loop.
LOOP_IMPL = "auto"
#: httptools when importable, else h11.
HTTP_IMPL = "auto"
WS_IMPL = "websockets-sansio"
WS_DEFLATE = True


def worker_app() -> Starlette:
    """The app of one of several web processes (uvicorn imports this in each): its
    settings from the environment, Redis as ``dispatch serve`` resolved it."""
    install_redaction()
    settings = Settings.from_env()
    url = resolve_redis_url(settings.redis_url, settings.redis_dir, settings.fsync)
    return create_app(settings=settings.replace(redis_url=url))


def uvicorn_config(settings: Settings) -> uvicorn.Config:
    workers = max(1, settings.web_workers)
    return uvicorn.Config(
        # several processes each import the app; one builds it here
        "dispatch.server:worker_app" if workers > 1 else create_app(settings=settings),
        factory=workers > 1,
        workers=workers,
        host=settings.host,
        port=settings.port,
        loop=LOOP_IMPL,
        http=HTTP_IMPL,
        ws=WS_IMPL,
        ws_max_size=settings.max_ws_frame_bytes,
        ws_per_message_deflate=WS_DEFLATE,
        ws_ping_interval=20,
        lifespan="on",
        log_level=settings.log_level,
        log_config=uvicorn_log_config(settings.log_level),
        access_log=settings.access_log,
        # X-Forwarded-* count only from DISPATCH_TRUSTED_PROXIES, in the app (dispatch.app).
        proxy_headers=False,
    )


def serve(settings: Settings) -> None:
    install_redaction()
    url = resolve_redis_url(settings.redis_url, settings.redis_dir, settings.fsync)
    config = uvicorn_config(settings.replace(redis_url=url))
    if config.workers > 1:  # a supervisor and its worker processes, as `uvicorn --workers`
        sock = config.bind_socket()
        Multiprocess(config, sockets=[sock]).run()
    else:
        uvicorn.Server(config).run()
