"""Working-hour limits through the API, with the street's calendar from configuration."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import LiveServer

TZ = ZoneInfo("Asia/Shanghai")
MS = 1000
ITEM = "SS01"  # street light out: 48 working hours (7 working hours a day)


def local(*args: int) -> int:
    return int(datetime(*args, tzinfo=TZ).timestamp() * MS)


def deadline(live: LiveServer, token: str, at: int) -> int:
    with live.client(token) as c:
        r = c.post("/api/v1/rules/dry-run", json={"item": ITEM, "lat": 39.03, "lon": 117.42,
                                                  "at": at})
    assert r.status_code == 200, r.text
    assert r.json()["clock"] == "working"
    return int(r.json()["deadline"])


class TestHolidayMonday:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"holidays": "2026-11-23"}

    def test_weekend_and_holiday_do_not_count(self, live: LiveServer,
                                              tokens: Callable[[str], str]) -> None:
        # Friday 16:30: 1 h that day, then Tue..Fri, Mon, Tue (6 x 7 h), 5 h on Wednesday
        got = deadline(live, tokens("disp1"), local(2026, 11, 20, 16, 30))
        assert got == local(2026, 12, 2, 15, 30)


class TestMakeUpSaturday:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"holidays": "2026-11-23", "workdays": "2026-11-21"}

    def test_a_make_up_saturday_counts(self, live: LiveServer,
                                       tokens: Callable[[str], str]) -> None:
        got = deadline(live, tokens("disp1"), local(2026, 11, 20, 16, 30))
        assert got == local(2026, 12, 1, 15, 30)


def test_without_holidays(live: LiveServer, tokens: Callable[[str], str]) -> None:
    got = deadline(live, tokens("disp1"), local(2026, 11, 20, 16, 30))
    assert got == local(2026, 12, 1, 15, 30)
