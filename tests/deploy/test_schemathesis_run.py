"""A bounded schemathesis run against the real server: every operation of /openapi.json fuzzed
with the token of a role it admits (every role's token is used), a few examples each.

Any 5xx fails, and so does an answer outside what the operation declares (status code,
content type, schema). The run prints its figures: operations, examples, 5xx, seconds.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from dispatch.identity.roles import Role
from tests.conftest import LiveServer
from tests.location.fixtures import ALL_DAY_WINDOWS

EXAMPLES_PER_OPERATION = 10
BUDGET_S = 110.0
#: Operations that would end the run's own sessions: fuzzed without a token.
NO_TOKEN = {("POST", "/api/v1/logout")}
ROLE_USERS = {Role.GRID_WORKER: "gw001", Role.DISPOSAL_MEMBER: "dm001",
              Role.DEPT_LEAD: "lead01", Role.DISPATCHER: "disp1", Role.ASSESSOR: "assess1",
              Role.SCREEN: "screen1", Role.ADMIN: "admin", Role.STATION_LEAD: "sl01",
              Role.GRID_ASSISTANT: "ga001", Role.INFORMANT: "inf001-1"}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"patrol_windows": ALL_DAY_WINDOWS, "login_limit_user": 100_000,
            "login_limit_addr": 100_000}


def fuzz(operation: Any, base_url: str, headers: dict[str, str],
         record: Callable[[int, str | None], None]) -> None:
    """EXAMPLES_PER_OPERATION generated calls of one operation, each answer checked."""

    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
              derandomize=True, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def run(case: schemathesis.Case) -> None:
        response = case.call(base_url=base_url, headers=headers, timeout=10)
        failure = None
        try:
            case.validate_response(response, checks=CHECKS)
        except AssertionError as exc:
            failure = (f"{operation.label} -> {response.status_code}: "
                       f"{str(exc).strip().splitlines()[0][:300]}")
        record(response.status_code, failure)

    run()


def test_fuzz_every_operation(live: LiveServer, tokens: Callable[[str], str]) -> None:
    schema = schemathesis.openapi.from_url(f"{live.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    turn: dict[str, Any] = {}
    rotation = itertools.cycle(Role)
    used: set[str] = set()
    statuses: Counter[int] = Counter()
    failures: list[str] = []

    def record(status: int, failure: str | None) -> None:
        statuses[status] += 1
        if failure:
            failures.append(failure)

    started = time.monotonic()
    for operation in operations:
        if time.monotonic() - started > BUDGET_S:
            break
        roles = operation.definition.raw.get("x-roles")
        headers: dict[str, str] = {}
        if roles and (operation.method.upper(), operation.path) not in NO_TOKEN:
            role = next(r for r in rotation if r.value in roles)
            turn[operation.label] = role
            used.add(role.value)
            headers = {"Authorization": f"Bearer {tokens(ROLE_USERS[role])}"}

        fuzz(operation, live.url, headers, record)
    seconds = time.monotonic() - started
    examples = sum(statuses.values())
    server_errors = sum(n for s, n in statuses.items() if s >= 500)
    print(f"\nschemathesis: {len(operations)} operations, {examples} examples, "
          f"{server_errors} 5xx, {seconds:.1f} s; roles used: {sorted(used)}; "
          f"statuses: {dict(sorted(statuses.items()))}")
    assert server_errors == 0, failures
    assert failures == []
    assert used == {r.value for r in Role}
    assert examples >= 200
