"""Queueing the feedback mails: rendered in the recipient's language, into the outbox, in the
caller's transaction, each at most once (its dedupe key)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from notifications import kinds
from notifications.identifiers import make_message_id
from notifications.messages import render_mail
from vekl.mail import outbox
from vekl.mail.recipients import programme
from vekl.settings import Settings
from vekl.store.models import Moderator, OutboxMail, Participant, Round


def already_queued(session: Session, key: str) -> bool:
    return session.scalar(select(OutboxMail.id).where(OutboxMail.dedupe_key == key)) is not None


def queue(
    session: Session,
    settings: Settings,
    mail: kinds.Mail,
    *,
    kind: str,
    now: datetime,
    round: Round | None,
    dedupe_key: str | None,
    participant: Participant | None = None,
    moderator: Moderator | None = None,
    not_after: datetime | None = None,
) -> OutboxMail | None:
    """Queue ``mail`` unless a mail with ``dedupe_key`` was queued before."""
    if dedupe_key is not None and already_queued(session, dedupe_key):
        return None
    sender = programme(settings)
    message = render_mail(mail, sender, message_id=make_message_id(sender.domain), now=now)
    return outbox.queue(
        session,
        message,
        secret_key=settings.secret_key,
        kind=kind,
        round=round,
        participant=participant,
        moderator=moderator,
        not_after=not_after,
        dedupe_key=dedupe_key,
    )
