"""Progress reports and cancellation, shared by every phase of a solve.

A caller (the ``vekl`` command's progress display, a web worker) passes ``on_progress`` to
:func:`matching.solve` and gets a :class:`Progress` whenever the best grouping improves or a
phase starts, at most a few times a second. ``stop`` (a ``threading.Event`` or any callable
returning True) ends the solve early with the best valid grouping found so far.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

StopSignal = threading.Event | Callable[[], bool]


@dataclass(frozen=True)
class Progress:
    elapsed: float
    # greedy, placement, moves, balance, reasons or done.
    phase: str
    placed: int
    waitlisted: int
    moves: int | None
    imbalance: float | None
    # The current phase's best objective value and proven bound, in its own units
    # (placement: people placed; moves: moves; balance: imbalance), when known.
    objective: float | None
    bound: float | None
    # An upper bound on how many can be placed, once known.
    placed_bound: int | None


def stop_checker(stop: StopSignal | None) -> Callable[[], bool]:
    if stop is None:
        return lambda: False
    if isinstance(stop, threading.Event):
        return stop.is_set
    return stop


class Reporter:
    """Keeps the best figures so far and forwards them, throttled, to the caller."""

    def __init__(
        self,
        on_progress: Callable[[Progress], None] | None,
        start: float,
        people: int,
        interval: float = 0.2,
    ) -> None:
        self._callback = on_progress
        self._start = start
        self._people = people
        self._interval = interval
        self._last = -1.0
        self._lock = threading.Lock()
        self.phase = "greedy"
        self.placed = 0
        self.moves: int | None = None
        self.imbalance: float | None = None
        self.objective: float | None = None
        self.bound: float | None = None
        self.placed_bound: int | None = None

    @property
    def listening(self) -> bool:
        """Whether anyone receives the progress."""
        return self._callback is not None

    def enter(self, phase: str) -> None:
        self.phase = phase
        self.objective = None
        self.bound = None
        self.emit(force=True)

    def update(self, *, force: bool = False, **figures: float | int | None) -> None:
        for name, value in figures.items():
            setattr(self, name, value)
        self.emit(force=force)

    def emit(self, *, force: bool = False) -> None:
        if self._callback is None:
            return
        with self._lock:
            now = time.monotonic()
            if not force and now - self._last < self._interval:
                return
            self._last = now
            progress = Progress(
                elapsed=now - self._start,
                phase=self.phase,
                placed=self.placed,
                waitlisted=self._people - self.placed,
                moves=self.moves,
                imbalance=self.imbalance,
                objective=self.objective,
                bound=self.bound,
                placed_bound=self.placed_bound,
            )
        self._callback(progress)
