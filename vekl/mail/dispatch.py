"""Sends what the outbox holds, after the transactions that queued it have committed.

Rows are claimed in one short transaction and sent over one connection. Each mail is
marked "started" in its own transaction just before its SMTP transaction begins, and its
outcome recorded in another right after it, so a dispatcher that dies loses at most the
one mail in flight. Several dispatchers may run at once: on PostgreSQL claims use
``FOR UPDATE SKIP LOCKED``, and a mail starts only for the dispatcher whose claim token
it still carries. A mail is never sent while an earlier one to the same address is still
pending, so a cancellation cannot overtake the invitation it cancels.

After a crash, claimed mails that never started are taken over after ``CLAIM_LEASE``
(they cannot have left). The one that had started may have reached the server; it is
resent after ``STALE_AFTER`` with the same Message-ID, so at most one duplicate arises
and receivers can recognise it. A delivered mail's body is dropped at once.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased, sessionmaker

from notifications.delivery import DeliveryOutcome, DeliveryStatus, Transport, retry_delay
from notifications.filesink import FileSink
from notifications.smtp import SmtpSettings, SmtpTransport
from vekl.audit import records as audit
from vekl.errors import N_, Conflict, NotFound
from vekl.mail import sealing
from vekl.settings import Settings
from vekl.store.db import transaction
from vekl.store.models import MailStatus, OutboxMail, Round

CLAIM_LEASE = timedelta(minutes=2)
STALE_AFTER = timedelta(minutes=10)
MAX_ATTEMPTS = 10
# The states from which an organiser may send a mail again: it never went out.
RETRYABLE = frozenset({MailStatus.FAILED, MailStatus.EXPIRED})


class NotRetryable(Conflict):
    """The mail is queued, being sent or sent; trying it again could send it twice."""


@dataclass
class DispatchResult:
    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    expired: int = 0
    errors: list[str] = field(default_factory=list)


def transport_for(settings: Settings) -> Transport:
    """SMTP when a server is configured, otherwise ``.eml`` files in the mail folder."""
    if settings.smtp_url:
        smtp = SmtpSettings.from_url(settings.smtp_url, timeout=settings.smtp_timeout)
        return SmtpTransport(smtp, ca_file=settings.smtp_ca_file)
    return FileSink(settings.mail_dir)


def expire(session: Session, now: datetime) -> int:
    """Mails about evenings that have begun are no longer sent."""
    result = session.execute(
        update(OutboxMail)
        .where(
            OutboxMail.status == MailStatus.QUEUED,
            OutboxMail.not_after.is_not(None),
            OutboxMail.not_after <= now,
        )
        .values(status=MailStatus.EXPIRED, last_error="not sent: its evening had already begun")
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _new_claim_token() -> str:
    return secrets.token_hex(16)


def claim(
    session: Session, *, limit: int, now: datetime, token: str | None = None
) -> list[OutboxMail]:
    """Take up to ``limit`` due mails for one dispatcher, identified by ``token``."""
    earlier = aliased(OutboxMail)
    blocked = exists().where(
        earlier.recipient == OutboxMail.recipient,
        earlier.id < OutboxMail.id,
        earlier.status.in_((MailStatus.QUEUED, MailStatus.SENDING)),
    )
    sending = OutboxMail.status == MailStatus.SENDING
    due = or_(
        and_(OutboxMail.status == MailStatus.QUEUED, OutboxMail.next_attempt_at <= now),
        # Claimed by a dispatcher that never began it: it cannot have left.
        and_(
            sending,
            OutboxMail.started_at.is_(None),
            OutboxMail.claimed_at <= now - CLAIM_LEASE,
        ),
        # Begun by a dispatcher that never came back: it may have left, so wait longer.
        and_(sending, OutboxMail.started_at <= now - STALE_AFTER),
    )
    query = select(OutboxMail).where(due, ~blocked).order_by(OutboxMail.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=OutboxMail)
    rows = list(session.scalars(query))
    for row in rows:
        row.status = MailStatus.SENDING
        row.claimed_at = now
        row.claim_token = token or _new_claim_token()
        row.started_at = None
        row.attempts += 1
    session.flush()
    return rows


def start(session: Session, mail_id: int, token: str, now: datetime) -> bool:
    """Mark one claimed mail as begun, unless another dispatcher has taken it over."""
    result = session.execute(
        update(OutboxMail)
        .where(
            OutboxMail.id == mail_id,
            OutboxMail.status == MailStatus.SENDING,
            OutboxMail.claim_token == token,
            OutboxMail.started_at.is_(None),
        )
        .values(started_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


Recorded = Literal["delivered", "temporary", "failed", "not ours"]


def record(
    session: Session,
    mail_id: int,
    delivery: DeliveryOutcome,
    now: datetime,
    token: str | None = None,
) -> Recorded:
    """Store how one attempt ended; a mail another dispatcher has taken over is left alone."""
    row = session.get_one(OutboxMail, mail_id)
    if token is not None and (row.status != MailStatus.SENDING or row.claim_token != token):
        return "not ours"
    row.claim_token = None
    if delivery.delivered:
        row.status = MailStatus.SENT
        row.sent_at = now
        row.last_error = None
        row.payload = None  # the mail log needs no body, and it may hold a live link
        return "delivered"
    row.last_error = delivery.detail[:1000] or delivery.status.value
    if not delivery.retryable or row.attempts >= MAX_ATTEMPTS:
        row.status = MailStatus.FAILED
        return "failed"
    row.status = MailStatus.QUEUED
    row.next_attempt_at = now + timedelta(seconds=retry_delay(row.attempts))
    return "temporary"


def _settle(
    sessions: sessionmaker[Session],
    mail_id: int,
    outcome: DeliveryOutcome,
    now: datetime,
    token: str,
    result: DispatchResult,
) -> None:
    with transaction(sessions) as session:
        recorded = record(session, mail_id, outcome, now, token)
    if recorded == "delivered":
        result.sent += 1
    elif recorded == "failed":
        result.failed += 1
        result.errors.append(f"mail {mail_id}: {outcome.detail}")
    elif recorded == "temporary":
        result.retrying += 1


@dataclass
class _Marks:
    """The dispatcher's :class:`notifications.delivery.Gate`: one transaction per mark."""

    sessions: sessionmaker[Session]
    token: str
    clock: Callable[[], datetime]
    result: DispatchResult
    ids: list[int] = field(default_factory=list)
    settled: set[int] = field(default_factory=set)

    async def begin(self, index: int) -> bool:
        return await asyncio.to_thread(self._begin, index)

    async def done(self, index: int, outcome: DeliveryOutcome) -> None:
        await asyncio.to_thread(self.settle, index, outcome)

    def _begin(self, index: int) -> bool:
        with transaction(self.sessions) as session:
            return start(session, self.ids[index], self.token, self.clock())

    def settle(self, index: int, outcome: DeliveryOutcome) -> None:
        if index not in self.settled:
            self.settled.add(index)
            _settle(self.sessions, self.ids[index], outcome, self.clock(), self.token, self.result)


