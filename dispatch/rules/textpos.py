"""Line numbers in TOML text, found by scanning (``tomllib`` keeps none)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEADER = re.compile(r"\s*(\[\[?)\s*([A-Za-z0-9_.-]+)\s*\]\]?\s*(?:#.*)?")
_TOML_LINE = re.compile(r"at line (\d+)")


@dataclass(frozen=True)
class Span:
    """Lines ``first..last`` (1-based, inclusive) of one table."""

    first: int
    last: int


def key_pattern(key: str) -> re.Pattern[str]:
    """A bare key followed by ``=``, also as the last part of a dotted key."""
    return re.compile(rf"(?<![\w-]){re.escape(key)}\s*=")


def header_pattern(key: str) -> re.Pattern[str]:
    """A table header whose last part is ``key``, e.g. ``[[rule.escalation]]``."""
    return re.compile(rf"^\s*\[\[?\s*(?:[\w-]+\.)*{re.escape(key)}\s*\]")


def literal_pattern(value: str) -> re.Pattern[str]:
    """A quoted string value."""
    return re.compile(rf"[\"']{re.escape(value)}[\"']")


def toml_error_line(message: str) -> int:
    """The line a ``TOMLDecodeError`` message names, or 1."""
    found = _TOML_LINE.search(message)
    return int(found[1]) if found else 1


class TextLines:
    """Search lines of a text."""

    def __init__(self, text: str) -> None:
        self.raw = text
        self.lines = text.split("\n")

    @property
    def whole(self) -> Span:
        return Span(1, max(1, len(self.lines)))

    def find(self, pattern: re.Pattern[str], span: Span, nth: int = 0) -> int | None:
        """Line of the ``nth`` (0-based) line in ``span`` that matches, if any."""
        for number in range(span.first, span.last + 1):
            if pattern.search(self.lines[number - 1]):
                if nth == 0:
                    return number
                nth -= 1
        return None

    def locate(self, span: Span, key: str | None = None, literal: str | None = None) -> int:
        """Line of a quoted value, else of a key, else the first line of the span."""
        if literal is not None:
            found = self.find(literal_pattern(literal), span)
            if found is not None:
                return found
        if key is not None:
            found = self.find(key_pattern(key), span) or self.find(header_pattern(key), span)
            if found is not None:
                return found
        return span.first


class RulesText(TextLines):
    """A rules file split into its top level, its ``[defaults]`` and its ``[[rule]]`` tables."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.top = Span(1, len(self.lines))
        self.defaults = Span(1, 1)
        self.rules: list[Span] = []
        self._split()

    def _split(self) -> None:
        starts: list[tuple[str, int]] = []
        for number, line in enumerate(self.lines, start=1):
            found = _HEADER.fullmatch(line)
            if found is None:
                continue
            name = found[2]
            if found[1] == "[[" and name == "rule":
                starts.append(("rule", number))
            elif not name.startswith("rule."):
                starts.append(("defaults" if name.split(".")[0] == "defaults" else "other", number))
        ends = [start - 1 for _, start in starts[1:]] + [len(self.lines)] if starts else []
        if starts:
            self.top = Span(1, max(1, starts[0][1] - 1))
        for (kind, start), end in zip(starts, ends, strict=True):
            if kind == "rule":
                self.rules.append(Span(start, end))
            elif kind == "defaults":
                self.defaults = Span(start, end)

    def rule_span(self, index: int) -> Span:
        """Lines of the ``index``-th rule (0-based), or the whole text if not found."""
        return self.rules[index] if index < len(self.rules) else self.whole
