"""What the simulator counts and times: counters, latency samples, errors by kind."""

from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import dataclass, field

MS_PER_S = 1000
#: Latency samples kept per measure (reservoir sampling beyond that).
RESERVOIR = 20_000
P50, P99 = 50.0, 99.0
PERCENT = 100.0
#: Sent pings remembered for matching on the screen stream.
LEDGER_KEEP_S = 60.0
LEDGER_PRUNE_EVERY = 5_000
#: How much of the last error of each kind is kept.
DETAIL_CHARS = 300

# Counter names.
PINGS = "pings"
ACKS = "acks"
LATE_UPLOADED = "late_uploaded"
REPORTS = "reports"
REFUSED = "refused_expected"
DUPLICATES = "duplicates"
RETRIES = "idempotent_retries"
MEDIA = "photos"
OFFERS = "offers"
TAKEN = "taken_by_other"
ACCEPTED = "accepted"
LOST_RACES = "lost_races"
REJECTED = "rejected"
PROGRESS = "progress_notes"
RESOLVED = "resolved"
EXTENSIONS = "extensions"
APPROVED = "extensions_approved"
VERIFIED = "verified"
VERIFY_FAILED = "verify_failed"
TRIAGED = "triaged"
SUPERVISED = "supervised"
ALERTS_ACKED = "alerts_acked"
WARNINGS = "warnings"
OVERDUE = "overdue"
TASKS = "tasks"
ALERTS = "alerts"
SCREEN_ALERTS = "screen_alerts"
PATROLS_STARTED = "patrols_started"
PATROLS_ENDED = "patrols_ended"
PATROLS_REFUSED = "patrol_refused"
ERRORS = "errors"
RECONNECTS = "reconnects"
SCREEN_EVENTS = "screen_events"
LOGINS = "logins"
PEOPLE = "people"
LOGIN_WAITS = "login_rate_limited"
CONFLICTS = "conflicts_expected"
PARTS_ACCEPTED = "parts_accepted"
PARTS_RESOLVED = "parts_resolved"
PARTS_LEFT_OPEN = "parts_left_open"
WHISTLES = "whistles"
CHECKINS = "checkins"
CHECKINS_REFUSED = "checkins_refused_far"



def pings_of(kind: str) -> str:
    """The counter of the pings sent by one phone protocol (``socket``, ``osmand``, ...)."""
    return f"{PINGS}_{kind}"


# Latency names.
ACK_MS = "ack"
SCREEN_MS = "ping_screen"
OFFER_MS = "report_offer"
ACCEPT_MS = "report_accept"


class Latency:
    """Samples in milliseconds; percentiles over a uniform reservoir."""

    def __init__(self, rng: random.Random, keep: int = RESERVOIR) -> None:
        self.rng = rng
        self.keep = keep
        self.samples: list[float] = []
        self.count = 0

    def add(self, ms: float) -> None:
        self.count += 1
        if len(self.samples) < self.keep:
            self.samples.append(ms)
            return
        slot = self.rng.randrange(self.count)
        if slot < self.keep:
            self.samples[slot] = ms

    def percentile(self, p: float) -> float | None:
        if not self.samples:
            return None
        ordered = sorted(self.samples)
        index = min(len(ordered) - 1, max(0, round(p / PERCENT * (len(ordered) - 1))))
        return ordered[index]


@dataclass
class Stats:
    rng: random.Random = field(default_factory=random.Random)
    counts: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    last_error: dict[str, str] = field(default_factory=dict)
    latencies: dict[str, Latency] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)

    def add(self, name: str, n: int = 1) -> None:
        self.counts[name] += n

    def __getitem__(self, name: str) -> int:
        return self.counts[name]

    def error(self, kind: str, detail: str = "") -> None:
        self.counts[ERRORS] += 1
        self.errors[kind] += 1
        if detail:
            self.last_error[kind] = detail[:DETAIL_CHARS]

    def latency(self, name: str) -> Latency:
        found = self.latencies.get(name)
        if found is None:
            found = self.latencies[name] = Latency(self.rng)
        return found

    def time(self, name: str, seconds: float) -> None:
        self.latency(name).add(seconds * MS_PER_S)

    def p(self, name: str, pct: float) -> float | None:
        found = self.latencies.get(name)
        return found.percentile(pct) if found else None

    def reset(self) -> None:
        """Start measuring afresh (after a warm-up)."""
        self.counts.clear()
        self.errors.clear()
        self.last_error.clear()
        self.latencies.clear()
        self.started = time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self.started


class PingLedger:
    """When each ping (worker, ts) was sent, to time it until a screen shows it."""

    def __init__(self) -> None:
        self.sent: dict[tuple[str, int], float] = {}
        self._adds = 0

    def record(self, worker: str, ts: int, at: float | None = None) -> None:
        self.sent[(worker, ts)] = time.monotonic() if at is None else at
        self._adds += 1
        if self._adds % LEDGER_PRUNE_EVERY == 0:
            self.prune()

    def seen(self, worker: str, ts: int) -> float | None:
        """Seconds since the ping was sent, or None when it is not ours (or already seen)."""
        at = self.sent.pop((worker, ts), None)
        return None if at is None else time.monotonic() - at

    def prune(self) -> None:
        cutoff = time.monotonic() - LEDGER_KEEP_S
        self.sent = {k: t for k, t in self.sent.items() if t >= cutoff}
