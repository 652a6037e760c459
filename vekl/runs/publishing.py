"""Publishing a draft: its grouping becomes official and the mails it implies are queued.

One function does it for the organiser pages, the command line and the demo, in the
caller's transaction: ``runs.service.publish`` (statuses and the audit entry), then the
planner's mails. The preview on a draft's page runs the same function inside a savepoint
that is rolled back, so the preview and the publication cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from vekl.errors import N_, Conflict, NotFound
from vekl.mail import planner as notify
from vekl.mail import preview as mail_preview
from vekl.mail.preview import PREVIEW_ACTOR, PlannedMail
from vekl.rounds import service as rounds
from vekl.runs import service as matching_runs
from vekl.settings import Settings
from vekl.store.models import MatchingRun, OutboxMail


@dataclass(frozen=True)
class Published:
    run: MatchingRun
    previous: MatchingRun | None
    mails: list[OutboxMail]


def publish_run(
    session: Session,
    run: MatchingRun,
    *,
    settings: Settings,
    actor: str,
    now: datetime | None = None,
) -> Published:
    """Publish a draft and queue its mails in the same transaction."""
    publication = matching_runs.publish(session, run, actor)
    mails = notify.publication_mails(session, publication, settings=settings, now=now)
    return Published(run=publication.run, previous=publication.previous, mails=mails)


def publish(
    session: Session,
    slug: str,
    run_id: int | None,
    *,
    settings: Settings,
    actor: str,
    now: datetime | None = None,
) -> Published:
    """Publish run ``run_id`` of the round, or its newest draft when no run is named."""
    round = rounds.get_round(session, slug)
    if run_id is None:
        run = matching_runs.latest_draft(session, round)
    else:
        found = session.get(MatchingRun, run_id)
        if found is None or found.round_id != round.id:
            raise NotFound(
                N_("no matching run %(id)s in round '%(round)s'"), id=run_id, round=round.slug
            )
        run = found
    return publish_run(session, run, settings=settings, actor=actor, now=now)


@dataclass(frozen=True)
class Preview:
    mails: list[PlannedMail]
    problem: Conflict | None
    """Why publishing would be refused now; the page shows it in the reader's language."""


def preview(
    session: Session, run: MatchingRun, settings: Settings, now: datetime | None = None
) -> Preview:
    """The mails publishing this draft would queue, computed by publishing and rolling back.

    The rollback expires what the session holds; callers load the rest of a page after it.
    """
    planned: list[mail_preview.Planned] = []
    savepoint = session.begin_nested()
    try:
        published = publish_run(session, run, settings=settings, actor=PREVIEW_ACTOR, now=now)
        planned = mail_preview.note(published.mails)
    except Conflict as exc:
        return Preview([], exc)
    finally:
        savepoint.rollback()
    return Preview(mail_preview.planned_mails(session, planned), None)
