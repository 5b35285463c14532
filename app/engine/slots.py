"""Per-destination concurrency: one slow service cannot take every executor thread.

Each process allows at most ``limit`` calls in flight to one connection (its destination). A run
whose next call finds its destination full is not blocked: the runner hands it back to the queue
for a moment (a deferral, not a failed attempt), and the thread takes a run of another recipe.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class DestinationBusy(Exception):
    """Every slot of this destination is taken in this process; try the run again shortly."""

    def __init__(self, destination: str) -> None:
        super().__init__(f"{destination}: every slot is busy")
        self.destination = destination


class Slots:
    """Counters per destination, shared by the threads of one process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._busy: dict[str, int] = {}

    @contextmanager
    def hold(self, destination: str, limit: int | None) -> Iterator[None]:
        """Take one slot of ``destination`` for the block, or raise :class:`DestinationBusy` at once."""
        if limit is None:
            yield
            return
        with self._lock:
            taken = self._busy.get(destination, 0)
            if taken >= limit:
                raise DestinationBusy(destination)
            self._busy[destination] = taken + 1
        try:
            yield
        finally:
            with self._lock:
                left = self._busy[destination] - 1
                if left:
                    self._busy[destination] = left
                else:
                    del self._busy[destination]

    def busy(self, destination: str) -> int:
        with self._lock:
            return self._busy.get(destination, 0)


SLOTS = Slots()
