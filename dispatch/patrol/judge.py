"""Judging a batch of fixes as they arrive: each against the newest fix before it."""

from __future__ import annotations

from collections.abc import Sequence

from .filters import FilterConfig, Ping, Verdict, classify

#: Verdicts whose fixes are stored in the track (the others are refused).
STORED_VERDICTS = frozenset({Verdict.OK, Verdict.INACCURATE, Verdict.JUMP})


def _order(ping: Ping) -> tuple[int, int]:
    return ping.ts, -1 if ping.seq is None else ping.seq


def judge_batch(
    pings: Sequence[Ping], *, last: Ping | None, now_ms: int, cfg: FilterConfig
) -> list[Verdict]:
    """Verdicts in input order.

    Fixes are judged in time order; duplicates and jumps are judged against the
    latest accepted fix at or before them: the batch's own, or ``last`` (the
    newest fix known of the worker) when that is later.
    """
    if len(pings) == 1:  # a single ping: no order to find
        ping = pings[0]
        ref = last if last is not None and last.ts <= ping.ts else None
        return [classify(ping, now_ms=now_ms, prev=ref, cfg=cfg)]
    verdicts = [Verdict.OK] * len(pings)
    prev: Ping | None = None
    for i in sorted(range(len(pings)), key=lambda k: _order(pings[k])):
        ping = pings[i]
        ref = prev
        if last is not None and last.ts <= ping.ts and (ref is None or last.ts > ref.ts):
            ref = last
        verdict = classify(ping, now_ms=now_ms, prev=ref, cfg=cfg)
        verdicts[i] = verdict
        if verdict is Verdict.OK:
            prev = ping
    return verdicts
