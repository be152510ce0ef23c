"""The cases' tests: a ``cases`` client for the API, and a clock the test moves by hand
for the timed rules (parts' limits, whistles).

The clock starts at a working morning of the street's today, so the day's report holds every
deadline a test passes whatever the hour it runs at (near midnight in the street's zone a
2-hour limit used to fall into tomorrow's report)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from dispatch.clock import MS_PER_S
from dispatch.settings import Settings
from tests.cases.helpers import Cases
from tests.conftest import LiveServer, running

MIN = 60_000
#: The hour of the street's morning the clock starts at.
START = time(9, 0)


class MovableClock:
    def __init__(self, tz: str) -> None:
        zone = ZoneInfo(tz)
        morning = datetime.combine(datetime.now(zone).date(), START, zone)
        self.now = int(morning.timestamp() * MS_PER_S)

    def __call__(self) -> int:
        return self.now

    def advance(self, minutes: int) -> None:
        self.now += minutes * MIN


@pytest.fixture
def clock(settings: Settings) -> MovableClock:
    return MovableClock(settings.tz)


@pytest.fixture
def clocked(settings: Settings, clock: MovableClock) -> Iterator[LiveServer]:
    """A server whose every "now" is ``clock``'s."""
    with running(settings, clock) as server:
        yield server


@pytest.fixture
def cases(live: LiveServer, tokens: Callable[[str], str]) -> Cases:
    """The case API as each user calls it, on this module's ``live`` server."""
    return Cases(live, tokens)
