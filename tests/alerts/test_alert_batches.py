"""A timer step's alerts go as one batch: each alert a screen sees changes once a step,
with what every raise of the step did, and a full burst alert still starts another."""

from __future__ import annotations

from typing import Any

import pytest

from tests.alerts.test_case_alerts import RED, Street, street  # noqa: F401

GROUP_MAX = 2


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"alert_group_max": GROUP_MAX}


def overdue_events(street: Street) -> list[dict[str, Any]]:  # noqa: F811
    return [e for e in street.screen_alerts() if e["kind"] == "case_overdue"]


def test_cases_going_red_in_one_step_are_announced_once_an_alert(
        street: Street) -> None:  # noqa: F811
    cases = [street.report() for _ in range(5)]
    street.fire(RED)
    alerts = sorted(street.alerts("case_overdue"), key=lambda a: int(a["id"][1:]))
    assert [a["count"] for a in alerts] == [2, 2, 1]  # group_max, then a new alert
    assert {m for a in alerts for m in a["members"]} == set(cases)
    events = overdue_events(street)
    assert sorted(e["id"] for e in events) == sorted(a["id"] for a in alerts)
    assert {e["id"]: e["count"] for e in events} == {a["id"]: a["count"] for a in alerts}
    seqs = [e["seq"] for e in street.screen_alerts()]
    assert seqs == sorted(seqs)


def test_each_raise_of_a_batch_is_in_the_alert_log(street: Street) -> None:  # noqa: F811
    first, second = street.report(), street.report()
    street.fire(RED)
    [overdue] = street.alerts("case_overdue")

    async def log(c: Any) -> list[dict[str, Any]]:
        return await c.alerts.store.log(overdue["id"])

    entries = street.run(log)
    assert [(e["action"], e["member"]) for e in entries] == [("raise", first),
                                                            ("raise", second)]


def test_a_repeated_firing_raises_nothing_new(street: Street) -> None:  # noqa: F811
    street.report()
    street.fire(RED)
    before = len(street.screen_alerts())
    street.fire(RED)  # nothing due any more: the timers fired once
    assert len(street.screen_alerts()) == before
    [overdue] = street.alerts("case_overdue")
    assert overdue["count"] == 1
