"""The outbox of one round from the organiser pages: trying a failed mail again."""

from __future__ import annotations

from sqlalchemy.orm import Session

from vekl.errors import NotFound
from vekl.mail import dispatch as mail_dispatch
from vekl.rounds import service as rounds
from vekl.store.models import OutboxMail


def retry(session: Session, slug: str, mail_id: int) -> OutboxMail:
    round = rounds.get_round(session, slug)
    mail = session.get(OutboxMail, mail_id)
    if mail is None or mail.round_id != round.id:
        raise NotFound(f"no mail {mail_id} in round {slug!r}")
    return mail_dispatch.retry(session, mail_id)
