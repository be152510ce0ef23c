"""The state of reading one rules file: its text, what it is checked against, problems."""

from __future__ import annotations

from dataclasses import dataclass, field

from .catalogue import Catalogue
from .errors import Level, Problem
from .textpos import RulesText


@dataclass
class Context:
    """What reading a rules file needs, and the problems found so far."""

    source: str
    text: RulesText
    catalogue: Catalogue
    departments: frozenset[str]
    problems: list[Problem] = field(default_factory=list)

    def error(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.source, line, message))

    def warn(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.source, line, message, Level.WARNING))
