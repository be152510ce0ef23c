"""Every Redis key the server uses, built in one place.

Every key of a street carries the street as a Redis Cluster hash tag
(``dispatch:{jlc}:...``), so an atomic script over one street touches one slot
and a city can later be sharded by street.
"""

from __future__ import annotations

import re

STREET_CODE = re.compile(r"^[a-z0-9_-]{1,32}$")


class Keys:
    """Key builder for one street."""

    def __init__(self, street: str) -> None:
        if not STREET_CODE.match(street):
            raise ValueError(f"street code {street!r} must match {STREET_CODE.pattern}")
        self.street = street
        self.prefix = f"dispatch:{{{street}}}:"

    def _k(self, *parts: str | int) -> str:
        return self.prefix + ":".join(str(p) for p in parts)

    def pattern(self) -> str:
        """Glob matching every key of this street."""
        return self.prefix + "*"

    # --- organisation -------------------------------------------------------
    def org_meta(self) -> str:
        return self._k("org", "meta")

    def org_stations(self) -> str:
        return self._k("org", "stations")

    def org_grids(self) -> str:
        return self._k("org", "grids")

    def org_departments(self) -> str:
        return self._k("org", "departments")

    def dept_members(self, dept: str) -> str:
        return self._k("dept", dept, "members")

    # --- identity -----------------------------------------------------------
    def user(self, username: str) -> str:
        return self._k("user", username)

    def users(self) -> str:
        """Sorted set of every user name (score 0: lexical order)."""
        return self._k("users")

    def user_tokens(self, username: str) -> str:
        return self._k("user", username, "tokens")

    def token(self, token_hash: str) -> str:
        return self._k("token", token_hash)

    def devices(self) -> str:
        """Hash: tracking device id -> user name."""
        return self._k("devices")

    def rate(self, bucket: str, subject: str) -> str:
        return self._k("rate", bucket, subject)

    # --- rules --------------------------------------------------------------
    def rules_current(self) -> str:
        """Hash: version, source text and load time of the rule set in force."""
        return self._k("rules", "current")

    def rules_channel(self) -> str:
        return self._k("push", "rules")

    # --- media --------------------------------------------------------------
    def media(self, media_id: str) -> str:
        """Hash: type, size, ts, owner (and, from before photos were shared, case) of a photo."""
        return self._k("media", media_id)

    def media_owners(self, media_id: str) -> str:
        return self._k("media", media_id, "owners")

    def media_cases(self, media_id: str) -> str:
        """Set: the cases a photo is attached to (several reports of one reporter may share it)."""
        return self._k("media", media_id, "cases")

    # --- events bus ---------------------------------------------------------
    def events_stream(self) -> str:
        """Stream of every change the screens see; entry id ``<seq>-0``."""
        return self._k("events")

    def events_seq(self) -> str:
        """Counter of the screen stream's ``seq``."""
        return self._k("events", "seq")

    def events_channel(self) -> str:
        return self._k("push", "events")

    def screen_channel(self) -> str:
        """Live deltas for the command screens (positions, cases, alerts, figures)."""
        return self._k("push", "screen")

    def push_pattern(self) -> str:
        """Every channel the hub listens to."""
        return self._k("push", "*")

    def user_channel(self, username: str) -> str:
        """Pub/sub channel of messages pushed to one user's sockets."""
        return self._k("push", "user", username)

    def dept_channel(self, dept: str) -> str:
        return self._k("push", "dept", dept)

    # --- cases --------------------------------------------------------------
    def case(self, case_id: str) -> str:
        """Hash: every field of one case (see dispatch/cases/model.py)."""
        return self._k("case", case_id)

    def case_timeline(self, case_id: str) -> str:
        """List of JSON timeline entries of one case, oldest first."""
        return self._k("case", case_id, "timeline")

    def case_seq(self) -> str:
        """Counter of case numbers."""
        return self._k("cases", "seq")

    def case_client_ids(self) -> str:
        """Hash: ``<reporter>|<client_id>`` -> ``<case>|<body fingerprint>`` (idempotency)."""
        return self._k("cases", "client")

    def case_timers(self) -> str:
        """Sorted set of due timers ``<case>|<kind>|<level>|<gen>``, score = due UTC ms."""
        return self._k("cases", "timers")

    def cases_all(self) -> str:
        """Sorted set of every case, score = case number (listing indexes all score so)."""
        return self._k("cases", "all")

    def cases_open(self) -> str:
        return self._k("cases", "open")

    def cases_in_state(self, state: str) -> str:
        return self._k("cases", "state", state)

    def cases_in_department(self, dept: str) -> str:
        return self._k("cases", "dept", dept)

    def cases_in_grid(self, grid: str) -> str:
        return self._k("cases", "grid", grid)

    def cases_reported_by(self, username: str) -> str:
        return self._k("cases", "reporter", username)

    def cases_held_by(self, username: str) -> str:
        return self._k("cases", "assignee", username)

    def case_offers(self, dept: str) -> str:
        """Sorted set of a department's dispatched cases nobody has accepted yet."""
        return self._k("cases", "offers", dept)

    def case_user_offers(self, username: str) -> str:
        """Sorted set of reopened cases offered back to the one who held them."""
        return self._k("cases", "offers", "user", username)

    def case_archived(self, case_id: str) -> str:
        """String: an archived case's compressed record (see dispatch/cases/archive.py)."""
        return self._k("archive", case_id)

    def archive_buckets(self) -> str:
        """Sorted set of the archive's buckets that hold cases (member and score: number)."""
        return self._k("archive", "buckets")

    def archive_bucket(self, bucket: int) -> str:
        """Hash of the archived cases numbered ``64 * bucket`` up to the next bucket:
        case number -> its listing line (department, grid, reporter, holder, light, time)."""
        return self._k("archive", "b", bucket)

    def cases_assisted_by(self, dept: str) -> str:
        """Sorted set of the cases a department assists (协办: it has a part of them)."""
        return self._k("cases", "assist", dept)

    def case_part_offers(self, dept: str) -> str:
        """Sorted set of the cases whose part for ``dept`` nobody has accepted yet."""
        return self._k("cases", "offers", "part", dept)

    def case_part_timers(self) -> str:
        """Sorted set of assisting parts' deadlines ``<case>|<department>|<deadline>``."""
        return self._k("cases", "part_timers")

    def case_whistles_due(self) -> str:
        """Sorted set of whistles ``<case>|<n>`` by when the summoned must be on site."""
        return self._k("cases", "whistles")

    def member_position(self, username: str) -> str:
        """Hash: a disposal member's latest accepted fix (ts, lat, lon, acc)."""
        return self._k("loc", "member", username)

    def cases_near(self, item: str) -> str:
        """GEO set of the open cases of one item (duplicate detection)."""
        return self._k("cases", "geo", item)

    def role_channel(self, role: str) -> str:
        """Pub/sub channel of everyone signed in with a role (escalations to the desk)."""
        return self._k("push", "role", role)

    # --- location and patrols ----------------------------------------------
    def loc_live(self, worker: str) -> str:
        """Hash: a worker's newest fix, presence, patrol and out-of-grid state."""
        return self._k("loc", "live", worker)

    def loc_geo(self) -> str:
        """GEO set of every worker's newest fix."""
        return self._k("loc", "geo")

    def loc_track(self, worker: str, day: str) -> str:
        """Hash: one local day of a worker's fixes, bucket -> packed records in time order."""
        return self._k("loc", "track", worker, day)

    def loc_fence(self, worker: str) -> str:
        """List: a worker's geofence events (OwnTracks transitions of their grid), newest
        first."""
        return self._k("loc", "fence", worker)

    def station_channel(self, station: str) -> str:
        """Pub/sub channel of a grid station's people and screens."""
        return self._k("push", "station", station)

    def patrol(self, patrol_id: str) -> str:
        """Hash: one patrol (window, start, end, metrics, status)."""
        return self._k("patrol", patrol_id)

    def patrol_seq(self) -> str:
        """Counter of patrol ids."""
        return self._k("patrols", "seq")

    def patrols_open(self) -> str:
        """Hash: worker -> id of their open patrol."""
        return self._k("patrols", "open")

    def patrols_day(self, day: str) -> str:
        """Sorted set of the patrols of a local day (score: start ms)."""
        return self._k("patrols", "day", day)

    def patrols_worker(self, worker: str) -> str:
        """Sorted set of a worker's patrols (score: start ms)."""
        return self._k("patrols", "worker", worker)

    def patrol_window_closed(self, day: str, window: str) -> str:
        """Marker: the window of that day was closed (open patrols ended, misses recorded)."""
        return self._k("patrols", "closed", day, window)

    # --- citizens (Open311) --------------------------------------------------
    def open311_keys(self) -> str:
        """Hash: sha256 of an API key -> the key's record (JSON: id, name, rate, revoked)."""
        return self._k("open311", "keys")

    def open311_key_ids(self) -> str:
        """Hash: API key id -> sha256 of the key."""
        return self._k("open311", "key_ids")

    def open311_request(self, case_id: str) -> str:
        """Hash: what a citizen sent with a request (contact kept private, address,
        media_url, attributes, token, API key id)."""
        return self._k("open311", "request", case_id)

    def open311_tokens(self) -> str:
        """Hash: a request's token -> its case id."""
        return self._k("open311", "tokens")

    def open311_requests(self) -> str:
        """Sorted set of the cases citizens reported (score: requested ms)."""
        return self._k("open311", "requests")

    # --- alerts -------------------------------------------------------------
    def alert(self, alert_id: str) -> str:
        """String: one alert's JSON (its public shape, see dispatch/alerts/model.py)."""
        return self._k("alert", alert_id)

    def alert_log(self, alert_id: str) -> str:
        """List of JSON entries of one alert: raises, clears, acks, resolves (bounded)."""
        return self._k("alert", alert_id, "log")

    def alerts_seq(self) -> str:
        """Counter of alert ids."""
        return self._k("alerts", "seq")

    def alerts_groups(self) -> str:
        """Hash: grouping key (kind, owner scope, bucket or subject) -> the alert raises join."""
        return self._k("alerts", "groups")

    def alerts_subjects(self) -> str:
        """Hash: ``<kind>|<worker or case>`` -> the alert holding that subject's open cause."""
        return self._k("alerts", "subjects")

    def alerts_active(self) -> str:
        """Sorted set of open and acknowledged alerts, score = last raise (UTC ms)."""
        return self._k("alerts", "active")

    def alerts_cleared(self) -> str:
        """Sorted set of cleared alerts kept for the record, score = when cleared (UTC ms)."""
        return self._k("alerts", "cleared")

    # --- clock --------------------------------------------------------------
    def clock_leader(self) -> str:
        return self._k("clock", "leader")

    def clock_heartbeat(self) -> str:
        return self._k("clock", "heartbeat")

    def clock_marker(self, job: str) -> str:
        """The last occurrence a recurring job completed (UTC ms)."""
        return self._k("clock", "done", job)

    # --- reports ------------------------------------------------------------
    def report(self, kind: str, label: str) -> str:
        """JSON of a finished period's report (kept)."""
        return self._k("report", kind, label)

    def scores(self, label: str) -> str:
        return self._k("scores", label)

    # --- queues (RQ names; RQ builds its own keys from them) ------------------
    def queue(self, name: str) -> str:
        return f"dispatch.{self.street}.{name}"
