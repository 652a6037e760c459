from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from vekl.store.models import Evening, Participant, Role, Round, Series


def _person(round: Round, email: str) -> Participant:
    return Participant(
        round_id=round.id,
        role=Role.CITIZEN,
        first_name="Anna",
        last_name="Weber",
        email=email,
        languages=["de"],
    )


def test_sessions_are_stored_timezone_aware_and_come_back_in_utc(
    db: Session, example_round: Round
) -> None:
    monday = example_round.series[0].evenings[0]
    db.expire_all()
    evening = db.get(Evening, monday.id)
    assert evening is not None
    assert evening.starts_at.tzinfo is not None
    # 3 May 2027, 18:00 in Konstanz (CEST, UTC+2).
    assert evening.starts_at == datetime(2027, 5, 3, 16, 0, tzinfo=UTC)
    assert evening.ends_at == datetime(2027, 5, 3, 19, 15, tzinfo=UTC)


def test_naive_timestamps_are_refused(db: Session, example_round: Round) -> None:
    series = example_round.series[0]
    series.evenings.append(
        Evening(starts_at=datetime(2027, 5, 3, 18), ends_at=datetime(2027, 5, 3, 21))
    )
    with pytest.raises(StatementError, match="naive datetime"):
        db.flush()


def test_one_email_registers_once_per_round(db: Session, example_round: Round) -> None:
    db.add(_person(example_round, "anna@example.org"))
    db.flush()
    db.add(_person(example_round, "anna@example.org"))
    with pytest.raises(IntegrityError):
        db.flush()


def test_the_same_email_may_register_in_another_round(db: Session, example_round: Round) -> None:
    other = Round(slug="konstanz-juni", name="Juni")
    db.add(other)
    db.flush()
    db.add_all([_person(example_round, "anna@example.org"), _person(other, "anna@example.org")])
    db.flush()
    assert (
        len(db.scalars(select(Participant).where(Participant.email == "anna@example.org")).all())
        == 2
    )


def test_deleting_a_round_removes_its_series(db: Session, example_round: Round) -> None:
    round_id = example_round.id
    db.delete(example_round)
    db.flush()
    assert db.scalars(select(Series).where(Series.round_id == round_id)).all() == []


def test_rules_are_checked_by_the_database(db: Session) -> None:
    db.add(Round(slug="broken", name="Broken", min_size=8, max_size=6))
    with pytest.raises(IntegrityError):
        db.flush()
