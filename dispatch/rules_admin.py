"""``dispatch rules check FILE`` and ``dispatch rules reload [FILE]``."""

from __future__ import annotations

import sys
from pathlib import Path

from dispatch.rules import CENTRE, DEPARTMENT_IDS, Level, check_rules, load_catalogue
from dispatch.settings import Settings

EXIT_OK = 0
EXIT_FAIL = 1


def check_file(path: Path, departments: set[str] | None = None) -> int:
    """Print every problem as ``file:line: message``; exit 1 when any is an error."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        print(f"{path}: cannot read: {exc}", file=sys.stderr)
        return EXIT_FAIL
    problems = check_rules(text, source=str(path), catalogue=load_catalogue(),
                           departments=departments or (set(DEPARTMENT_IDS) | {CENTRE}))
    for p in problems:
        print(f"{p.level.value}: {p}", file=sys.stderr if p.level is Level.ERROR else sys.stdout)
    errors = sum(1 for p in problems if p.level is Level.ERROR)
    print(f"{path}: {errors} error(s), {len(problems) - errors} warning(s)")
    return EXIT_FAIL if errors else EXIT_OK


async def reload_rules(settings: Settings, path: Path | None) -> int:
    """Validate and install a rules file for every process; a bad file changes nothing."""
    from dispatch.bootstrap import bootstrap
    from dispatch.rules import RulesError
    from dispatch.rules_service import initial_rules_text

    if path is not None:
        settings = settings.replace(rules_file=path)
    c = bootstrap(settings)
    try:
        text, source = initial_rules_text(settings)
        rs = await c.rules.install(text, source)
    except RulesError as exc:
        for p in exc.problems:
            print(p, file=sys.stderr)
        print("refused; the rules in force are unchanged", file=sys.stderr)
        return EXIT_FAIL
    finally:
        await c.aclose()
    print(f"installed rules {rs.version} from {source}: {len(rs.rules)} rules")
    return EXIT_OK
