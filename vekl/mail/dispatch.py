"""Sends what the outbox holds, after the transactions that queued it have committed.

Rows are claimed in one short transaction, sent over one connection, and marked in
another. Several dispatchers may run at once: on PostgreSQL claims use
``FOR UPDATE SKIP LOCKED``. A mail is never sent while an earlier one to the same
address is still pending, so a cancellation cannot overtake the invitation it cancels.
A dispatcher that dies after the server accepted a mail but before marking it leaves the
row in "sending"; it is claimed again after ``STALE_AFTER`` and resent with the same
Message-ID, so at most one duplicate arises and receivers can recognise it.
"""

from __future__ import annotations

import asyncio
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
from vekl.settings import Settings
from vekl.store.db import transaction
from vekl.store.models import MailStatus, OutboxMail, Round

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


def claim(session: Session, *, limit: int, now: datetime) -> list[OutboxMail]:
    earlier = aliased(OutboxMail)
    blocked = exists().where(
        earlier.recipient == OutboxMail.recipient,
        earlier.id < OutboxMail.id,
        earlier.status.in_((MailStatus.QUEUED, MailStatus.SENDING)),
    )
    due = or_(
        and_(OutboxMail.status == MailStatus.QUEUED, OutboxMail.next_attempt_at <= now),
        and_(OutboxMail.status == MailStatus.SENDING, OutboxMail.claimed_at <= now - STALE_AFTER),
    )
    query = select(OutboxMail).where(due, ~blocked).order_by(OutboxMail.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=OutboxMail)
    rows = list(session.scalars(query))
    for row in rows:
        row.status = MailStatus.SENDING
        row.claimed_at = now
        row.attempts += 1
    session.flush()
    return rows


def record(
    session: Session, mail_id: int, delivery: DeliveryOutcome, now: datetime
) -> Literal["delivered", "temporary", "failed"]:
    row = session.get_one(OutboxMail, mail_id)
    if delivery.delivered:
        row.status = MailStatus.SENT
        row.sent_at = now
        row.last_error = None
        return "delivered"
    row.last_error = delivery.detail[:1000] or delivery.status.value
    if not delivery.retryable or row.attempts >= MAX_ATTEMPTS:
        row.status = MailStatus.FAILED
        return "failed"
    row.status = MailStatus.QUEUED
    row.next_attempt_at = now + timedelta(seconds=retry_delay(row.attempts))
    return "temporary"


def dispatch_once(
    sessions: sessionmaker[Session],
    transport: Transport,
    *,
    batch_size: int = 50,
    now: datetime | None = None,
) -> DispatchResult:
    """Claim one batch, send it, record the outcomes."""
    moment = now or datetime.now(UTC)
    result = DispatchResult()
    with transaction(sessions) as session:
        result.expired = expire(session, moment)
        batch = [(row.id, row.payload) for row in claim(session, limit=batch_size, now=moment)]
    result.claimed = len(batch)
    if not batch:
        return result
    try:
        deliveries = asyncio.run(transport.send([payload for _, payload in batch]))
    except Exception as exc:  # the transport failed as a whole: the whole batch retries
        detail = f"{type(exc).__name__}: {exc}"
        deliveries = [DeliveryOutcome("", DeliveryStatus.TEMPORARY, detail) for _ in batch]
    with transaction(sessions) as session:
        for (mail_id, _), delivery in zip(batch, deliveries, strict=True):
            outcome = record(session, mail_id, delivery, now or datetime.now(UTC))
            if outcome == "delivered":
                result.sent += 1
            elif outcome == "failed":
                result.failed += 1
                result.errors.append(f"mail {mail_id}: {delivery.detail}")
            else:
                result.retrying += 1
    return result


def dispatch_all(
    sessions: sessionmaker[Session], transport: Transport, *, batch_size: int = 50
) -> DispatchResult:
    """Send everything that is due now; stops when a batch claims nothing."""
    total = DispatchResult()
    while True:
        step = dispatch_once(sessions, transport, batch_size=batch_size)
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
                    OutboxMail.claimed_at <= late - STALE_AFTER,
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
