"""Checking JSON values field by field, with no web framework: every problem is a
BadRequest naming its field. HTTP bodies and WebSocket messages are both read this way."""

from __future__ import annotations

import builtins
import math
from collections.abc import Mapping
from typing import Any, TypeVar

import orjson

from dispatch.errors import BadRequest

T = TypeVar("T")
_MISSING: Any = object()


def parse_json(raw: bytes | str) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"malformed JSON: {exc}", code="malformed_json") from exc



class Fields:
    """Typed access to a JSON object; each failure is a BadRequest naming the field."""

    def __init__(self, data: Mapping[str, Any], path: str = "") -> None:
        self.data = data
        self.path = path

    @classmethod
    def of(cls, value: Any, path: str = "") -> Fields:
        if not isinstance(value, Mapping):
            raise BadRequest("expected a JSON object", code="invalid_type", field=path or None)
        return cls(value, path)

    def name(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def _raw(self, key: str, default: Any) -> Any:
        value = self.data.get(key, _MISSING)
        if value is _MISSING or value is None:
            if default is _MISSING:
                raise BadRequest(f"{self.name(key)} is required", code="missing_field",
                                 field=self.name(key))
            return default
        return value

    def _wrong(self, key: str, expected: str) -> BadRequest:
        return BadRequest(f"{self.name(key)} must be {expected}", code="invalid_field",
                          field=self.name(key))

    def text(self, key: str, default: Any = _MISSING, *, max_len: int = 10_000,
            min_len: int = 0) -> Any:
        value = self._raw(key, default)
        if value is default and default is not _MISSING:
            return value
        if not isinstance(value, str) or not min_len <= len(value) <= max_len:
            raise self._wrong(key, f"a string of {min_len} to {max_len} characters")
        return value

    def integer(self, key: str, default: Any = _MISSING, *, lo: int | None = None,
            hi: int | None = None) -> Any:
        value = self._raw(key, default)
        if value is default and default is not _MISSING:
            return value
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._wrong(key, "an integer")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise self._wrong(key, f"an integer from {lo} to {hi}")
        return value

    def number(self, key: str, default: Any = _MISSING, *, lo: float | None = None,
              hi: float | None = None) -> Any:
        value = self._raw(key, default)
        if value is default and default is not _MISSING:
            return value
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(
            value
        ):
            raise self._wrong(key, "a number")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise self._wrong(key, f"a number from {lo} to {hi}")
        return builtins.float(value)

    def flag(self, key: str, default: Any = _MISSING) -> Any:
        value = self._raw(key, default)
        if value is default and default is not _MISSING:
            return value
        if not isinstance(value, bool):
            raise self._wrong(key, "true or false")
        return value

    def choice(
        self, key: str, choices: frozenset[str] | set[str], default: Any = _MISSING
    ) -> Any:
        value = self.text(key, default, max_len=64)
        if value is default and default is not _MISSING:
            return value
        if value not in choices:
            raise self._wrong(key, "one of " + ", ".join(sorted(choices)))
        return value

    def items(self, key: str, default: Any = _MISSING, *, max_items: int = 1000) -> Any:
        value = self._raw(key, default)
        if value is default and default is not _MISSING:
            return value
        if not isinstance(value, builtins.list):
            raise self._wrong(key, "a list")
        if len(value) > max_items:
            raise BadRequest(f"{self.name(key)} has more than {max_items} items",
                             code="too_many_items", field=self.name(key))
        return value

    def obj(self, key: str) -> Fields:
        return Fields.of(self._raw(key, _MISSING), self.name(key))
