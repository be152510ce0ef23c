"""The working calendar: official days off and make-up days from chinese-calendar, the street's
own days on top (a local working day wins over an official holiday, and the reverse)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from dispatch.rules.official import official_days, with_local
from dispatch.rules_service import work_calendar
from dispatch.settings import Settings
from tests.conftest import LiveServer
from tests.test_working_calendar_api import deadline, local

SEP_30_1630 = (2026, 9, 30, 16, 30)  # the eve of National Day; 48 working hours from here


def test_official_days_of_2026() -> None:
    cn = official_days("cn")
    assert date(2026, 10, 1) in cn.holidays and date(2026, 10, 7) in cn.holidays
    assert date(2026, 10, 10) in cn.workdays  # a make-up Saturday (调休)
    assert cn.covers(date(2026, 12, 1))
    assert official_days("none").holidays == frozenset()


def test_local_days_go_on_top() -> None:
    off, on = with_local(official_days("cn"), frozenset({date(2026, 10, 9)}),
                         frozenset({date(2026, 10, 7)}))
    assert date(2026, 10, 9) in off and date(2026, 10, 7) not in off
    assert date(2026, 10, 7) in on and date(2026, 10, 10) in on
    with pytest.raises(ValueError):
        with_local(official_days("cn"), frozenset({date(2026, 1, 5)}),
                   frozenset({date(2026, 1, 5)}))


@pytest.mark.parametrize(("overrides", "due"), [
    ({}, (2026, 10, 15, 15, 30)),  # Oct 1-7 off, Saturday Oct 10 worked
    ({"calendar": "none"}, (2026, 10, 9, 15, 30)),  # weekends only
    ({"holidays": "2026-10-09"}, (2026, 10, 16, 15, 30)),  # and a local day off
    ({"workdays": "2026-10-07"}, (2026, 10, 14, 15, 30)),  # a local working day wins
])
def test_deadlines_across_national_day(settings_overrides: dict[str, Any],
                                       overrides: dict[str, Any], due: tuple[int, ...],
                                       live: LiveServer, tokens: Callable[[str], str]) -> None:
    assert deadline(live, tokens("disp1"), local(*SEP_30_1630)) == local(*due)


@pytest.fixture
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    return dict(request.node.callspec.params.get("overrides", {})) \
        if hasattr(request.node, "callspec") else {}


def test_an_operator_is_warned_a_month_before_the_calendar_runs_out(
        caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings.from_env({})
    with caplog.at_level(logging.WARNING, logger="dispatch.rules"):
        work_calendar(settings, date(2026, 11, 15))
    assert not caplog.records  # December is still known
    with caplog.at_level(logging.WARNING, logger="dispatch.rules"):
        work_calendar(settings, date(2026, 12, 2))  # a limit set now counts into January
    assert "list 2027's in DISPATCH_HOLIDAYS" in caplog.text
