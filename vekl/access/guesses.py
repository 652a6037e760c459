"""Limits on guessing and on repeating: how often one client may try something per window.

Letter codes and link requests are limited per client; registrations, each of which sends a
mail from the city's address, per client and per target address (the address is kept as a
keyed hash too).

The counter lives in the database so that every worker process sees the same count. A
client is known only by a keyed hash of its address (IPv6 clients by their /64 network,
which one household or attacker usually holds whole), so the table holds no addresses.

A wrong guess fails the request, and a failed request's transaction is rolled back; the
attempt itself must still be counted. :class:`RejectedGuess` therefore carries what to
record, and whoever owns the transaction records it after the rollback.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from vekl.errors import N_, FieldError, InvalidInput, ServiceError
from vekl.store.models import GuessCounter

WINDOW = timedelta(minutes=15)
# Attempts per window. A household or a shared accommodation registers several people from
# one address, so the per-client limit of registrations leaves room for that.
LIMITS = {
    "letter_code": 10,
    "link_request": 10,
    "registration": 10,
    "registration_address": 3,
}


class TooManyGuesses(ServiceError):
    """The client has used up its attempts for now; nothing was checked."""

    def __init__(self, retry_after: timedelta, scope: str = "letter_code") -> None:
        super().__init__(N_("too many attempts; try again later"))
        self.retry_after = retry_after
        self.scope = scope


class RejectedGuess(InvalidInput):
    """A wrong guess: shown like any invalid input, but counted against the client."""

    def __init__(self, errors: list[FieldError], *, scope: str, client: str, at: datetime):
        super().__init__(errors)
        self.scope = scope
        self.client = client
        self.at = at

    def record(self, session: Session) -> None:
        count(session, self.scope, self.client, self.at)


def client_key(address: str | None, secret: str) -> str:
    """A keyed hash of the client's address, or of its /64 network for IPv6."""
    text = address or "unknown"
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        pass
    else:
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is None:
            text = str(ipaddress.ip_network(f"{ip}/64", strict=False))
        elif isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            text = str(ip.ipv4_mapped)
    return hmac.new(secret.encode(), b"client\x1f" + text.encode(), hashlib.sha256).hexdigest()


def address_key(email: str, secret: str) -> str:
    """A keyed hash of an email address, counted like a client."""
    return hmac.new(secret.encode(), b"address\x1f" + email.encode(), hashlib.sha256).hexdigest()


def window_start(now: datetime) -> datetime:
    now = now.astimezone(UTC)
    seconds = int(WINDOW.total_seconds())
    return datetime.fromtimestamp(int(now.timestamp()) // seconds * seconds, UTC)


def attempts(session: Session, scope: str, client: str, now: datetime) -> int:
    found = session.scalar(
        select(GuessCounter.attempts).where(
            GuessCounter.scope == scope,
            GuessCounter.client_hash == client,
            GuessCounter.window_start == window_start(now),
        )
    )
    return found or 0


def check(session: Session, scope: str, client: str, now: datetime) -> None:
    """Refuse before anything is checked once the client has no attempts left."""
    if attempts(session, scope, client, now) >= LIMITS[scope]:
        raise TooManyGuesses(window_start(now) + WINDOW - now, scope)


def count(session: Session, scope: str, client: str, now: datetime) -> None:
    """Add one attempt; an insert-or-increment, so concurrent workers never lose one."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(GuessCounter).values(
        scope=scope, client_hash=client, window_start=window_start(now), attempts=1
    )
    statement = statement.on_conflict_do_update(
        index_elements=["scope", "client_hash", "window_start"],
        set_={"attempts": GuessCounter.attempts + 1},
    )
    session.execute(statement)


def purge_expired(session: Session, now: datetime) -> int:
    """Forget windows that ended; they limit nothing any more."""
    result = session.execute(
        delete(GuessCounter).where(GuessCounter.window_start < window_start(now) - WINDOW)
    )
    return int(getattr(result, "rowcount", 0) or 0)
