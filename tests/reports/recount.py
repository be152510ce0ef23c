"""An independent recount of every figure from what any client reads: the case timelines
(GET /api/v1/cases/{id}), the patrol records (GET /api/v1/patrols), the street's windows,
stations and departments. Written from docs/figures.md, apart from dispatch/reports: it
replays each timeline entry by entry up to the instant asked instead of indexing it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from statistics import mean
from typing import Any
from zoneinfo import ZoneInfo

MS = 1000
RUNNING = {"reported", "dispatched", "accepted", "triage", "reopened"}
CENTRE = "centre"
DIGITS = 4


@dataclass
class Replayed:
    """A case after every entry before (or at) an instant."""

    state: str | None = None
    department: str | None = None
    deadline: int | None = None
    duplicate: bool = False
    last_close: int | None = None
    resolves: list[int] = field(default_factory=list)


def replay(case: dict[str, Any], until: int, *, inclusive: bool = False) -> Replayed:
    r = Replayed()
    for e in sorted(case["timeline"], key=lambda e: e["ts"]):
        if e["ts"] > until or (e["ts"] == until and not inclusive):
            break
        if e["action"] == "report" or (e.get("to") and e.get("to") != e.get("from")):
            r.state = e["to"]
        if "department" in e:
            r.department = e["department"] or None
        elif e.get("to") == "triage" and e.get("from") != "triage":
            r.department = CENTRE
        if e.get("deadline") is not None:
            r.deadline = e["deadline"]
        if e.get("to") == "duplicate":
            r.duplicate = True
        if e.get("to") == "closed" and e.get("from") != "closed":
            r.last_close = e["ts"]
        if e["action"] == "resolve":
            r.resolves.append(e["ts"])
    if case["state"] == "duplicate" and r.state is not None:
        r.duplicate = True  # a report found to repeat another at intake
        r.state = "duplicate"
    return r


def created(case: dict[str, Any]) -> int:
    return int(next(e["ts"] for e in case["timeline"] if e["action"] == "report"))


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    at: int

    def has(self, ts: int | None) -> bool:
        return ts is not None and self.start <= ts < self.end and ts < self.at


class Counts:
    """figure -> group -> count, and the ratings' sums."""

    def __init__(self) -> None:
        self.n: dict[str, dict[tuple[str, str], int]] = defaultdict(lambda: defaultdict(int))
        self.rating_sum: dict[tuple[str, str], int] = defaultdict(int)

    def add(self, figure: str, station: str | None, department: str | None,
            times: int = 1) -> None:
        self.n[figure][("total", "")] += times
        if station:
            self.n[figure][("station", station)] += times
        if department:
            self.n[figure][("department", department)] += times


def handed_in_before(r: Replayed, t: int) -> int | None:
    done = [x for x in r.resolves if x <= t]
    return done[-1] if done else None


def count_case(case: dict[str, Any], s: Span, out: Counts) -> None:
    station = case.get("station")
    at_t = replay(case, s.at)

    def dept_at(t: int) -> str | None:
        return replay(case, t, inclusive=True).department

    made = created(case)
    if s.has(made):
        if at_t.duplicate:
            out.add("duplicates", station, None)
        else:
            routed_to = dept_at(made)
            out.add("reported", station, routed_to)
            if at_t.state == "closed":
                out.add("reported_closed", station, routed_to)
            if at_t.state == "cancelled":
                out.add("cancelled", station, routed_to)
    first_dispatch = next((e["ts"] for e in sorted(case["timeline"], key=lambda e: e["ts"])
                           if e["action"] != "report" and e.get("to") in (
                               "dispatched", "accepted")), None)
    if s.has(first_dispatch):
        out.add("dispatched", station, dept_at(first_dispatch))
    if at_t.state == "closed" and s.has(at_t.last_close):
        out.add("closed", station, dept_at(at_t.last_close or 0))
    deadline = at_t.deadline
    due = deadline is not None and s.has(deadline)
    if due and deadline is not None:
        if replay(case, deadline).state in ("cancelled", "duplicate"):
            due = False
        handed = handed_in_before(at_t, s.at - 1)
        if at_t.state == "resolved" and handed is not None and handed <= deadline:
            due = False
    if due and deadline is not None:
        holder = dept_at(deadline)
        out.add("due", station, holder)
        if at_t.state == "suspended":
            out.add("due_suspended", station, holder)
        if at_t.state == "closed":
            handed = handed_in_before(at_t, at_t.last_close or 0)
            if handed is not None and handed <= deadline:
                out.add("closed_in_time", station, holder)
    if at_t.state in RUNNING and deadline is not None and deadline < s.at:
        out.add("overdue", station, dept_at(deadline))
    for e in case["timeline"]:
        if not s.has(e["ts"]):
            continue
        holder = dept_at(e["ts"])
        if e["action"] == "verify":
            out.add("verified", station, holder)
            if e.get("to") == "reopened":
                out.add("reworks", station, holder)
        elif e["action"] == "reopen":
            out.add("reopened", station, holder)
        elif e["action"] == "supervise":
            out.add("supervised", station, holder)
        elif e["action"] == "rate" and isinstance(e.get("score"), int):
            out.add("ratings", station, holder)
            for key in (("total", ""), ("station", station or ""), ("department",
                                                                     holder or "")):
                if key[1] or key[0] == "total":
                    out.rating_sum[key] += e["score"]


