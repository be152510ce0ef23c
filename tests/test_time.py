"""The one time helper: UTC milliseconds, and an injected instant of 0 is not "unset"."""

from __future__ import annotations

import asyncio
from datetime import date

from dispatch.bootstrap import bootstrap
from dispatch.clock import MS_PER_DAY, MS_PER_H, at_or_now, now_ms
from dispatch.reports.periods import Kind
from dispatch.settings import Settings


def test_an_injected_instant_is_kept_even_at_the_epoch() -> None:
    assert at_or_now(0, clock=lambda: 5) == 0
    assert at_or_now(None, clock=lambda: 5) == 5
    assert at_or_now(7) == 7
    assert abs(now_ms() - at_or_now(None)) < MS_PER_H
    assert MS_PER_DAY == 24 * MS_PER_H == 86_400_000


def test_a_report_built_at_the_epoch_says_so(settings: Settings) -> None:
    async def go() -> dict[str, object]:
        c = bootstrap(settings)
        try:
            assert c.reports.today(0) == date(1970, 1, 1)
            return await c.reports.build(Kind.DAILY, date(1970, 1, 1), now_ms=0)
        finally:
            await c.aclose()

    assert asyncio.run(go())["generated"] == 0
