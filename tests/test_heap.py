"""A web process collects closed sockets' garbage once enough of them closed."""

from __future__ import annotations

import gc

from dispatch.heap import FULL_GENERATION, HeapTrim


def test_a_full_collection_comes_once_enough_sockets_closed() -> None:
    runs: list[int] = []

    def collect(generation: int) -> int:
        runs.append(generation)
        return 0

    heap = HeapTrim(collect=collect, after=3)
    for _ in range(2):
        heap.socket_closed()
    assert not heap.step() and runs == []  # two closed: not yet
    heap.socket_closed()
    assert heap.step() and runs == [FULL_GENERATION]
    assert not heap.step()  # nothing closed since
    for _ in range(3):
        heap.socket_closed()
    assert heap.step() and heap.collections == 2


def test_the_garbage_of_closed_sockets_goes_with_that_collection() -> None:
    class Socket:
        def __init__(self) -> None:
            self.me = self  # a cycle, as a closed socket's bound methods make

    before = gc.get_threshold()
    gc.set_threshold(0)  # no automatic collection: only the one under test
    try:
        heap = HeapTrim(after=1)
        gc.collect()
        Socket()
        heap.socket_closed()
        assert any(type(o) is Socket for o in gc.get_objects())
        assert heap.step()
        assert not any(type(o) is Socket for o in gc.get_objects())
    finally:
        gc.set_threshold(*before)
