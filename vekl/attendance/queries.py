"""The attendance rows and the groups an evening's members come from."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from vekl.runs.placements import published_run, run_groups
from vekl.store.models import Attendance, Evening, Group, Participant, RegistrationStatus, Round


def marks(
    session: Session, evening_ids: Iterable[int], participant_ids: Iterable[int] | None = None
) -> dict[tuple[int, int], Attendance]:
    """The rows for these evenings (and people), by (participant id, evening id)."""
    query = select(Attendance).where(Attendance.evening_id.in_(list(evening_ids)))
    if participant_ids is not None:
        query = query.where(Attendance.participant_id.in_(list(participant_ids)))
    return {(row.participant_id, row.evening_id): row for row in session.scalars(query)}


def published_groups(session: Session, round: Round) -> list[Group]:
    """The groups of the round's published grouping, with series, evenings and members."""
    run = published_run(session, round)
    return run_groups(session, run) if run is not None else []


def active_members(group: Group) -> list[Participant]:
    """The members who have not dropped out, in the order of their names."""
    people = [
        m.participant
        for m in group.members
        if m.participant.status is not RegistrationStatus.WITHDRAWN
    ]
    return sorted(people, key=lambda p: (p.first_name.casefold(), p.last_name.casefold(), p.id))


def evening_number(evening: Evening) -> int:
    """Which evening of its series this is: 1 for the first."""
    return [e.id for e in evening.series.evenings].index(evening.id) + 1
