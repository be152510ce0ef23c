"""Scores per period: grid workers and departments, weighted, ranked; the last are warned.

Workers: patrol completion (complete / windows owed), reports made, verification speed.
Departments: on-time closure rate, rework, overdue and mean handling time.
Every part is a 0..1 value (1 best); the score is the weighted sum x 100.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import mean
from typing import Any

from dispatch.reports.facts import CaseFacts
from dispatch.reports.figures import PatrolFacts, Period, figures

SCALE = 100
DIGITS = 2
#: A verification this long (or longer) after the result scores 0 for speed.
SLOW_VERIFY_S = 24 * 3600


@dataclass(frozen=True)
class Score:
    subject: str
    score: float
    parts: Mapping[str, float]
    raw: Mapping[str, Any]
    rank: int = 0
    warned: bool = False

    def public(self) -> dict[str, Any]:
        return {"subject": self.subject, "score": self.score, "rank": self.rank,
                "warned": self.warned, "parts": dict(self.parts), "raw": dict(self.raw)}


def parse_weights(spec: str) -> dict[str, float]:
    """``"patrol=0.5,reports=0.3,verify=0.2"`` -> weights."""
    out = {}
    for part in spec.split(","):
        name, _, value = part.partition("=")
        if name.strip():
            out[name.strip()] = float(value)
    return out


def _weighted(parts: Mapping[str, float], weights: Mapping[str, float]) -> float:
    total = sum(weights.values()) or 1.0
    return round(SCALE * sum(parts.get(k, 0.0) * w for k, w in weights.items()) / total, DIGITS)


def _share_of_best(value: float, best: float) -> float:
    return value / best if best > 0 else 0.0


def _inverse_share(value: float, worst: float) -> float:
    return 1.0 - value / worst if worst > 0 else 1.0


def rank(scores: Sequence[Score], warn_last: int) -> list[Score]:
    ordered = sorted(scores, key=lambda s: (-s.score, s.subject))
    last = {s.subject for s in ordered[-warn_last:]} if warn_last and len(ordered) > warn_last \
        else set()
    return [Score(s.subject, s.score, s.parts, s.raw, i + 1, s.subject in last)
            for i, s in enumerate(ordered)]


def worker_scores(workers: Sequence[str], cases: Sequence[CaseFacts],
                  patrols: Sequence[PatrolFacts], period: Period, windows_owed: int,
                  weights: Mapping[str, float], warn_last: int) -> list[Score]:
    reports = {w: sum(1 for c in cases if c.reporter == w and period.has(c.created))
               for w in workers}
    best = max(reports.values(), default=0)
    out = []
    for w in workers:
        done = sum(1 for p in patrols if p.worker == w and p.status == "complete"
                   and period.has(p.start))
        speeds = [c.verify_s for c in cases if c.verifier == w and c.verify_s is not None
                  and period.has(c.closed or c.resolved)]
        verify = mean(speeds) if speeds else None
        parts = {
            "patrol": min(1.0, done / windows_owed) if windows_owed else 0.0,
            "reports": _share_of_best(reports[w], best),
            "verify": 1.0 - min(1.0, verify / SLOW_VERIFY_S) if verify is not None else 0.0,
        }
        raw = {"patrols_complete": done, "windows": windows_owed, "reports": reports[w],
               "verify_mean_s": verify}
        out.append(Score(w, _weighted(parts, weights), parts, raw))
    return rank(out, warn_last)


def department_scores(departments: Sequence[str], cases: Sequence[CaseFacts], period: Period,
                      weights: Mapping[str, float], warn_last: int) -> list[Score]:
    per = {d: [c for c in cases if c.department == d] for d in departments}
    figs = {d: figures(per[d], [], period) for d in departments}
    handling = {d: [(c.resolved - c.dispatched) / 1000 for c in per[d]
                    if c.resolved and c.dispatched and period.has(c.resolved)]
                for d in departments}
    mean_h = {d: mean(v) if v else 0.0 for d, v in handling.items()}
    worst_rework = max((f.reworks for f in figs.values()), default=0)
    worst_overdue = max((f.overdue for f in figs.values()), default=0)
    worst_handling = max(mean_h.values(), default=0.0)
    out = []
    for d in departments:
        f = figs[d]
        parts = {
            "on_time": f.on_time_rate if f.on_time_rate is not None else 1.0,
            "rework": _inverse_share(f.reworks, worst_rework),
            "overdue": _inverse_share(f.overdue, worst_overdue),
            "handling": _inverse_share(mean_h[d], worst_handling),
        }
        raw = {"on_time_rate": f.on_time_rate, "closed_in_time": f.closed_in_time,
               "due": f.due, "suspended": f.due_suspended, "reworks": f.reworks,
               "overdue": f.overdue, "mean_handling_s": round(mean_h[d], 1)}
        out.append(Score(d, _weighted(parts, weights), parts, raw))
    return rank(out, warn_last)
