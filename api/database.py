"""One transaction per request: committed when the route returns, rolled back on any error.

The dependency runs in the route's own scope (``scope="function"``), so the commit happens
before the response leaves: a client that got a 200 can rely on the change being stored.
A wrong letter code fails its request, yet the attempt must be counted; that count is
written after the rollback (see vekl.access.guesses).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from vekl.access.guesses import RejectedGuess


def _rejected_guess(exc: BaseException) -> RejectedGuess | None:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, RejectedGuess):
            return seen
        seen = seen.__cause__
    return None


def unit_of_work(session: Session) -> Iterator[Session]:
    """Commit or roll back ``session`` around one request; shared by the app and the tests."""
    try:
        yield session
    except BaseException as exc:
        session.rollback()
        guess = _rejected_guess(exc)
        if guess is not None:
            guess.record(session)
            session.commit()
        raise
    else:
        session.commit()


def request_session(request: Request) -> Iterator[Session]:
    session: Session = request.app.state.sessions()
    try:
        yield from unit_of_work(session)
    finally:
        session.close()


DbSession = Annotated[Session, Depends(request_session, scope="function")]
