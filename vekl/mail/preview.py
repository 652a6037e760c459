"""What a change would mail, shown to organisers before they confirm it.

A change is made in a savepoint, the mails it queues are noted, and the savepoint is rolled
back; the page then lists who would get what.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from vekl.store.models import Moderator, OutboxMail, Participant

PREVIEW_ACTOR = "preview"


@dataclass(frozen=True)
class PlannedMail:
    kind: str
    recipient: str
    participant: Participant | None
    moderator: Moderator | None


Planned = tuple[str, str, int | None, int | None]


def note(mails: Sequence[OutboxMail]) -> list[Planned]:
    """What to remember of queued mails before the savepoint that holds them is rolled back."""
    return [(m.kind, m.recipient, m.participant_id, m.moderator_id) for m in mails]


def planned_mails(session: Session, planned: Sequence[Planned]) -> list[PlannedMail]:
    """The noted mails with their recipients, loaded again after the rollback."""
    people = {
        p.id: p
        for p in session.scalars(
            select(Participant).where(Participant.id.in_([p for _, _, p, _ in planned if p]))
        )
    }
    leaders = {
        m.id: m
        for m in session.scalars(
            select(Moderator).where(Moderator.id.in_([m for _, _, _, m in planned if m]))
        )
    }
    return [
        PlannedMail(kind, to, people.get(p) if p else None, leaders.get(m) if m else None)
        for kind, to, p, m in planned
    ]
