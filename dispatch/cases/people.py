"""Who a case's detail names (reporter, assignee, verifier, parts' holders, the timeline's
actors and members, the whistle's), so a page shows people by name, not by login. Pure."""

from __future__ import annotations

from typing import Any

#: The fields of a case, of a part and of a timeline entry that hold a user name.
CASE_FIELDS = ("reporter", "assignee", "verifier")
PART_FIELDS = ("assignee",)
ENTRY_FIELDS = ("by", "member", "assignee", "rater")


def usernames(case: dict[str, Any]) -> list[str]:
    """Every user name the detail mentions, each once, in order of first mention."""
    found: list[Any] = [case.get(f) for f in CASE_FIELDS]
    found += [p.get(f) for p in case.get("parts") or () for f in PART_FIELDS]
    found += [e.get(f) for e in case.get("timeline") or () for f in ENTRY_FIELDS]
    whistle = case.get("whistle") or {}
    found.append(whistle.get("by"))
    for summoned in whistle.get("departments") or ():
        checkin = summoned.get("checkin") or {}
        found.append(checkin.get("member"))
    return list(dict.fromkeys(n for n in found if isinstance(n, str) and n))
