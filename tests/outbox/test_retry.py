"""Trying a mail again: only mails that never went out, and always written to the audit log."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from vekl.errors import Conflict, NotFound
from vekl.mail import dispatch as mail_dispatch
from vekl.mail import outbox
from vekl.store.models import AuditEntry, MailStatus, OutboxMail, Round

RECIPIENT = "anna.weber@example.org"
NOW = datetime(2027, 5, 3, 12, 0, tzinfo=UTC)


def _mail(db: Session, status: MailStatus, *, attempts: int = 0) -> OutboxMail:
    round = Round(slug=f"retry-{uuid.uuid4().hex[:8]}", name="Retry test")
    db.add(round)
    db.flush()
    message = EmailMessage()
    message["To"] = f"Anna Weber <{RECIPIENT}>"
    message["Message-ID"] = f"<{uuid.uuid4().hex}@konstanz.example>"
    message.set_content("Hallo Anna")
    mail = outbox.queue(db, message, secret_key="s" * 32, kind="invitation", round=round)
    mail.status = status
    mail.attempts = attempts
    mail.last_error = f"550 5.1.1 <{RECIPIENT}>: mailbox unavailable"
    db.flush()
    return mail


def _audit(db: Session, mail: OutboxMail) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.subject == f"mail:{mail.id}")
    return list(db.scalars(query))


@pytest.mark.parametrize("status", [MailStatus.SENT, MailStatus.SENDING, MailStatus.QUEUED])
def test_a_mail_that_is_sent_or_on_its_way_is_not_tried_again(
    db: Session, status: MailStatus
) -> None:
    mail = _mail(db, status, attempts=2)
    before = mail.next_attempt_at
    with pytest.raises(Conflict, match=f"mail {mail.id} is {status.value}; only failed or expired"):
        mail_dispatch.retry(db, mail.id, "organiser:team@konstanz.example", NOW)
    db.refresh(mail)
    assert (mail.status, mail.attempts, mail.next_attempt_at) == (status, 2, before)
    assert _audit(db, mail) == []


def test_a_failed_mail_is_queued_again_and_audited_without_personal_data(db: Session) -> None:
    mail = _mail(db, MailStatus.FAILED, attempts=3)
    mail_dispatch.retry(db, mail.id, "organiser:team@konstanz.example", NOW)
    db.refresh(mail)
    assert (mail.status, mail.attempts) == (MailStatus.QUEUED, 0)
    assert mail.next_attempt_at.astimezone(UTC) == NOW
    [entry] = _audit(db, mail)
    assert (entry.actor, entry.action, entry.round_id) == (
        "organiser:team@konstanz.example",
        "mail.retry",
        mail.round_id,
    )
    assert entry.details == {"kind": "invitation", "previous_status": "failed"}
    assert RECIPIENT not in repr(entry.details) and "Anna" not in repr(entry.details)


def test_an_expired_mail_is_sent_after_all_when_tried_again(db: Session) -> None:
    mail = _mail(db, MailStatus.QUEUED)
    mail.not_after = NOW - timedelta(hours=1)
    db.flush()
    assert mail_dispatch.expire(db, NOW) == 1
    db.refresh(mail)
    assert mail.status is MailStatus.EXPIRED
    mail_dispatch.retry(db, mail.id, "cli:team", NOW)
    assert mail_dispatch.expire(db, NOW) == 0
    assert mail_dispatch.claim(db, limit=10, now=NOW) == [mail]
    assert [e.details["previous_status"] for e in _audit(db, mail)] == ["expired"]


def test_an_unknown_mail_is_not_found(db: Session) -> None:
    with pytest.raises(NotFound):
        mail_dispatch.retry(db, 2_000_000_000, "cli:team", NOW)
