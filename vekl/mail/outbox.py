"""The outbox: mails are written in the transaction that causes them, sent after commit.

Queueing stores the fully rendered message with its Message-ID, so nothing a user did
is lost when the mail server is down, and a resend after a crash is the same message.
The message is sealed (``vekl.mail.sealing``): the database alone cannot read it, and
the links in it open nothing for whoever holds a copy of the database.
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP

from sqlalchemy.orm import Session

from vekl.mail import sealing
from vekl.store.models import MailStatus, Moderator, OutboxMail, Participant, Round


class MessageWithoutId(ValueError):
    pass


def queue(
    session: Session,
    message: EmailMessage,
    *,
    secret_key: str,
    kind: str,
    round: Round | None,
    participant: Participant | None = None,
    moderator: Moderator | None = None,
    not_after: datetime | None = None,
    dedupe_key: str | None = None,
) -> OutboxMail:
    """Add a rendered message to the outbox; it goes out once the transaction commits."""
    message_id = message["Message-ID"]
    recipients = message.get_all("To") or []
    if not message_id:
        raise MessageWithoutId("a queued message needs its Message-ID fixed in advance")
    if len(recipients) != 1:
        raise ValueError("a queued message has exactly one To header")
    mail = OutboxMail(
        message_id=str(message_id).strip(),
        kind=kind,
        round_id=round.id if round is not None else None,
        participant_id=participant.id if participant is not None else None,
        moderator_id=moderator.id if moderator is not None else None,
        recipient=message["To"].addresses[0].addr_spec,
        payload=sealing.seal(secret_key, message.as_bytes(policy=SMTP)),
        status=MailStatus.QUEUED,
        not_after=not_after,
        dedupe_key=dedupe_key,
    )
    session.add(mail)
    session.flush()
    return mail


class BodyGone(LookupError):
    """The mail was delivered or superseded, and its body dropped."""


def body(mail: OutboxMail, secret_key: str) -> bytes:
    """The message exactly as it was queued; raises once it has been dropped."""
    if mail.payload is None:
        raise BodyGone(f"mail {mail.id} has no body any more ({mail.status.value})")
    return sealing.unseal(secret_key, mail.payload)
