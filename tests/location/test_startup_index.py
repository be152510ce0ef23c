"""The point-in-grid index is built while the web process starts, not by the first phone's
fix: the first fixes after a restart are not held up by the build, and the index (a few
MB) is not charged to the first sockets, nor walked by every later garbage collection."""

from __future__ import annotations

from dispatch.app import create_app
from dispatch.org.model import OrgData
from dispatch.settings import Settings
from tests.conftest import run_async


def test_a_started_web_process_already_holds_its_grid_index(
        settings: Settings, seeded: OrgData) -> None:
    app = create_app(settings=settings)

    async def go() -> tuple[bool, int]:
        async with app.router.lifespan_context(app):
            org = app.state.container.org
            built = org._index is not None  # before any request or socket
            return built, len((await org.index()).grid_ids)

    built, grids = run_async(go())
    assert built
    assert grids == len(seeded.grids["features"])


def test_a_street_without_grids_still_starts(settings: Settings) -> None:
    app = create_app(settings=settings)

    async def go() -> bool:
        async with app.router.lifespan_context(app):
            return app.state.container.org._index is None

    assert run_async(go())
