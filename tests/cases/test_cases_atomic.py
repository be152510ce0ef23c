"""A refused transition writes nothing: the script checks first, then writes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import redis

from dispatch.bootstrap import bootstrap
from dispatch.cases.actions import Action
from dispatch.cases.lifecycle import Change
from dispatch.cases.plan import Planner
from dispatch.cases.states import CaseState
from dispatch.identity.principal import Principal
from dispatch.identity.roles import Role
from dispatch.settings import Settings
from tests.cases.helpers import Cases
from tests.conftest import LiveServer

MEMBER = Principal("dm001", Role.DISPOSAL_MEMBER, "cgj")


def everything(rdb: redis.Redis) -> dict[str, Any]:
    return {k: rdb.dump(k) for k in sorted(rdb.keys("dispatch:*")) if ":token:" not in k}


def test_refused_scripts_write_nothing(live: LiveServer, tokens: Callable[[str], str],
                                       settings: Settings, rdb: redis.Redis) -> None:
    cases = Cases(live, tokens)
    cid = cases.report()["id"]

    async def attempts() -> list[str]:
        c = bootstrap(settings)
        try:
            case = await c.cases.store.load(cid)
            assert case is not None
            planner = Planner(c.keys)
            change = Change(Action.ACCEPT, CaseState.ACCEPTED, {"assignee": "dm001"})
            outcomes = []
            for states, ver in (([CaseState.ACCEPTED], case.ver),  # wrong state
                                ([CaseState.DISPATCHED], case.ver + 7)):  # changed meanwhile
                plan = planner.transition(case, change, MEMBER, case.updated,
                                          frozenset(states))
                plan.ver = ver
                outcomes.append((await c.cases.store.apply(cid, plan)).outcome)
            gone = planner.transition(case, change, MEMBER, case.updated,
                                      frozenset({CaseState.DISPATCHED}))
            outcomes.append((await c.cases.store.apply("C404", gone)).outcome)
            return outcomes
        finally:
            await c.aclose()

    for user in ("dm001", "dm030", "lead01"):
        tokens(user)  # signed in before the comparison
    before = everything(rdb)
    assert asyncio.run(attempts()) == ["state", "stale", "missing"]
    assert everything(rdb) == before
    cases.act("lead01", cid, "resolve", note="x", expect=409)
    cases.act("dm030", cid, "accept", expect=403)
    cases.act("dm001", cid, "reassign", member="dm002", expect=403)
    assert everything(rdb) == before
    cases.act("dm001", cid, "accept")
    assert everything(rdb) != before
