"""Problems found in catalogue and rule files, and the errors that carry them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class Level(StrEnum):
    """How bad a problem is: errors stop a file from loading, warnings do not."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """One problem at a line of a file."""

    file: str
    line: int
    message: str
    level: Level = Level.ERROR

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class RulesError(ValueError):
    """A catalogue or rules file is invalid, or a routing request is malformed."""

    def __init__(self, message: str, problems: Sequence[Problem] = ()) -> None:
        self.problems = tuple(problems)
        lines = [message, *(str(p) for p in self.problems)]
        super().__init__("\n".join(lines))


class UnknownItem(RulesError):
    """An item code that the catalogue does not contain."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(f"unknown item {code!r}")
