"""Organiser accounts: passwords, logins with lockout, browser sessions and CSRF tokens.

Passwords are kept as argon2id hashes. A session cookie holds a random token; the table
keeps only its SHA-256 hash, so a copy of the database logs nobody in. Failed logins are
counted in the database (``guess_counters``), per account and per client, so a lockout
holds across worker processes and restarts. The count must survive the rolled-back
request of a failed login: :class:`LoginRejected` carries what to record, like a wrong
letter code does.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from vekl.access import guesses
from vekl.audit import records as audit
from vekl.errors import N_, Conflict, FieldError, Invalid, InvalidInput, NotFound, ServiceError
from vekl.store.models import Organiser, OrganiserSession
from vekl.validation import normalise_email

MIN_PASSWORD_LENGTH = 10
SESSION_LIFETIME = timedelta(hours=12)
IDLE_TIMEOUT = timedelta(hours=2)
# Writing last_seen_at on every request would turn every page view into a write.
TOUCH_INTERVAL = timedelta(minutes=1)

ACCOUNT_SCOPE = "login_account"
CLIENT_SCOPE = "login_client"
# Failed logins per guess window (15 minutes) before logins are refused.
ACCOUNT_LIMIT = 5
CLIENT_LIMIT = 20

LOGIN_FAILED = N_("Email or password is wrong.")
LOCKED = N_("Too many failed logins. Please wait a quarter of an hour and try again.")

_hasher = PasswordHasher()
# Verifying against this when the account does not exist keeps the timing the same; made on
# first use, since hashing takes a noticeable moment and most commands never log anyone in.
_DUMMY_HASH: str | None = None


class LoginLocked(ServiceError):
    def __init__(self, retry_after: timedelta) -> None:
        super().__init__(LOCKED)
        self.retry_after = retry_after


class LoginRejected(guesses.RejectedGuess):
    """A wrong email or password; counted against the account and the client."""

    def __init__(self, *, account: str, client: str, at: datetime) -> None:
        super().__init__(
            [FieldError("password", LOGIN_FAILED)], scope=CLIENT_SCOPE, client=client, at=at
        )
        self.account = account

    def record(self, session: Session) -> None:
        guesses.count(session, CLIENT_SCOPE, self.client, self.at)
        guesses.count(session, ACCOUNT_SCOPE, self.account, self.at)


@dataclass(frozen=True)
class NewSession:
    """A session just created; ``token`` goes into the cookie and is not kept."""

    token: str
    row: OrganiserSession


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            [
                FieldError(
                    "password",
                    N_("must have at least %(min)s characters"),
                    params={"min": MIN_PASSWORD_LENGTH},
                )
            ]
        )
    return _hasher.hash(password)


def create_user(session: Session, email: str, password: str, *, actor: str) -> Organiser:
    try:
        address = normalise_email(email)
    except Invalid as exc:
        raise InvalidInput([FieldError("email", exc.message, params=exc.params)]) from None
    if session.scalar(select(Organiser.id).where(Organiser.email == address)) is not None:
        raise Conflict(N_("an organiser %(email)s exists already"), email=address)
    organiser = Organiser(email=address, password_hash=hash_password(password))
    session.add(organiser)
    session.flush()
    audit.record(session, actor, "organiser.create", subject=f"organiser:{organiser.id}")
    return organiser


def set_password(session: Session, email: str, password: str, *, actor: str) -> Organiser:
    """A new password; every session of the account ends."""
    organiser = session.scalar(select(Organiser).where(Organiser.email == email.strip().lower()))
    if organiser is None:
        raise NotFound(N_("no organiser %(email)s"), email=email)
    organiser.password_hash = hash_password(password)
    session.execute(delete(OrganiserSession).where(OrganiserSession.organiser_id == organiser.id))
    session.flush()
    audit.record(session, actor, "organiser.password", subject=f"organiser:{organiser.id}")
    return organiser


def account_key(email: str, secret: str) -> str:
    """The key failed logins of one account are counted under (also for unknown emails)."""
    text = email.strip().lower()
    return hmac.new(secret.encode(), b"account\x1f" + text.encode(), hashlib.sha256).hexdigest()


def _check_lock(session: Session, account: str, client: str, now: datetime) -> None:
    if (
        guesses.attempts(session, ACCOUNT_SCOPE, account, now) >= ACCOUNT_LIMIT
        or guesses.attempts(session, CLIENT_SCOPE, client, now) >= CLIENT_LIMIT
    ):
        raise LoginLocked(guesses.window_start(now) + guesses.WINDOW - now)


def start_session(session: Session, organiser: Organiser, now: datetime) -> NewSession:
    """A new browser session for an organiser whose password was checked."""
    token = secrets.token_urlsafe(32)
    row = OrganiserSession(
        token_hash=_token_hash(token),
        organiser_id=organiser.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        expires_at=now + SESSION_LIFETIME,
    )
    session.add(row)
    session.flush()
    return NewSession(token, row)


def login(
    session: Session, email: str, password: str, *, client: str, secret: str, now: datetime
) -> NewSession:
    """Check the password and open a session; locked accounts and clients are refused first."""
    account = account_key(email, secret)
    _check_lock(session, account, client, now)
    organiser = session.scalar(select(Organiser).where(Organiser.email == email.strip().lower()))
    try:
        _hasher.verify(organiser.password_hash if organiser else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        raise LoginRejected(account=account, client=client, at=now) from None
    if organiser is None or not organiser.active:
        raise LoginRejected(account=account, client=client, at=now)
    if _hasher.check_needs_rehash(organiser.password_hash):
        organiser.password_hash = _hasher.hash(password)
    organiser.last_login_at = now
    purge_expired_sessions(session, now)
    new = start_session(session, organiser, now)
    audit.record(session, _actor(organiser), "organiser.login", subject=f"organiser:{organiser.id}")
    return new


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
    return _DUMMY_HASH


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def current(session: Session, token: str | None, now: datetime) -> OrganiserSession | None:
    """The live session a cookie belongs to, or ``None`` (expired, idle, unknown, inactive)."""
    if not token or len(token) > 100:
        return None
    row = session.scalar(
        select(OrganiserSession).where(OrganiserSession.token_hash == _token_hash(token))
    )
    if row is None or not hmac.compare_digest(row.token_hash, _token_hash(token)):
        return None
    if row.expires_at <= now or row.last_seen_at + IDLE_TIMEOUT <= now:
        session.delete(row)
        session.flush()
        return None
    if not row.organiser.active:
        return None
    if now - row.last_seen_at >= TOUCH_INTERVAL:
        row.last_seen_at = now
        session.flush()
    return row


def csrf_ok(row: OrganiserSession, submitted: str | None) -> bool:
    return bool(submitted) and hmac.compare_digest(row.csrf_token, submitted or "")


def logout(session: Session, row: OrganiserSession) -> None:
    audit.record(
        session, _actor(row.organiser), "organiser.logout", subject=f"organiser:{row.organiser_id}"
    )
    session.delete(row)
    session.flush()


def purge_expired_sessions(session: Session, now: datetime) -> int:
    result = session.execute(
        delete(OrganiserSession).where(
            (OrganiserSession.expires_at <= now)
            | (OrganiserSession.last_seen_at <= now - IDLE_TIMEOUT)
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _actor(organiser: Organiser) -> str:
    return f"organiser:{organiser.email}"


def actor(row: OrganiserSession) -> str:
    """How the audit log names the organiser behind a session."""
    return _actor(row.organiser)
