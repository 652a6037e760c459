"""The outbox of one round from the organiser pages: trying a failed mail again."""

from __future__ import annotations

from sqlalchemy.orm import Session

from vekl.errors import N_, NotFound
from vekl.jobs import queries as job_queries
from vekl.jobs import service as jobs
from vekl.mail import dispatch as mail_dispatch
from vekl.rounds import service as rounds
from vekl.store.models import Job, OutboxMail


def sending(session: Session) -> bool:
    """Whether a "send now" request is waiting for a worker or under way."""
    return job_queries.active_mail_job(session) is not None


def send_now(session: Session, slug: str) -> Job:
    """Ask a worker to send what is due now rather than at its next round."""
    rounds.get_round(session, slug)
    return jobs.enqueue_mail(session)


def retry(session: Session, slug: str, mail_id: int, actor: str) -> OutboxMail:
    round = rounds.get_round(session, slug)
    mail = session.get(OutboxMail, mail_id)
    if mail is None or mail.round_id != round.id:
        raise NotFound(N_("no mail %(id)s in round '%(round)s'"), id=mail_id, round=slug)
    return mail_dispatch.retry(session, mail_id, actor)
