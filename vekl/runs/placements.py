"""Where people are now: the groups of a round's latest published matching run.

Pages, calendar feeds and the mail decisions all ask the same question, so it is
answered in one place.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from vekl.store.models import (
    Group,
    GroupMember,
    MatchingRun,
    Moderator,
    Participant,
    Round,
    RunStatus,
    Series,
    WaitlistEntry,
    group_moderators,
)


def published_run(session: Session, round: Round | int) -> MatchingRun | None:
    round_id = round if isinstance(round, int) else round.id
    return session.scalar(
        select(MatchingRun)
        .where(MatchingRun.round_id == round_id, MatchingRun.status == RunStatus.PUBLISHED)
        .order_by(MatchingRun.published_at.desc(), MatchingRun.id.desc())
        .limit(1)
    )


def _group_options() -> tuple[object, ...]:
    return (
        selectinload(Group.series).selectinload(Series.evenings),
        selectinload(Group.moderators),
        selectinload(Group.members).selectinload(GroupMember.participant),
    )


def run_groups(session: Session, run: MatchingRun) -> list[Group]:
    """A run's groups with series, evenings, moderators and members, in a few queries."""
    return list(
        session.scalars(
            select(Group)
            .where(Group.run_id == run.id)
            .options(*_group_options())  # type: ignore[arg-type]
            .order_by(Group.id)
        )
    )


def current_group(session: Session, participant: Participant) -> Group | None:
    """The participant's group in the published grouping, if any."""
    run = published_run(session, participant.round_id)
    if run is None:
        return None
    return session.scalar(
        select(Group)
        .join(GroupMember, GroupMember.group_id == Group.id)
        .where(GroupMember.run_id == run.id, GroupMember.participant_id == participant.id)
        .options(*_group_options())  # type: ignore[arg-type]
    )


def waitlist_reason(session: Session, participant: Participant) -> str | None:
    run = published_run(session, participant.round_id)
    if run is None:
        return None
    return session.scalar(
        select(WaitlistEntry.reason).where(
            WaitlistEntry.run_id == run.id, WaitlistEntry.participant_id == participant.id
        )
    )


def moderator_groups(session: Session, moderator: Moderator) -> list[Group]:
    """The groups a moderator leads in the published grouping."""
    run = published_run(session, moderator.round_id)
    if run is None:
        return []
    return list(
        session.scalars(
            select(Group)
            .join(group_moderators, group_moderators.c.group_id == Group.id)
            .where(Group.run_id == run.id, group_moderators.c.moderator_id == moderator.id)
            .options(*_group_options())  # type: ignore[arg-type]
            .order_by(Group.id)
        )
    )


_NUMBER = re.compile(r"(\d+)$")


def group_letter(key: str) -> str:
    """The letter a group is called by within its series: "mon-1" is A, "mon-27" AA.

    Taken from the number the solver gives the group, which stays the same for a group that
    a rematch keeps, so nobody's group is renamed because another group was dissolved.
    """
    found = _NUMBER.search(key)
    number = int(found.group(1)) if found else 1
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters or "A"


def group_label(group: Group, lang: str = "de") -> str:
    """A group's name as people see it: the organisers' name for it, or "B (Montagabende)"
    with the series' label in ``lang``.

    Nothing a participant or moderator receives shows the solver's key.
    """
    if group.name:
        return group.name
    return f"{group_letter(group.key)} ({group.series.label_in(lang)})"


def first_evening(group: Group) -> datetime | None:
    return min((e.starts_at for e in group.series.evenings), default=None)


def is_locked(group: Group, now: datetime) -> bool:
    """Once a group's first evening has begun, a rematch keeps its members."""
    first = first_evening(group)
    return first is not None and first <= now
