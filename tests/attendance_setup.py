"""A published group on Mondays whose evenings lie where a test needs them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from tests.api.published import publish_group
from vekl.store.models import Evening, Group, Participant, RegistrationStatus, Role, Round


def person(
    db: Session, round: Round, first: str, last: str = "Muster", role: Role = Role.NEWCOMER
) -> Participant:
    found = Participant(
        round_id=round.id,
        role=role,
        first_name=first,
        last_name=last,
        email=f"{first.lower()}.{last.lower()}@example.org",
        languages=["de"],
        status=RegistrationStatus.CONFIRMED,
    )
    db.add(found)
    db.flush()
    return found


def monday_evenings(round: Round) -> list[Evening]:
    return list(next(s for s in round.series if s.key == "mon").evenings)


def first_evening_began(db: Session, round: Round, ago: timedelta) -> list[Evening]:
    """The Monday evenings moved so the first began ``ago`` before now, a week apart."""
    start = datetime.now(UTC).replace(microsecond=0) - ago
    evenings = monday_evenings(round)
    for number, evening in enumerate(evenings):
        evening.starts_at = start + timedelta(days=7 * number)
        evening.ends_at = evening.starts_at + timedelta(hours=2)
    db.flush()
    return evenings


def group_of(db: Session, round: Round, people: list[Participant]) -> Group:
    return publish_group(db, round, people)
