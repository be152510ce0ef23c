"""A plain progress counter for long operations (one line, rewritten in place on a terminal)."""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO

MIN_INTERVAL_S = 0.2


class Counter:
    def __init__(self, label: str, total: int, stream: TextIO | None = None) -> None:
        self.label = label
        self.total = total
        self.stream = stream or sys.stderr
        self.done = 0
        self._last = 0.0

    def update(self, done: int) -> None:
        self.done = done
        now = time.monotonic()
        if done >= self.total or now - self._last >= MIN_INTERVAL_S:
            self._last = now
            end = "\r" if self.stream.isatty() else "\n"
            self.stream.write(f"{self.label}: {done}/{self.total}{end}")
            self.stream.flush()

    def __enter__(self) -> Counter:
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.stream.isatty():
            self.stream.write("\n")
