"""A published grouping made by hand, for pages that show a person's group."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from vekl.store.models import (
    Group,
    GroupMember,
    MatchingRun,
    Moderator,
    Participant,
    RegistrationStatus,
    Round,
    RunStatus,
)


def publish_group(db: Session, round: Round, people: list[Participant]) -> Group:
    """A published grouping with one group on Mondays, led by Miriam."""
    moderator = db.scalar(
        select(Moderator).where(
            Moderator.round_id == round.id, Moderator.email == "miriam@example.org"
        )
    )
    if moderator is None:
        moderator = Moderator(
            round_id=round.id,
            name="Miriam Okafor",
            email="miriam@example.org",
            languages=["de", "en"],
        )
        db.add(moderator)
    run = MatchingRun(
        round_id=round.id,
        status=RunStatus.PUBLISHED,
        problem={},
        published_at=datetime.now(UTC),
    )
    db.add(run)
    db.flush()
    monday = next(s for s in round.series if s.key == "mon")
    group = Group(run_id=run.id, key="mon-1", series_id=monday.id, language="de")
    group.moderators = [moderator]
    db.add(group)
    db.flush()
    for person in people:
        db.add(GroupMember(run_id=run.id, group_id=group.id, participant_id=person.id))
        person.status = RegistrationStatus.PLACED
    db.commit()
    return group
