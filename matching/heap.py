"""Pausing Python's cyclic garbage collector while large inputs are built.

Reading a problem of 50,000 participants, and building the solver's instance from it, creates
millions of objects that all stay alive. Each allocation burst triggers collections that walk
the young objects again and again and find nothing: about half the time of those steps. While
:func:`collection_paused` is active the collector does not run; memory is still freed as usual
(reference counting), only cycles wait for the next collection. Pauses may nest and overlap
across threads; the collector runs again once the last one ends, if it ran before the first.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_active = 0
_was_enabled = False


@contextmanager
def collection_paused() -> Iterator[None]:
    global _active, _was_enabled
    with _lock:
        if _active == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _active += 1
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0 and _was_enabled:
                gc.enable()
