"""The outbox page of one round: how many mails are where, and what failed."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from vekl.mail import dispatch as mail_dispatch
from vekl.mail import overview as mail_overview
from vekl.rounds import service as rounds
from vekl.store.models import MailStatus, OutboxMail, Round


@dataclass(frozen=True)
class MailPage:
    round: Round
    counts: dict[str, int]
    problems: list[OutboxMail]
    # A "send now" request is waiting for a worker or under way.
    sending: bool
    # Only these may be tried again; the page offers the button for them alone.
    retryable: frozenset[MailStatus] = mail_dispatch.RETRYABLE


def mail_page(session: Session, slug: str) -> MailPage:
    round = rounds.get_round(session, slug)
    return MailPage(
        round,
        mail_dispatch.status_counts(session, round.id),
        mail_dispatch.problem_mails(session, round.id),
        mail_overview.sending(session),
    )
