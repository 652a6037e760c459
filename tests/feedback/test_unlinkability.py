"""No query can link an answer back to the person who gave it.

The answer table is checked column by column, every other table for anything that could join
it, the database for the answer's key anywhere else, the row versions PostgreSQL keeps
(``xmin``) for a shared transaction, and the order of the rows for the order of answering.
Answering may change the answer table and the invitations, and no other table.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from sqlalchemy import JSON, Date, LargeBinary, String, Text, inspect, select, text
from sqlalchemy.orm import Session

from tests.feedback.conftest import Finished, mails, survey_token
from vekl.feedback import service as feedback
from vekl.settings import Settings
from vekl.store.base import Base
from vekl.store.models import SurveyAnswer, SurveyInvitation

GOOD = {
    "satisfaction": "3",
    "met_someone_new": "yes",
    "would_recommend": "no",
    "stay_in_touch": "yes",
}
# What an answer row may carry (docs/adr/0021-anonymous-feedback.md): the round, the kind of
# respondent, the day, the answers. Anything added here needs a reason in the ADR.
ALLOWED = {
    "id",
    "round_id",
    "respondent",
    "answered_on",
    "satisfaction",
    "met_someone_new",
    "would_recommend",
    "stay_in_touch",
    "group_talked_freely",
    "moderate_again",
    "comment",
}


def _answer_all(db: Session, finished: Finished, settings: Settings) -> list[str]:
    """Every invited person answers, one transaction each; returns the answers' keys in the
    order they were given (which only the test can know)."""
    feedback.send_invitations(db, finished.round, settings, finished.now)
    db.commit()
    order: list[str] = []
    for row in reversed(mails(db, "survey")):  # another order than the invitations'
        form = (
            {"satisfaction": "4", "group_talked_freely": "yes", "moderate_again": "yes"}
            if row.moderator_id
            else GOOD
        )
        feedback.answer(db, survey_token(row), form, settings, finished.now)
        db.commit()
        order += sorted(set(db.scalars(select(SurveyAnswer.id))) - set(order))
    return order


def test_the_answer_table_holds_only_what_the_adr_allows() -> None:
    table = Base.metadata.tables["survey_answers"]
    assert {c.name for c in table.columns} == ALLOWED
    assert {fk.column.table.name for fk in table.foreign_keys} == {"rounds"}
    # The day, not the time.
    assert isinstance(table.c.answered_on.type, Date)
    # A random key, not a counter.
    assert isinstance(table.c.id.type, String) and table.c.id.autoincrement is not True


def test_no_table_refers_to_the_answers_and_the_invitation_does_not_refer_to_them_either() -> None:
    for table in Base.metadata.sorted_tables:
        targets = {fk.column.table.name for fk in table.foreign_keys}
        assert "survey_answers" not in targets, table.name
    invitation = Base.metadata.tables["survey_invitations"]
    assert {c.name for c in invitation.columns} == {
        "id",
        "round_id",
        "participant_id",
        "moderator_id",
        "token_hash",
        "answered",
        "closes_at",
    }


def test_the_database_has_the_schema_the_models_describe(db: Session) -> None:
    columns = {c["name"] for c in inspect(db.get_bind()).get_columns("survey_answers")}
    assert columns == ALLOWED
    keys = inspect(db.get_bind()).get_foreign_keys("survey_answers")
    assert {k["referred_table"] for k in keys} == {"rounds"}


def _stored_values(db: Session, skip: str) -> list[tuple[str, str, Any]]:
    out: list[tuple[str, str, Any]] = []
    for table in Base.metadata.sorted_tables:
        if table.name == skip:
            continue
        for row in db.execute(select(*table.columns)):
            for column, value in zip(table.columns, row, strict=True):
                if value is None:
                    continue
                if isinstance(column.type, (String, Text, JSON, LargeBinary)):
                    shown = (
                        value.decode("utf-8", "replace")
                        if isinstance(value, bytes)
                        else json.dumps(value)
                        if isinstance(value, (dict, list))
                        else str(value)
                    )
                    out.append((table.name, column.name, shown))
                elif isinstance(value, date):
                    out.append((table.name, column.name, value))
    return out


def test_no_other_row_holds_an_answers_key_and_no_person_row_its_day(
    db: Session, finished: Finished, settings: Settings
) -> None:
    _answer_all(db, finished, settings)
    keys = set(db.scalars(select(SurveyAnswer.id)))
    assert len(keys) == 9
    stored = _stored_values(db, skip="survey_answers")
    assert [s for s in stored if any(k in str(s[2]) for k in keys)] == []
    # The invitation keeps no time of answering; the day is nowhere else but in the answer.
    days = set(db.scalars(select(SurveyAnswer.answered_on)))
    assert [s for s in stored if s[2] in days] == []


def test_answering_changes_no_table_but_the_answers_and_the_invitations(
    db: Session, finished: Finished, settings: Settings
) -> None:
    feedback.send_invitations(db, finished.round, settings, finished.now)
    db.commit()
    token = survey_token(mails(db, "survey")[0])

    def snapshot() -> dict[str, list[tuple[Any, ...]]]:
        return {
            t.name: sorted(map(tuple, db.execute(select(*t.columns))), key=repr)
            for t in Base.metadata.sorted_tables
            if t.name not in ("survey_answers", "survey_invitations")
        }

    before = snapshot()
    feedback.answer(db, token, GOOD, settings, finished.now)
    db.commit()
    assert snapshot() == before


def test_neither_the_keys_nor_the_rows_order_follow_the_order_of_answering(
    db: Session, finished: Finished, settings: Settings
) -> None:
    order = _answer_all(db, finished, settings)
    assert len(order) == 9 and all(len(key) == 32 for key in order)
    # Random keys: sorted, they come out in another order than the answers came in (the
    # chance that nine random keys happen to be in order is 1 in 362,880).
    assert sorted(order) != order
    if db.get_bind().dialect.name == "sqlite":
        # No rowid: the rows are kept in the order of their random keys, and a query
        # without ORDER BY lists them so.
        ddl = db.scalar(text("SELECT sql FROM sqlite_master WHERE name = 'survey_answers'"))
        assert "WITHOUT ROWID" in str(ddl).upper()
        listed = list(db.scalars(text("SELECT id FROM survey_answers")))
        assert listed == sorted(order) != order
        with pytest.raises(Exception, match="rowid"):
            db.execute(text("SELECT rowid FROM survey_answers"))


def test_postgresql_row_versions_do_not_tie_an_answer_to_an_invitation(
    db: Session, finished: Finished, settings: Settings
) -> None:
    """Each answer is written in its own transaction, together with its invitation. Unless
    every invitation of the round is written again in it, ``xmin`` joins the two."""
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("row versions with a transaction id are PostgreSQL's")
    _answer_all(db, finished, settings)
    answers = [str(x) for x in db.scalars(text("SELECT xmin::text FROM survey_answers"))]
    invitations = [str(x) for x in db.scalars(text("SELECT xmin::text FROM survey_invitations"))]
    assert len(answers) == 9 and len(invitations) == 9
    for version in answers:
        alike = invitations.count(version)
        assert alike in (0, len(invitations)), (
            "an answer shares its transaction with one invitation"
        )
    db.rollback()


def test_the_person_record_says_only_answered(
    db: Session, finished: Finished, settings: Settings
) -> None:
    _answer_all(db, finished, settings)
    for invitation in db.scalars(select(SurveyInvitation)):
        assert invitation.answered and invitation.token_hash is None