def count_patrol(p: dict[str, Any], s: Span, street_since: int, out: Counts) -> None:
    ended = p.get("end") is not None and p["end"] <= s.at
    if not (s.has(p["start"]) and ended):
        return
    if p["kind"] == "extra":
        out.add("patrols_extra", p["station"], None)
    elif p["status"] == "missed":
        if p["window"]["start"] >= street_since:
            out.add("patrols_missed", p["station"], None)
    elif p["status"] in ("complete", "incomplete"):
        out.add(f"patrols_{p['status']}", p["station"], None)


def _rate(a: int, b: int) -> float | None:
    return round(a / b, DIGITS) if b > 0 else None


def figures_of(out: Counts, group: tuple[str, str], names: Iterable[str]) -> dict[str, Any]:
    n = {k: out.n[k][group] for k in names}
    f: dict[str, Any] = dict(n)
    f["closure_rate"] = _rate(n["reported_closed"], n["reported"] - n["cancelled"])
    f["on_time_rate"] = _rate(n["closed_in_time"], n["due"] - n["due_suspended"])
    if "patrols_complete" in n:
        f["patrol_rate"] = _rate(n["patrols_complete"], n["patrols_complete"]
                                 + n["patrols_incomplete"] + n["patrols_missed"])
    f["rating_mean"] = round(out.rating_sum[group] / n["ratings"], 2) if n["ratings"] \
        else None
    return f


CASE_KEYS = ("reported", "duplicates", "dispatched", "closed", "reported_closed", "cancelled",
             "due", "due_suspended", "closed_in_time", "overdue", "verified", "reworks",
             "reopened", "supervised", "ratings")
PATROL_KEYS = ("patrols_complete", "patrols_incomplete", "patrols_missed", "patrols_extra")


@dataclass
class World:
    """What the recount reads, once."""

    cases: list[dict[str, Any]]
    patrols: list[dict[str, Any]]
    stations: list[str]
    departments: list[str]
    street_since: int
    tz: ZoneInfo
    windows: list[tuple[str, str, str]]  # name, start HH:MM, end HH:MM


def local_ms(d: date, hhmm: str, tz: ZoneInfo) -> int:
    h, m = (int(x) for x in hhmm.split(":"))
    return int(datetime(d.year, d.month, d.day, h, m, tzinfo=tz).timestamp() * MS)


def span_of(kind: str, d: date, now: int, tz: ZoneInfo) -> tuple[Span, str]:
    if kind == "daily":
        first, after, label = d, d + timedelta(days=1), d.isoformat()
    elif kind == "weekly":
        first = d - timedelta(days=d.weekday())
        after = first + timedelta(days=7)
        y, w, _ = first.isocalendar()
        label = f"{y}-W{w:02d}"
    else:
        first = d.replace(day=1)
        after = (first + timedelta(days=32)).replace(day=1)
        label = f"{first.year}-{first.month:02d}"
    start, end = local_ms(first, "00:00", tz), local_ms(after, "00:00", tz)
    return Span(start, end, min(end, max(start, now + 1))), label


def recount_report(world: World, kind: str, d: date, now: int) -> dict[str, Any]:
    s, label = span_of(kind, d, now, world.tz)
    out = Counts()
    for c in world.cases:
        count_case(c, s, out)
    for p in world.patrols:
        count_patrol(p, s, world.street_since, out)
    every = (*CASE_KEYS, *PATROL_KEYS)
    depts = sorted(set(world.departments) | {g for f in out.n.values() for k, g in f
                                             if k == "department"})
    return {
        "label": label, "at": s.at,
        "totals": figures_of(out, ("total", ""), every),
        "stations": {x: figures_of(out, ("station", x), every) for x in world.stations},
        "departments": {x: figures_of(out, ("department", x), CASE_KEYS) for x in depts},
    }


# --- scores ----------------------------------------------------------------------------

