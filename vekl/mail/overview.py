"""The outbox of one round as organisers see it: how many mails are where, and what failed."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from vekl.errors import NotFound
from vekl.mail import dispatch as mail_dispatch
from vekl.rounds import service as rounds
from vekl.store.models import MailStatus, OutboxMail, Round


@dataclass(frozen=True)
class MailPage:
    round: Round
    counts: dict[str, int]
    problems: list[OutboxMail]
    # Only these may be tried again; the page offers the button for them alone.
    retryable: frozenset[MailStatus] = field(default=mail_dispatch.RETRYABLE)


def page(session: Session, slug: str) -> MailPage:
    round = rounds.get_round(session, slug)
    return MailPage(
        round,
        mail_dispatch.status_counts(session, round.id),
        mail_dispatch.problem_mails(session, round.id),
    )


def retry(session: Session, slug: str, mail_id: int, actor: str) -> OutboxMail:
    round = rounds.get_round(session, slug)
    mail = session.get(OutboxMail, mail_id)
    if mail is None or mail.round_id != round.id:
        raise NotFound(f"no mail {mail_id} in round {slug!r}")
    return mail_dispatch.retry(session, mail_id, actor)