def dispatch_once(
    sessions: sessionmaker[Session],
    transport: Transport,
    *,
    secret_key: str,
    batch_size: int = 50,
    now: datetime | None = None,
) -> DispatchResult:
    """Claim one batch, send it, record each outcome as it happens."""
    moment = now or datetime.now(UTC)
    result = DispatchResult()
    token = _new_claim_token()
    with transaction(sessions) as session:
        result.expired = expire(session, moment)
        claimed = [
            (row.id, row.payload)
            for row in claim(session, limit=batch_size, now=moment, token=token)
        ]
    result.claimed = len(claimed)
    marks = _Marks(sessions, token, lambda: now or datetime.now(UTC), result)
    bodies: list[bytes] = []
    for mail_id, payload in claimed:
        try:
            bodies.append(sealing.unseal(secret_key, payload or b""))
        except sealing.Unreadable as error:
            unreadable = DeliveryOutcome("", DeliveryStatus.PERMANENT, str(error))
            _settle(sessions, mail_id, unreadable, marks.clock(), token, result)
            continue
        marks.ids.append(mail_id)
    if not bodies:
        return result
    try:
        deliveries = asyncio.run(transport.send(bodies, marks))
    except Exception as exc:  # the transport failed as a whole: what is left retries
        detail = f"{type(exc).__name__}: {exc}"
        deliveries = [DeliveryOutcome("", DeliveryStatus.TEMPORARY, detail) for _ in bodies]
    for index, delivery in enumerate(deliveries):
        if delivery.status is not DeliveryStatus.WITHHELD:
            marks.settle(index, delivery)
    return result


