"""Readers of single values in a rules file; each returns the value or raises ``FieldError``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from .durations import parse_duration

E = TypeVar("E", bound=StrEnum)


@dataclass(frozen=True)
class Issue:
    """What is wrong; ``key`` and ``literal`` help find the line."""

    message: str
    key: str | None = None
    literal: str | None = None


class FieldError(Exception):
    """One or more issues with a value."""

    def __init__(self, *issues: Issue) -> None:
        super().__init__("; ".join(i.message for i in issues))
        self.issues = issues


def text_value(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise FieldError(Issue(f"expected a non-empty string, not {value!r}"))
    return value


def int_value(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise FieldError(Issue(f"expected an integer, not {value!r}"))
    return value


def duration_value(value: object, *, allow_zero: bool = False) -> int:
    """Seconds of a duration string; zero only if allowed."""
    text = text_value(value)
    try:
        seconds = parse_duration(text)
    except ValueError as exc:
        raise FieldError(Issue(str(exc), literal=text)) from exc
    if seconds == 0 and not allow_zero:
        raise FieldError(Issue(f"duration {text!r} must be longer than zero", literal=text))
    return seconds


def share_value(value: object) -> float:
    """A share strictly between 0 and 1."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
        raise FieldError(Issue(f"yellow_share must be a number between 0 and 1, not {value!r}"))
    return float(value)


def enum_value(value: object, kind: type[E]) -> E:
    choices = [member.value for member in kind]
    if value not in choices:
        message = f"expected one of {', '.join(choices)}, not {value!r}"
        raise FieldError(Issue(message, literal=value if isinstance(value, str) else None))
    return kind(value)


def text_list(value: object) -> tuple[str, ...]:
    """A string or a non-empty list of strings."""
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not values:
        raise FieldError(Issue(f"expected a string or a non-empty list, not {value!r}"))
    if not all(isinstance(v, str) for v in values):
        raise FieldError(Issue(f"expected strings, not {value!r}"))
    return tuple(str(v) for v in values)


def checked(values: tuple[str, ...], problem: Callable[[str], str | None]) -> tuple[str, ...]:
    """The values if ``problem`` finds nothing wrong with any, else every issue."""
    issues = [Issue(msg, literal=v) for v in values if (msg := problem(v)) is not None]
    if issues:
        raise FieldError(*issues)
    return values