def _part(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def _score(parts: dict[str, float | None], weights: dict[str, float]) -> float | None:
    used = {k: w for k, w in weights.items() if parts.get(k) is not None}
    if not used:
        return None
    return round(100 * sum((parts[k] or 0) * w for k, w in used.items()) / sum(used.values()),
                 2)


def _ranks(scores: dict[str, float | None], warn_last: int) -> dict[str, tuple[Any, bool]]:
    scored = sorted((k for k, v in scores.items() if v is not None),
                    key=lambda k: (-(scores[k] or 0), k))
    out: dict[str, tuple[Any, bool]] = {k: (None, False) for k in scores}
    place = 0
    for i, k in enumerate(scored):
        if i == 0 or scores[k] != scores[scored[i - 1]]:
            place = i + 1
        out[k] = (place, len(scored) > warn_last and i >= len(scored) - warn_last)
    return out


def recount_scores(world: World, kind: str, d: date, now: int, workers: list[str],
                   w_weights: dict[str, float], d_weights: dict[str, float],
                   warn_last: int) -> dict[str, Any]:
    s, label = span_of(kind, d, now, world.tz)
    days = []
    day = date.fromtimestamp(0)
    day = datetime.fromtimestamp(s.start / MS, world.tz).date()
    while local_ms(day, "00:00", world.tz) < s.end:
        days.append(day)
        day += timedelta(days=1)
    reports: dict[str, int] = defaultdict(int)
    delays: dict[str, list[float]] = defaultdict(list)
    handling: dict[str, list[float]] = defaultdict(list)
    out = Counts()
    for c in world.cases:
        count_case(c, s, out)
        made = created(c)
        if s.has(made) and not replay(c, s.at).duplicate:
            reports[c["reporter"]] += 1
        resolves: list[int] = []
        for e in sorted(c["timeline"], key=lambda e: e["ts"]):
            if e["action"] == "resolve":
                resolves.append(e["ts"])
            if e["action"] == "verify" and resolves and s.has(e["ts"]):
                delays[e["by"]].append((e["ts"] - resolves[-1]) / MS)
        at_t = replay(c, s.at)
        if at_t.state == "closed" and s.has(at_t.last_close):
            first_dispatch = next((e["ts"] for e in sorted(c["timeline"], key=lambda e: e["ts"])
                                   if e["action"] != "report" and e.get("to") in (
                                       "dispatched", "accepted")), None)
            handed = handed_in_before(at_t, at_t.last_close or 0)
            holder = replay(c, at_t.last_close or 0, inclusive=True).department
            if first_dispatch is not None and handed is not None and holder:
                handling[holder].append((handed - first_dispatch) / MS)
    best = max((reports[w] for w in workers), default=0)
    worker_rows: dict[str, dict[str, Any]] = {}
    for w in workers:
        mine = [p for p in world.patrols if p["worker"] == w and p["kind"] == "window"]
        owed = done = 0
        for day in days:
            for name, a, b in world.windows:
                start = local_ms(day, a, world.tz)
                end_day = day + timedelta(days=1) if b <= a else day
                end = local_ms(end_day, b, world.tz)
                if not s.has(start) or start < world.street_since:
                    continue
                here = [p for p in mine if p["date"] == day.isoformat()
                        and p["window"]["name"] == name and p.get("end") is not None
                        and p["end"] <= s.at]
                if end <= s.at or any(p["status"] != "missed" for p in here):
                    owed += 1
                    done += any(p["status"] == "complete" for p in here)
        verify = mean(delays[w]) if delays[w] else None
        parts = {"patrol": _part(done / owed) if owed else None,
                 "reports": _part(reports[w] / best) if best else None,
                 "verify": _part(1 - min(1.0, verify / 86400)) if verify is not None
                 else None}
        worker_rows[w] = {"parts": parts, "score": _score(parts, w_weights),
                          "raw": {"windows_owed": owed, "windows_patrolled": done,
                                  "reports": reports[w], "verifications": len(delays[w])}}
    dept_rows: dict[str, dict[str, Any]] = {}
    figs = {x: figures_of(out, ("department", x), CASE_KEYS) for x in world.departments}
    worst_o = max(f["overdue"] for f in figs.values())
    worst_s = max(f["supervised"] for f in figs.values())
    means = {x: mean(handling[x]) if handling[x] else None for x in world.departments}
    worst_h = max((v for v in means.values() if v is not None), default=0.0)
    for x, f in figs.items():
        active = any(f[k] for k in ("reported", "dispatched", "due", "overdue", "closed",
                                    "supervised"))
        h = means[x]
        parts = {
            "on_time": _part(f["on_time_rate"]),
            "rework": _part(1 - min(1.0, f["reworks"] / f["verified"])) if f["verified"]
            else None,
            "overdue": _part(1 - f["overdue"] / worst_o if worst_o else 1.0) if active
            else None,
            "handling": _part(1 - h / worst_h if worst_h else 1.0) if h is not None else None,
            "supervised": _part(1 - f["supervised"] / worst_s if worst_s else 1.0) if active
            else None,
            "rating": _part((f["rating_mean"] - 1) / 4) if f["rating_mean"] is not None
            else None,
        }
        dept_rows[x] = {"parts": parts, "score": _score(parts, d_weights),
                        "raw": {k: f[k] for k in ("due", "due_suspended", "closed_in_time",
                                                  "verified", "reworks", "overdue",
                                                  "supervised", "ratings", "closed")}}
    for rows in (worker_rows, dept_rows):
        ranks = _ranks({k: v["score"] for k, v in rows.items()}, warn_last)
        for k, (place, warned) in ranks.items():
            rows[k]["rank"], rows[k]["warned"] = place, warned
    return {"label": label, "at": s.at, "workers": worker_rows, "departments": dept_rows}
