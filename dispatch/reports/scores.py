"""Scores per period: grid workers and departments, weighted, ranked; the last are warned.

Every part is a 0..1 value (1 best), or None ("not applicable") when the subject had
nothing to be judged on. The score is the weighted mean of the applicable parts x 100; a
subject with no applicable part has no score, no rank and is never warned. Ties share a
rank. docs/figures.md defines each part.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import mean
from typing import Any

from dispatch.reports.definitions import (
    DayWindow,
    handling_times,
    reported,
    verification_delays,
    windows_owed,
    windows_patrolled,
)
from dispatch.reports.facts import CaseFacts, PatrolFacts
from dispatch.reports.figures import DEPARTMENT, Tally
from dispatch.reports.periods import Period

SCALE = 100
INFORMANT = "informant"
DIGITS = 2
PART_DIGITS = 4
#: A verification this long (or longer) after the result scores 0 for speed.
SLOW_VERIFY_S = 24 * 3600
RATING_LOW, RATING_HIGH = 1, 5
#: What makes a department judged at all on overdue work and supervision.
ACTIVITY = ("reported", "dispatched", "due", "overdue", "closed", "supervised", "parts_due",
            "parts_reported")
#: The figures of a department's assisting parts (协办), shown in its raw figures.
PART_FIGURES = ("parts_due", "parts_in_time", "parts_overdue", "parts_reported",
                "parts_reworks")
#: The figures of the whistles a department was summoned by (吹哨报到), in its raw figures.
WHISTLE_FIGURES = ("summoned", "checkins_on_time", "checkins_late")


def on_time(f: Mapping[str, Any]) -> float | None:
    """Cases closed in time and parts reported in time, of those due (the suspended
    apart): a department is judged on its own parts as on its own cases."""
    if not f["parts_due"]:
        value: float | None = f["on_time_rate"]
        return value
    due = f["due"] - f["due_suspended"] + f["parts_due"]
    return (f["closed_in_time"] + f["parts_in_time"]) / due if due > 0 else None


def late(f: Mapping[str, Any]) -> int:
    """Overdue cases and overdue parts."""
    return int(f["overdue"]) + int(f["parts_overdue"])


def reworked(f: Mapping[str, Any]) -> int:
    return int(f["reworks"]) + int(f["parts_reworks"])


def checked(f: Mapping[str, Any]) -> int:
    """Results judged: cases verified, parts reported."""
    return int(f["verified"]) + int(f["parts_reported"])


def checkin(f: Mapping[str, Any]) -> float | None:
    """吹哨报到: check-ins on site in time, of the summons judged by T (on site in time,
    late, or missing once the limit passed); None when none was judged."""
    judged = int(f["checkins_on_time"]) + int(f["checkins_late"])
    return int(f["checkins_on_time"]) / judged if judged else None


@dataclass(frozen=True)
class Score:
    subject: str
    score: float | None
    parts: Mapping[str, float | None]
    raw: Mapping[str, Any]
    rank: int | None = None
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


def weighted(parts: Mapping[str, float | None], weights: Mapping[str, float]) -> float | None:
    """The weighted mean of the applicable parts x 100 (None when none applies)."""
    used = {k: w for k, w in weights.items() if parts.get(k) is not None and w > 0}
    total = sum(used.values())
    if total <= 0:
        return None
    return round(SCALE * sum((parts[k] or 0.0) * w for k, w in used.items()) / total, DIGITS)


def _part(value: float | None) -> float | None:
    return None if value is None else round(value, PART_DIGITS)


def _inverse_share(value: float, worst: float) -> float:
    return 1.0 - value / worst if worst > 0 else 1.0


def rank(scores: Sequence[Score], warn_last: int) -> list[Score]:
    """Scored subjects by score (ties share a rank), then the unscored; the last
    ``warn_last`` places of the scored are warned (when more than that are scored)."""
    scored = sorted((s for s in scores if s.score is not None),
                    key=lambda s: (-(s.score or 0.0), s.subject))
    out: list[Score] = []
    warn_from = len(scored) - warn_last if warn_last and len(scored) > warn_last else None
    place = 0
    for i, s in enumerate(scored):
        if i == 0 or s.score != scored[i - 1].score:
            place = i + 1
        warned = warn_from is not None and i >= warn_from
        out.append(Score(s.subject, s.score, s.parts, s.raw, place, warned))
    unscored = sorted((s for s in scores if s.score is None), key=lambda s: s.subject)
    return out + unscored


@dataclass(frozen=True)
class WorkerInput:
    username: str
    since: int  # when the worker (and the street) existed
    grid: str | None = None  # their grid (its informants' reports are shown with them)


def worker_scores(workers: Sequence[WorkerInput], cases: Sequence[CaseFacts],
                  patrols: Sequence[PatrolFacts], windows: Sequence[DayWindow], period: Period,
                  weights: Mapping[str, float], warn_last: int) -> list[Score]:
    reports: dict[str, int] = defaultdict(int)
    informed: dict[str, int] = defaultdict(int)  # reports by each grid's informants
    delays: dict[str, list[float]] = defaultdict(list)
    for c in cases:
        if c.reporter and reported(c, period):
            reports[c.reporter] += 1
            if c.reporter_role == INFORMANT and c.grid:
                informed[c.grid] += 1
        for who, seconds in verification_delays(c, period):
            delays[who].append(seconds)
    by_worker: dict[str, list[PatrolFacts]] = defaultdict(list)
    for x in patrols:
        by_worker[x.worker].append(x)
    best = max((reports[w.username] for w in workers), default=0)
    out = []
    for w in workers:
        mine = by_worker[w.username]
        owed = windows_owed(w.since, windows, mine, period)
        done = windows_patrolled(owed, mine, period)
        verify = mean(delays[w.username]) if delays[w.username] else None
        parts = {
            "patrol": _part(done / len(owed)) if owed else None,
            "reports": _part(reports[w.username] / best) if best else None,
            "verify": _part(1.0 - min(1.0, verify / SLOW_VERIFY_S)) if verify is not None
            else None,
        }
        raw = {"windows_owed": len(owed), "windows_patrolled": done,
               "reports": reports[w.username],
               "verifications": len(delays[w.username]),
               "verify_mean_s": round(verify, 1) if verify is not None else None,
               "informant_reports": informed[w.grid] if w.grid else 0}
        out.append(Score(w.username, weighted(parts, weights), parts, raw))
    return rank(out, warn_last)


def department_scores(departments: Sequence[str], cases: Sequence[CaseFacts], t: Tally,
                      weights: Mapping[str, float], warn_last: int) -> list[Score]:
    handling: dict[str, list[float]] = defaultdict(list)
    for c in cases:
        for credit, seconds in handling_times(c, t.period):
            if credit:
                handling[credit].append(seconds)
    figs = {d: t.figures((DEPARTMENT, d)) for d in departments}
    mean_h = {d: mean(handling[d]) if handling[d] else None for d in departments}
    worst_overdue = max((late(f) for f in figs.values()), default=0)
    worst_supervised = max((f["supervised"] for f in figs.values()), default=0)
    worst_handling = max((v for v in mean_h.values() if v is not None), default=0.0)
    out = []
    for d in departments:
        f = figs[d]
        handled = mean_h[d]
        active = any(f[k] for k in ACTIVITY)
        rating = f["rating_mean"]
        parts = {
            "on_time": _part(on_time(f)),
            "rework": _part(1.0 - min(1.0, reworked(f) / checked(f))) if checked(f)
            else None,
            "overdue": _part(_inverse_share(late(f), worst_overdue)) if active else None,
            "handling": _part(_inverse_share(handled, worst_handling))
            if handled is not None else None,
            "supervised": _part(_inverse_share(f["supervised"], worst_supervised))
            if active else None,
            "rating": _part((rating - RATING_LOW) / (RATING_HIGH - RATING_LOW))
            if rating is not None else None,
            "checkin": _part(checkin(f)),
        }
        raw = {"on_time_rate": f["on_time_rate"], "closed_in_time": f["closed_in_time"],
               "due": f["due"], "due_suspended": f["due_suspended"],
               "verified": f["verified"], "reworks": f["reworks"], "overdue": f["overdue"],
               "supervised": f["supervised"], "ratings": f["ratings"], "rating_mean": rating,
               "closed": f["closed"],
               "mean_handling_s": round(handled, 1) if handled is not None else None}
        if any(f[k] for k in PART_FIGURES):  # the department's own assisting parts
            raw.update({k: f[k] for k in PART_FIGURES})
        if any(f[k] for k in WHISTLE_FIGURES):  # the whistles it was summoned by
            raw.update({k: f[k] for k in WHISTLE_FIGURES})
        out.append(Score(d, weighted(parts, weights), parts, raw))
    return rank(out, warn_last)
