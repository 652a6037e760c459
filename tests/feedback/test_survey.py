"""The survey after the last evening: invitations once, answers stored, links spent, closes."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.feedback.conftest import (
    Finished,
    mails,
    make_finished,
    message,
    survey_token,
    text_of,
)
from vekl.errors import Conflict, InvalidInput
from vekl.feedback import errors
from vekl.feedback import service as feedback
from vekl.jobs.worker import Worker
from vekl.settings import Settings
from vekl.store.models import Round, SurveyAnswer, SurveyInvitation

GOOD = {
    "satisfaction": "4",
    "met_someone_new": "yes",
    "would_recommend": "yes",
    "stay_in_touch": "no",
}


def _count(db: Session, model: type) -> int:
    return int(db.scalar(select(func.count()).select_from(model)) or 0)


def test_each_placed_member_and_the_moderator_are_invited_once(
    db: Session, finished: Finished, settings: Settings
) -> None:
    sent = feedback.send_invitations(db, finished.round, settings, finished.now)
    assert (sent.participants, sent.moderators) == (len(finished.members), 1)
    again = feedback.send_invitations(
        db, finished.round, settings, finished.now + timedelta(days=1)
    )
    assert again.total == 0
    rows = mails(db, "survey")
    assert len(rows) == len(finished.members) + 1
    assert len({row.recipient for row in rows}) == len(rows)
    assert _count(db, SurveyInvitation) == len(rows)
    status = feedback.status(db, finished.round, settings, finished.now)
    assert status.invited == {"citizen": 4, "newcomer": 4, "moderator": 1}
    assert status.due == 0 and status.answered == {}


def test_nobody_is_invited_before_the_last_evening_is_over(
    db: Session, finished: Finished, settings: Settings
) -> None:
    early = finished.now - timedelta(hours=2)
    assert feedback.send_invitations(db, finished.round, settings, early).total == 0
    assert feedback.status(db, finished.round, settings, early).due == 0
    assert feedback.status(db, finished.round, settings, finished.now).due == 9


def test_the_invitation_is_in_each_persons_language_with_a_single_use_link(
    db: Session, finished: Finished, settings: Settings
) -> None:
    feedback.send_invitations(db, finished.round, settings, finished.now)
    subjects = {row.recipient: str(message(row)["Subject"]) for row in mails(db, "survey")}
    by_language = {p.preferred_language: subjects[p.email] for p in finished.members}
    assert by_language == {
        "de": "Wie waren Ihre Abende?",
        "ar": "كيف كانت أمسياتكم؟",
        "uk": "Як минули Ваші вечори?",
        "en": "How were your evenings?",
    }
    assert subjects[finished.moderator.email] == "Wie war das Moderieren?"
    first = mails(db, "survey")[0]
    assert "/survey/" in text_of(first) and "/contacts" in text_of(first)
    tokens = {survey_token(row) for row in mails(db, "survey")}
    assert len(tokens) == 9
    # Only the hash is stored.
    stored = set(db.scalars(select(SurveyInvitation.token_hash)))
    assert not tokens & stored


def _invited(db: Session, finished: Finished, settings: Settings) -> dict[str, str]:
    feedback.send_invitations(db, finished.round, settings, finished.now)
    db.commit()
    return {row.recipient: survey_token(row) for row in mails(db, "survey")}


def test_an_answer_is_stored_and_the_link_spent(
    db: Session, finished: Finished, settings: Settings
) -> None:
    links = _invited(db, finished, settings)
    person = finished.members[5]
    survey = feedback.survey(db, links[person.email], finished.now)
    assert not survey.for_moderator and survey.language == "ar"
    feedback.answer(
        db, links[person.email], {**GOOD, "comment": " Schön! "}, settings, finished.now
    )
    answer = db.scalars(select(SurveyAnswer)).one()
    assert (answer.respondent, answer.satisfaction, answer.comment) == ("newcomer", 4, "Schön!")
    assert (answer.met_someone_new, answer.would_recommend, answer.stay_in_touch) == (
        True,
        True,
        False,
    )
    assert answer.answered_on == finished.now.astimezone(settings.zone).date()
    mine = db.scalars(
        select(SurveyInvitation).where(SurveyInvitation.participant_id == person.id)
    ).one()
    assert mine.answered and mine.token_hash is None
    others = db.scalars(select(SurveyInvitation).where(SurveyInvitation.id != mine.id)).all()
    assert not any(i.answered for i in others) and all(i.token_hash for i in others)


def test_a_link_used_twice_is_refused_and_changes_nothing(
    db: Session, finished: Finished, settings: Settings
) -> None:
    links = _invited(db, finished, settings)
    token = links[finished.members[0].email]
    feedback.answer(db, token, GOOD, settings, finished.now)
    db.commit()
    with pytest.raises(Conflict) as refused:
        feedback.answer(db, token, {**GOOD, "satisfaction": "1"}, settings, finished.now)
    assert refused.value.message == errors.SURVEY_LINK_SPENT
    with pytest.raises(Conflict):
        feedback.survey(db, token, finished.now)
    db.rollback()
    assert [a.satisfaction for a in db.scalars(select(SurveyAnswer))] == [4]


def test_a_survey_answered_after_it_closed_stores_nothing(
    db: Session, finished: Finished, settings: Settings
) -> None:
    links = _invited(db, finished, settings)
    token = links[finished.members[1].email]
    late = finished.now + timedelta(days=settings.survey_close_days)
    with pytest.raises(Conflict) as refused:
        feedback.answer(db, token, GOOD, settings, late)
    assert refused.value.message == errors.SURVEY_CLOSED
    db.rollback()
    assert _count(db, SurveyAnswer) == 0
    assert not any(db.scalars(select(SurveyInvitation.answered)))
    # Just before it closes, the same link still works.
    feedback.answer(db, token, GOOD, settings, late - timedelta(hours=2))
    assert _count(db, SurveyAnswer) == 1


def test_missing_answers_are_named_by_field_and_nothing_is_stored(
    db: Session, finished: Finished, settings: Settings
) -> None:
    links = _invited(db, finished, settings)
    token = links[finished.members[2].email]
    with pytest.raises(InvalidInput) as refused:
        feedback.answer(
            db,
            token,
            {"satisfaction": "7", "met_someone_new": "yes", "comment": "x" * 1001},
            settings,
            finished.now,
        )
    assert {e.field for e in refused.value.errors} == {
        "satisfaction",
        "would_recommend",
        "stay_in_touch",
        "comment",
    }
    db.rollback()
    assert _count(db, SurveyAnswer) == 0
    feedback.survey(db, token, finished.now)  # the link still works


def test_the_moderator_answers_their_own_questions(
    db: Session, finished: Finished, settings: Settings
) -> None:
    links = _invited(db, finished, settings)
    token = links[finished.moderator.email]
    assert feedback.survey(db, token, finished.now).for_moderator
    with pytest.raises(InvalidInput) as refused:
        feedback.answer(db, token, GOOD, settings, finished.now)
    assert {e.field for e in refused.value.errors} == {"group_talked_freely", "moderate_again"}
    feedback.answer(
        db,
        token,
        {"satisfaction": "5", "group_talked_freely": "yes", "moderate_again": "no"},
        settings,
        finished.now,
    )
    answer = db.scalars(select(SurveyAnswer)).one()
    assert (answer.respondent, answer.group_talked_freely, answer.moderate_again) == (
        "moderator",
        True,
        False,
    )
    assert answer.met_someone_new is None


def test_the_figures_count_answers_without_naming_anyone(
    db: Session, finished: Finished, settings: Settings
) -> None:
    links = _invited(db, finished, settings)
    for n, person in enumerate(finished.members[:5]):
        feedback.answer(
            db,
            links[person.email],
            {**GOOD, "satisfaction": str(n + 1), "met_someone_new": "no" if n else "yes"},
            settings,
            finished.now,
        )
    figures = feedback.aggregates(db, finished.round)
    assert figures["answers"] == 5
    assert figures["answers_by_role"] == {"citizen": 4, "newcomer": 1}
    assert figures["satisfaction"] == {"1": 1, "2": 1, "3": 1, "4": 1, "5": 1}
    assert figures["met_someone_new"] == {"yes": 1, "no": 4}
    assert figures["would_recommend"] == {"yes": 5, "no": 0}
    assert figures["moderator_answers"] == 0
    text = repr(figures)
    assert not any(p.first_name in text or p.email in text for p in finished.members)


def test_the_worker_sends_the_invitations_itself_only_when_told_to(
    db: Session, finished: Finished, settings: Settings, tmp_path: Path
) -> None:
    sessions = sessionmaker(bind=db.connection(), join_transaction_mode="create_savepoint")
    for automatic, expected in ((False, 0), (True, 9)):
        config = settings.model_copy(update={"survey_autosend": automatic, "mail_dir": tmp_path})
        Worker(sessions, config, name="test").send_mail()
        assert len(mails(db, "survey")) == expected


def test_two_answers_racing_with_one_link_store_one(engine: Engine, settings: Settings) -> None:
    """Two requests with the same link at the same moment: one answer, one clear refusal."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite lets one writer in at a time; PostgreSQL decides on the row lock")
    with Session(engine) as setup:
        finished = make_finished(setup, slug="survey-race")
        round_id = finished.round.id
        feedback.send_invitations(setup, finished.round, settings, finished.now)
        setup.commit()
        token = survey_token(mails(setup, "survey")[0])
        now = finished.now
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt() -> None:
        with Session(engine) as session:
            barrier.wait()
            try:
                feedback.answer(session, token, GOOD, settings, now)
                session.commit()
                outcomes.append("stored")
            except Conflict as exc:
                session.rollback()
                outcomes.append(exc.message)

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert sorted(outcomes) == sorted(["stored", errors.SURVEY_LINK_SPENT])
        with Session(engine) as check:
            stored = check.scalar(
                select(func.count())
                .select_from(SurveyAnswer)
                .where(SurveyAnswer.round_id == round_id)
            )
        assert stored == 1
    finally:
        with Session(engine) as cleanup:
            cleanup.execute(delete(Round).where(Round.id == round_id))
            cleanup.commit()
