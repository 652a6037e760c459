"""Who hears of a solution that is the fallback grouping.

A solution whose groups are the first (greedy) grouping says so in ``fallback`` and
``fallback_cause``. Listeners registered here hear of every such solution as it is made, in
the thread that solves: the test suite uses it to fail any test in which the searched grouping
broke a rule, which the final check would otherwise mend quietly.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from matching.models import FallbackCause

Listener = Callable[[FallbackCause, str], None]

_listeners: list[Listener] = []
_lock = threading.Lock()


@contextmanager
def listening(listener: Listener) -> Iterator[None]:
    """Calls ``listener(cause, text)`` for every fallback solution made while inside."""
    with _lock:
        _listeners.append(listener)
    try:
        yield
    finally:
        with _lock:
            _listeners.remove(listener)


def announce(cause: FallbackCause, text: str) -> None:
    with _lock:
        listeners = list(_listeners)
    for listener in listeners:
        listener(cause, text)
