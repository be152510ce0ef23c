"""Outside every patrol window a start is an extra patrol (toward no window): the simulated
workers patrol, and streaming goes on."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from clients.simulator import stats as S
from clients.simulator.config import SimConfig
from clients.simulator.main import simulate
from tests.conftest import PASSWORD, LiveServer

TZ = ZoneInfo("Asia/Shanghai")
HOURS_AHEAD = 3


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """One short window a few hours from now: the run is outside it."""
    start = datetime.now(TZ) + timedelta(hours=HOURS_AHEAD)
    end = start + timedelta(hours=1)
    return {"patrol_windows": f"{start:%H}:00-{end:%H}:00"}


def test_patrols_outside_the_windows_are_extra_and_positions_still_stream(
        live: LiveServer, tokens: Callable[[str], str]) -> None:
    token = tokens("disp1")
    cfg = SimConfig(url=live.url, password=PASSWORD, workers=3, members=0, screens=0,
                    speed=30.0, duration_s=6.0, seed=5, osmand_share=0.0,
                    owntracks_share=0.0, quiet=True)
    stats = asyncio.run(simulate(cfg))
    assert stats[S.PATROLS_STARTED] >= 3 and stats[S.PATROLS_REFUSED] == 0
    assert stats[S.ACKS] > 0
    assert stats[S.ERRORS] == 0, dict(stats.last_error)
    with live.client(token) as http:
        patrols = http.get("/api/v1/patrols").json()["items"]
    assert patrols and {p["kind"] for p in patrols} == {"extra"}
