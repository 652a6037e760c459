from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import Engine, delete, func, select, text
from sqlalchemy.orm import Session

from vekl.errors import InvalidInput
from vekl.registration import service as registrations
from vekl.rounds import service as rounds
from vekl.store.models import DropoutCategory, Participant, RegistrationStatus, Round
from vekl.validation import RegistrationInput

from .conftest import BERLIN, EXAMPLE


def _input(**overrides: object) -> RegistrationInput:
    data: dict[str, object] = {
        "role": "newcomer",
        "first_name": "Olena",
        "last_name": "Melnyk",
        "email": "olena.melnyk@example.org",
        "preferred_language": "uk",
        "languages": ["uk", "de"],
        "series": ["mon", "sat"],
        "origin": "UA",
        "district": "Paradies",
        "consent": True,
    }
    data.update(overrides)
    return RegistrationInput.model_validate(data)


def test_register_stores_a_pending_registration(db: Session, example_round: Round) -> None:
    outcome = registrations.register(db, example_round, _input(), source="web", actor="test")
    assert outcome.created
    person = outcome.participant
    assert person.status is RegistrationStatus.PENDING
    assert [s.key for s in person.series] == ["mon", "sat"]
    assert person.consent_given_at is not None


def test_registering_again_returns_the_first_registration(
    db: Session, example_round: Round
) -> None:
    first = registrations.register(db, example_round, _input(), source="web", actor="t")
    again = registrations.register(
        db,
        example_round,
        _input(email="Olena.Melnyk@EXAMPLE.org", first_name="X"),
        source="web",
        actor="t",
    )
    assert not again.created
    assert again.participant.id == first.participant.id
    assert again.participant.first_name == "Olena"


def test_unknown_series_is_refused_and_names_the_field(db: Session, example_round: Round) -> None:
    with pytest.raises(InvalidInput) as info:
        registrations.register(db, example_round, _input(series=["tue"]), source="web", actor="t")
    assert str(info.value).startswith("series: unknown series 'tue'")
    assert db.scalar(select(func.count()).select_from(Participant)) == 0


def test_origin_is_not_kept_for_citizens(db: Session, example_round: Round) -> None:
    outcome = registrations.register(
        db, example_round, _input(role="citizen", origin="DE"), source="web", actor="t"
    )
    assert outcome.participant.origin is None


def test_concurrent_registrations_with_one_email_end_as_one(engine: Engine) -> None:
    """Two requests racing with the same email: the database keeps exactly one."""
    if engine.dialect.name != "postgresql":
        pytest.skip("the race is decided by PostgreSQL's unique index; SQLite serialises writers")
    with Session(engine) as setup:
        spec = rounds.load_round_file(EXAMPLE / "round.toml").model_copy(
            update={"slug": "race-test"}
        )
        round_id = rounds.create_round(setup, spec, BERLIN, "test").id
        setup.commit()
    barrier = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def attempt() -> None:
        try:
            with Session(engine) as session:
                round = session.get_one(Round, round_id)
                barrier.wait()
                outcome = registrations.register(session, round, _input(), source="web", actor="t")
                session.commit()
                results.append(outcome.participant.id)
        except BaseException as exc:  # reported below, not swallowed
            errors.append(exc)

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert errors == []
        with Session(engine) as check:
            count = check.scalar(
                select(func.count())
                .select_from(Participant)
                .where(Participant.round_id == round_id)
            )
        assert count == 1
        assert len(results) == 2 and results[0] == results[1]
    finally:
        with Session(engine) as cleanup:
            cleanup.execute(delete(Round).where(Round.id == round_id))
            cleanup.commit()


def test_an_address_being_registered_elsewhere_is_not_waited_for(engine: Engine) -> None:
    """A registration not committed yet holds the address: a second one must not queue behind
    it holding a pooled connection; it gives up quickly, as "being registered right now"."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite lets one writer in at a time; PostgreSQL waits on the row lock")
    with Session(engine) as setup:
        spec = rounds.load_round_file(EXAMPLE / "round.toml").model_copy(
            update={"slug": "lock-test"}
        )
        round_id = rounds.create_round(setup, spec, BERLIN, "test").id
        setup.commit()
    try:
        with Session(engine) as first, Session(engine) as second:
            registrations.register(
                first, first.get_one(Round, round_id), _input(), source="web", actor="t"
            )
            # Without the guard, the second insert would wait as long as the first stays open.
            second.execute(text("SET statement_timeout = '8s'"))
            started = time.monotonic()
            with pytest.raises(registrations.RegistrationInProgress):
                registrations.register(
                    second, second.get_one(Round, round_id), _input(), source="web", actor="t"
                )
            assert time.monotonic() - started < 4
            # The transaction goes on; the lock timeout is back to what it was.
            assert second.scalar(text("SHOW lock_timeout")) == "0"
            first.rollback()
            second.rollback()
    finally:
        with Session(engine) as cleanup:
            cleanup.execute(delete(Round).where(Round.id == round_id))
            cleanup.commit()


def test_list_filters_by_series_and_role(db: Session, populated_round: Round) -> None:
    everyone = registrations.list_registrations(db, populated_round)
    assert len(everyone) == 60
    saturday = registrations.list_registrations(db, populated_round, series_key="sat")
    assert saturday and all("sat" in [s.key for s in p.series] for p in saturday)
    assert len(saturday) < 60


def test_withdrawing_stores_the_category_and_parsing_refuses_what_is_not_on_the_list(
    db: Session, example_round: Round
) -> None:
    person = registrations.register(db, example_round, _input(), source="web", actor="t")
    registrations.withdraw(
        db,
        example_round,
        person.participant,
        "Umzug nach Hamburg",
        "t",
        category=DropoutCategory.MOVED,
    )
    db.expire_all()
    stored = db.get_one(Participant, person.participant.id)
    assert stored.status is RegistrationStatus.WITHDRAWN
    assert stored.dropout_category is DropoutCategory.MOVED
    assert stored.withdrawn_reason == "Umzug nach Hamburg"
    raw = db.execute(
        text("SELECT dropout_category FROM participants WHERE id = :id"), {"id": stored.id}
    ).scalar()
    assert raw == "moved"
    assert registrations.parse_category(" no_show ") is DropoutCategory.NO_SHOW
    for wrong, field_text in (("", "please choose"), ("bored", "unknown reason")):
        with pytest.raises(InvalidInput) as refused:
            registrations.parse_category(wrong)
        [error] = refused.value.errors
        assert error.field == "category" and field_text in error.message
