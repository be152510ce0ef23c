"""The domain is pure: importing it loads no Redis client, web framework or job queue.

Each group is imported in a fresh interpreter (a module already loaded by the test run
would hide an import), every module of a package included.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

FORBIDDEN = ("redis", "starlette", "rq", "uvicorn")
#: Pure packages (every module) and the pure modules of the packages that also hold IO.
PURE: dict[str, tuple[str, ...]] = {
    "rules": ("dispatch.rules",),
    "geo": ("dispatch.geo",),
    "patrol": ("dispatch.patrol",),
    "cases": ("dispatch.cases.states", "dispatch.cases.actions", "dispatch.cases.clock",
              "dispatch.cases.timers", "dispatch.cases.model", "dispatch.cases.commands",
              "dispatch.cases.intake", "dispatch.cases.lifecycle", "dispatch.cases.plan"),
    "reports": ("dispatch.reports.facts", "dispatch.reports.figures",
                "dispatch.reports.definitions", "dispatch.reports.periods",
                "dispatch.reports.scores"),
    "access": ("dispatch.access",),
    "values": ("dispatch.clock", "dispatch.validation", "dispatch.errors", "dispatch.keys",
               "dispatch.identity.principal", "dispatch.identity.roles"),
}
PROBE = """
import importlib, pkgutil, sys
names = sys.argv[2:]
for name in list(names):
    module = importlib.import_module(name)
    if hasattr(module, "__path__"):
        names += [m.name for m in pkgutil.walk_packages(module.__path__, name + ".")]
for name in names:
    importlib.import_module(name)
forbidden = set(sys.argv[1].split(","))
loaded = sorted({m.split(".")[0] for m in sys.modules} & forbidden)
print(",".join(loaded))
"""


@pytest.mark.parametrize("group", sorted(PURE))
def test_the_domain_imports_no_io(group: str) -> None:
    command = [sys.executable, "-c", PROBE, ",".join(FORBIDDEN), *PURE[group]]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", f"{group} loads {done.stdout.strip()}"
