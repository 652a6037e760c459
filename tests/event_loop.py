"""A guard for the web tests: no database statement may run on the event loop's thread.

The app serves every request on one event loop; a statement issued there (from an
``async def`` route or dependency) stops every other request until it is done. Plain
routes and dependencies run in worker threads, where no loop is running.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, event


class DatabaseOnEventLoop(AssertionError):
    """A statement was sent from the thread that runs the event loop."""


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


@contextmanager
def database_off_the_loop(bind: Engine | Connection) -> Iterator[list[str]]:
    """Refuse, and remember, every statement sent on the event loop while the block runs."""
    seen: list[str] = []

    def check(*args: Any) -> None:
        if _on_event_loop():
            statement = str(args[2]).split("\n", 1)[0][:80]
            seen.append(statement)
            raise DatabaseOnEventLoop(f"database called on the event loop: {statement}")

    event.listen(bind, "before_cursor_execute", check)
    try:
        yield seen
    finally:
        event.remove(bind, "before_cursor_execute", check)
    assert not seen, f"database called on the event loop: {seen}"
