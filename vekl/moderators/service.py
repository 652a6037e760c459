"""Moderators of a round: the people who lead the groups."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from vekl.audit import records as audit
from vekl.registration.service import resolve_series
from vekl.store.models import Moderator, Round
from vekl.validation import ModeratorInput


@dataclass(frozen=True)
class ModeratorOutcome:
    moderator: Moderator
    created: bool
    changed: bool


def _state(moderator: Moderator) -> tuple[object, ...]:
    return (
        moderator.name,
        moderator.preferred_language,
        list(moderator.languages),
        [s.key for s in moderator.series],
    )


def save_moderator(
    session: Session, round: Round, data: ModeratorInput, actor: str
) -> ModeratorOutcome:
    """Add a moderator, or bring the one with this email up to date."""
    series = resolve_series(round, data.series)
    moderator = session.scalar(
        select(Moderator).where(Moderator.round_id == round.id, Moderator.email == data.email)
    )
    created = moderator is None
    if moderator is None:
        moderator = Moderator(round_id=round.id, email=data.email)
        session.add(moderator)
        before: tuple[object, ...] = ()
    else:
        before = _state(moderator)
    moderator.name = data.name
    moderator.preferred_language = data.preferred_language
    moderator.languages = list(data.languages)
    moderator.series = series
    session.flush()
    changed = created or _state(moderator) != before
    if changed:
        audit.record(
            session,
            actor,
            "moderator.create" if created else "moderator.update",
            round=round,
            subject=f"moderator:{moderator.id}",
        )
    return ModeratorOutcome(moderator, created=created, changed=changed)


def list_moderators(session: Session, round: Round) -> list[Moderator]:
    return list(
        session.scalars(
            select(Moderator)
            .where(Moderator.round_id == round.id)
            .options(selectinload(Moderator.series))
            .order_by(Moderator.id)
        )
    )
