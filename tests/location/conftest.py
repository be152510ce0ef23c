"""The clients fixes can reach Redis through: the ingest tests run through each of them."""

from __future__ import annotations

import pytest

#: ``DISPATCH_INGEST_PIPE``: the web process's own connection, or redis-py.
INGEST_CLIENTS = {"pipe": True, "redis-py": False}


@pytest.fixture(params=sorted(INGEST_CLIENTS))
def ingest_client(request: pytest.FixtureRequest) -> dict[str, bool]:
    """Settings overrides for one ingest client (a module adds them to its own)."""
    return {"ingest_pipe": INGEST_CLIENTS[request.param]}