def dispatch_all(
    sessions: sessionmaker[Session],
    transport: Transport,
    *,
    secret_key: str,
    batch_size: int = 50,
) -> DispatchResult:
    """Send everything that is due now; stops when a batch claims or sends nothing."""
    total = DispatchResult()
    while True:
        step = dispatch_once(sessions, transport, secret_key=secret_key, batch_size=batch_size)
        total.claimed += step.claimed
        total.sent += step.sent
        total.retrying += step.retrying
        total.failed += step.failed
        total.expired += step.expired
        total.errors += step.errors
        if step.claimed == 0 or step.sent == 0:
            return total


def status_counts(session: Session, round_id: int | None = None) -> dict[str, int]:
    query = select(OutboxMail.status, func.count()).group_by(OutboxMail.status)
    if round_id is not None:
        query = query.where(OutboxMail.round_id == round_id)
    counts = {status.value: 0 for status in MailStatus}
    counts.update({status.value: n for status, n in session.execute(query).all()})
    return counts


def overdue(session: Session, now: datetime, older_than: timedelta) -> int:
    """Mails that should have left more than ``older_than`` ago and have not.

    Queued and due since then (whether no dispatcher runs or an earlier mail to the same
    address keeps failing), or claimed by a dispatcher that has not come back since.
    """
    late = now - older_than
    query = (
        select(func.count())
        .select_from(OutboxMail)
        .where(
            or_(
                and_(OutboxMail.status == MailStatus.QUEUED, OutboxMail.next_attempt_at <= late),
                and_(
                    OutboxMail.status == MailStatus.SENDING,
                    OutboxMail.started_at.is_(None),
                    OutboxMail.claimed_at <= late - CLAIM_LEASE,
                ),
                and_(
                    OutboxMail.status == MailStatus.SENDING,
                    OutboxMail.started_at <= late - STALE_AFTER,
                ),
            )
        )
    )
    return int(session.scalar(query) or 0)


def problem_mails(
    session: Session, round_id: int | None = None, limit: int = 100
) -> list[OutboxMail]:
    """Failed mails and those waiting for a retry, for organisers to look at."""
    query = (
        select(OutboxMail)
        .where(
            or_(
                OutboxMail.status == MailStatus.FAILED,
                and_(OutboxMail.status == MailStatus.QUEUED, OutboxMail.attempts > 0),
            )
        )
        .order_by(OutboxMail.id.desc())
        .limit(limit)
    )
    if round_id is not None:
        query = query.where(OutboxMail.round_id == round_id)
    return list(session.scalars(query))


def retry(session: Session, mail_id: int, actor: str, now: datetime | None = None) -> OutboxMail:
    """An organiser asks for a failed or expired mail to be tried again.

    Mails that are queued, being sent or sent are refused, so that nothing goes out twice.
    An expired mail's cut-off is lifted: the organiser has chosen to send it although its
    evening has begun (the dispatcher would otherwise expire it again at once).
    """
    row = session.get(OutboxMail, mail_id)
    if row is None:
        raise NotFound(N_("no mail %(id)s"), id=mail_id)
    if row.status not in RETRYABLE:
        raise NotRetryable(
            N_("mail %(id)s is %(status)s; only failed or expired mails can be tried again"),
            id=mail_id,
            status=row.status.value,
        )
    previous = row.status
    row.status = MailStatus.QUEUED
    row.next_attempt_at = now or datetime.now(UTC)
    row.attempts = 0
    row.not_after = None
    round = session.get(Round, row.round_id) if row.round_id is not None else None
    # Kind and state only: the recipient and the server's answer may name a person.
    audit.record(
        session,
        actor,
        "mail.retry",
        round=round,
        subject=f"mail:{row.id}",
        kind=row.kind,
        previous_status=previous.value,
    )
    session.flush()
    return row
