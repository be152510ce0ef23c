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
        """Hash: type, size, ts, owner, case of an uploaded photo."""
        return self._k("media", media_id)

    def media_owners(self, media_id: str) -> str:
        return self._k("media", media_id, "owners")

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

    # --- clock --------------------------------------------------------------
    def clock_leader(self) -> str:
        return self._k("clock", "leader")

    def clock_heartbeat(self) -> str:
        return self._k("clock", "heartbeat")

    # --- queues (RQ names; RQ builds its own keys from them) ------------------
    def queue(self, name: str) -> str:
        return f"dispatch.{self.street}.{name}"
