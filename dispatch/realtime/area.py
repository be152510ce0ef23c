"""The real-time area's life in the web process: the hub's listener runs from start to stop."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.routing import BaseRoute

from dispatch.bootstrap import Container
from dispatch.realtime.hub import Hub

routes: list[BaseRoute] = []


@contextlib.asynccontextmanager
async def lifespan(container: Container) -> AsyncIterator[None]:
    hub = Hub(container.redis, container.keys.push_pattern(), container.metrics)
    container.hub = hub
    await hub.start()
    try:
        yield
    finally:
        await hub.stop()
        container.hub = None
