"""Time as the server keeps it: UTC milliseconds (docs/contract.md: every instant is Unix ms).

One wall clock (:func:`now_ms`), the unit constants, and :func:`at_or_now` for the many
calls that take an injected instant (tests and the clock process drive time that way).
"""

from __future__ import annotations

import time
from collections.abc import Callable

MS_PER_S = 1000
S_PER_MIN = 60
S_PER_H = 60 * S_PER_MIN
S_PER_DAY = 24 * S_PER_H
MS_PER_MIN = S_PER_MIN * MS_PER_S
MS_PER_H = S_PER_H * MS_PER_S
MS_PER_DAY = S_PER_DAY * MS_PER_S

#: A source of the current instant (UTC ms): :func:`now_ms`, or a test's own.
Now = Callable[[], int]


def now_ms() -> int:
    """The wall clock, in UTC milliseconds."""
    return time.time_ns() // 1_000_000


def at_or_now(at: int | None, clock: Now = now_ms) -> int:
    """``at`` when one is given, else now. 0 is an instant like any other (the epoch),
    not "unset"."""
    return clock() if at is None else at
