"""The attendance service on SQLite and PostgreSQL: windows, membership, all-or-nothing,
the audit entries, the no-shows and the counts for the monitoring report."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from tests.attendance_setup import first_evening_began, group_of, person
from tests.dates import open_for_a_month
from vekl.access import tokens
from vekl.attendance import errors
from vekl.attendance import service as attendance
from vekl.errors import Conflict, NotFound
from vekl.rounds import service as rounds
from vekl.store.models import (
    Attendance,
    AuditEntry,
    Evening,
    Moderator,
    Participant,
    RegistrationStatus,
    Role,
    Round,
)

from .conftest import BERLIN, EXAMPLE

SECRET = "store-test-secret-0123456789-abcdef"


@pytest.fixture
def round_(db: Session) -> Round:
    spec = rounds.load_round_file(EXAMPLE / "round.toml")
    spec = spec.model_copy(update={"registration_deadline": open_for_a_month()})
    return rounds.create_round(db, spec, BERLIN, "test")


@pytest.fixture
def members(db: Session, round_: Round) -> dict[str, Participant]:
    """Karim and Olena (newcomers), Lea and Jonas (citizens) in one Monday group."""
    people = {
        "Karim": person(db, round_, "Karim", "Haddad"),
        "Olena": person(db, round_, "Olena", "Melnyk"),
        "Lea": person(db, round_, "Lea", "Berger", role=Role.CITIZEN),
        "Jonas": person(db, round_, "Jonas", "Beck", role=Role.CITIZEN),
    }
    group_of(db, round_, list(people.values()))
    return people


def _evenings(round_: Round, db: Session, ago: timedelta) -> list[Evening]:
    return first_evening_began(db, round_, ago)


def _rows(db: Session) -> dict[tuple[int, int], bool]:
    return {(a.participant_id, a.evening_id): a.present for a in db.scalars(select(Attendance))}


def _audit(db: Session) -> list[tuple[str, str | None, dict[str, object]]]:
    return [
        (e.action, e.subject, e.details)
        for e in db.scalars(
            select(AuditEntry).where(AuditEntry.action.like("attendance.%")).order_by(AuditEntry.id)
        )
    ]


def test_the_moderators_window_opens_at_the_start_and_closes_days_after_the_end(
    db: Session, round_: Round, members: dict[str, Participant]
) -> None:
    evening = _evenings(round_, db, timedelta(hours=1))[0]
    start, end = evening.starts_at, evening.ends_at
    problem = attendance.moderator_problem
    assert problem(evening, 7, start - timedelta(seconds=1)) == errors.NOT_STARTED
    assert problem(evening, 7, start) is None
    assert problem(evening, 7, end + timedelta(days=7)) is None
    assert problem(evening, 7, end + timedelta(days=7, seconds=1)) == errors.TOO_LATE
    assert problem(evening, 0, end + timedelta(seconds=1)) == errors.TOO_LATE


def test_a_moderator_marks_their_own_group_only_and_all_or_nothing(
    db: Session, round_: Round, members: dict[str, Participant]
) -> None:
    first = _evenings(round_, db, timedelta(hours=1))[0]
    moderator = db.scalar(select(Moderator).where(Moderator.round_id == round_.id))
    assert moderator is not None
    token = tokens.replace(moderator, SECRET)
    other = Moderator(round_id=round_.id, name="Jonas Weber", email="weber@example.org")
    db.add(other)
    db.flush()
    other_token = tokens.replace(other, SECRET)
    now = datetime.now(UTC)
    karim, lea = members["Karim"].id, members["Lea"].id
    stranger = person(db, round_, "Nadia", "Fremd")

    with pytest.raises(NotFound):
        attendance.mark_by_moderator(
            db, other_token, "mon-1", first.id, {karim: True}, days=7, now=now
        )
    with pytest.raises(Conflict) as refused:
        attendance.mark_by_moderator(
            db, token, "mon-1", first.id, {karim: True, stranger.id: True}, days=7, now=now
        )
    assert refused.value.message == errors.NOT_IN_GROUP
    with pytest.raises(Conflict) as late:
        attendance.mark_by_moderator(
            db, token, "mon-1", first.id, {karim: True}, days=7, now=now + timedelta(days=8)
        )
    assert late.value.message == errors.TOO_LATE and late.value.params == {"days": 7}
    assert _rows(db) == {} and _audit(db) == []

    saved = attendance.mark_by_moderator(
        db, token, "mon-1", first.id, {karim: True, lea: False}, days=7, now=now
    )
    assert (saved.changed, saved.present, saved.absent) == (2, 1, 1)
    assert _rows(db) == {(karim, first.id): True, (lea, first.id): False}
    assert [(a, s) for a, s, _ in _audit(db)] == [
        ("attendance.present", f"participant:{karim}"),
        ("attendance.absent", f"participant:{lea}"),
    ]
    assert _audit(db)[0][2] == {"evening": first.id, "number": 1}
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "attendance.present"))
    assert entry is not None and entry.actor == f"moderator:{moderator.id}"

    # Saving the same again changes nothing and logs nothing.
    again = attendance.mark_by_moderator(
        db, token, "mon-1", first.id, {karim: True, lea: False}, days=7, now=now
    )
    assert again.changed == 0 and len(_audit(db)) == 2


def test_organisers_correct_any_evening_that_has_begun_and_the_log_keeps_the_before(
    db: Session, round_: Round, members: dict[str, Participant]
) -> None:
    # Evening 1 began three weeks ago (long past the moderators' window); the third one
    # a week ago; none is in the future.
    evenings = _evenings(round_, db, timedelta(days=21))
    now = datetime.now(UTC)
    karim, lea = members["Karim"].id, members["Lea"].id
    slug = round_.slug
    attendance.mark_by_organiser(db, slug, evenings[0].id, {karim: False}, "organiser:a", now=now)
    attendance.mark_by_organiser(
        db, slug, evenings[0].id, {karim: True, lea: None}, "organiser:a", now=now
    )
    attendance.mark_by_organiser(db, slug, evenings[0].id, {karim: None}, "organiser:a", now=now)
    assert _rows(db) == {}
    assert [(a, d.get("before")) for a, _, d in _audit(db)] == [
        ("attendance.absent", None),
        ("attendance.present", "absent"),
        ("attendance.cleared", "present"),
    ]

    future = _evenings(round_, db, timedelta(days=7))[2]
    with pytest.raises(Conflict) as early:
        attendance.mark_by_organiser(db, slug, future.id, {karim: True}, "organiser:a", now=now)
    assert early.value.message == errors.NOT_STARTED_ORGANISER
    stranger = person(db, round_, "Nadia", "Fremd")
    with pytest.raises(Conflict) as outsider:
        attendance.mark_by_organiser(
            db, slug, evenings[0].id, {karim: True, stranger.id: True}, "organiser:a", now=now
        )
    assert outsider.value.params == {"id": stranger.id}
    assert _rows(db) == {}


def test_no_shows_are_those_absent_on_the_first_evening_who_are_still_in(
    db: Session, round_: Round, members: dict[str, Participant]
) -> None:
    evenings = _evenings(round_, db, timedelta(days=8))
    now = datetime.now(UTC)
    m = {name: p.id for name, p in members.items()}
    attendance.mark_by_organiser(
        db, round_.slug, evenings[0].id,
        {m["Karim"]: False, m["Olena"]: False, m["Lea"]: True}, "organiser:a", now=now,
    )  # fmt: skip
    attendance.mark_by_organiser(
        db, round_.slug, evenings[1].id, {m["Jonas"]: False}, "organiser:a", now=now
    )
    found = attendance.first_evening_no_shows(db, round_)
    assert sorted(n.participant.first_name for n in found) == ["Karim", "Olena"]
    members["Olena"].status = RegistrationStatus.WITHDRAWN
    db.flush()
    assert [n.participant.first_name for n in attendance.first_evening_no_shows(db, round_)] == [
        "Karim"
    ]


def test_the_counts_for_the_report_by_evening_and_role_with_completion(
    db: Session, round_: Round, members: dict[str, Participant]
) -> None:
    evenings = _evenings(round_, db, timedelta(days=15))  # all three have begun
    now = datetime.now(UTC)
    m = {name: p.id for name, p in members.items()}
    marks = [
        {m["Karim"]: True, m["Olena"]: False, m["Lea"]: True, m["Jonas"]: True},
        {m["Karim"]: True, m["Lea"]: True, m["Jonas"]: False},
        {m["Karim"]: True, m["Lea"]: True},
    ]
    for evening, given in zip(evenings, marks, strict=True):
        attendance.mark_by_organiser(db, round_.slug, evening.id, given, "organiser:a", now=now)
    # Olena did not come to the first evening and dropped out: she counts on that evening only.
    members["Olena"].status = RegistrationStatus.WITHDRAWN
    db.flush()

    figures = attendance.round_counts(db, round_)
    monday = [e for e in figures.evenings if e.series == "mon"]
    assert [e.number for e in monday] == [1, 2, 3]
    first, second, third = (e.by_role for e in monday)
    assert first["newcomer"].as_dict() == {"expected": 2, "present": 1, "absent": 1, "unmarked": 0}
    assert first["citizen"].as_dict() == {"expected": 2, "present": 2, "absent": 0, "unmarked": 0}
    assert second["newcomer"].as_dict() == {"expected": 1, "present": 1, "absent": 0, "unmarked": 0}
    assert second["citizen"].as_dict() == {"expected": 2, "present": 1, "absent": 1, "unmarked": 0}
    assert third["citizen"].as_dict() == {"expected": 2, "present": 1, "absent": 0, "unmarked": 1}
    assert monday[2].total.as_dict() == {"expected": 3, "present": 2, "absent": 0, "unmarked": 1}
    assert figures.members == {"citizen": 2, "newcomer": 1}
    assert figures.completed == {"citizen": 1, "newcomer": 1}  # Lea and Karim
    # Counts only: nothing in the figures names anyone.
    text = str(figures.as_dict())
    assert all(name not in text for name in ("Karim", "Olena", "Lea", "Jonas", "Haddad"))


def test_marks_go_with_the_person(
    db: Session, round_: Round, members: dict[str, Participant]
) -> None:
    first = _evenings(round_, db, timedelta(hours=1))[0]
    karim = members["Karim"].id
    attendance.mark_by_organiser(
        db, round_.slug, first.id, {karim: True}, "organiser:a", now=datetime.now(UTC)
    )
    db.execute(delete(Participant).where(Participant.id == karim))
    db.expire_all()
    assert _rows(db) == {}


def test_two_people_marking_one_evening_at_once_take_turns(engine: Engine) -> None:
    """The second save waits for the first and sees its mark instead of inserting it again
    (which the unique key would refuse with an error page)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite lets one writer in at a time; PostgreSQL takes the evening's lock")
    with Session(engine) as setup:
        spec = rounds.load_round_file(EXAMPLE / "round.toml").model_copy(
            update={"slug": "attendance-race", "registration_deadline": open_for_a_month()}
        )
        round = rounds.create_round(setup, spec, BERLIN, "test")
        karim = person(setup, round, "Karim", "Haddad")
        group_of(setup, round, [karim, person(setup, round, "Lea", "Berger", role=Role.CITIZEN)])
        evening_id = first_evening_began(setup, round, timedelta(hours=1))[0].id
        round_id, karim_id, slug = round.id, karim.id, round.slug
        setup.commit()
    now = datetime.now(UTC)
    first_saved = threading.Event()
    outcome: list[object] = []

    def second() -> None:
        first_saved.wait(10)
        try:
            with Session(engine) as session:
                saved = attendance.mark_by_organiser(
                    session, slug, evening_id, {karim_id: True}, "organiser:b", now=now
                )
                session.commit()
                outcome.append(saved.changed)
        except BaseException as exc:  # reported below, not swallowed
            outcome.append(exc)

    thread = threading.Thread(target=second)
    thread.start()
    try:
        with Session(engine) as session:
            attendance.mark_by_organiser(
                session, slug, evening_id, {karim_id: True}, "organiser:a", now=now
            )
            first_saved.set()
            # The second save has started and must wait for this one to commit.
            time.sleep(0.5)
            session.commit()
        thread.join(30)
        assert outcome == [0]
        with Session(engine) as check:
            rows = check.scalars(
                select(Attendance).where(Attendance.participant_id == karim_id)
            ).all()
            assert [(r.present, r.marked_by) for r in rows] == [(True, "organiser:a")]
    finally:
        thread.join(30)
        with Session(engine) as cleanup:
            cleanup.execute(delete(Round).where(Round.id == round_id))
            cleanup.commit()
