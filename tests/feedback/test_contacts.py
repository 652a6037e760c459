"""Staying in touch only when both want it; the news opt-in that outlives the purge."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.feedback.conftest import Finished, mails, message, survey_token, text_of
from vekl.access import tokens
from vekl.errors import Conflict, InvalidInput
from vekl.feedback import contacts, news
from vekl.feedback import service as feedback
from vekl.registration import self_service
from vekl.retention import service as retention
from vekl.settings import Settings
from vekl.store.models import (
    ContactChoice,
    NewsSubscriber,
    Participant,
    RoundStatistics,
    SurveyAnswer,
    SurveyInvitation,
)


def _link(db: Session, person: Participant, settings: Settings) -> str:
    token = tokens.link_token(person, settings.secret_key)
    db.flush()
    return token


def _choose(
    db: Session,
    finished: Finished,
    settings: Settings,
    who: Participant,
    whom: list[Participant],
    *,
    subscribe: bool = False,
) -> int:
    return contacts.choose(
        db,
        settings,
        _link(db, who, settings),
        [str(p.id) for p in whom],
        subscribe=subscribe,
        now=finished.now,
    )


def test_namesakes_are_told_apart_and_nobody_sees_who_chose_them(
    db: Session, finished: Finished, settings: Settings
) -> None:
    anna_k, tobias, anna_s = finished.members[0], finished.members[1], finished.members[4]
    page = contacts.page(db, settings, _link(db, tobias, settings), finished.now)
    names = [m.name for m in page.members]
    assert "Anna K." in names and "Anna S." in names and tobias.first_name not in names
    assert page.open and len(names) == len(finished.members) - 1
    _choose(db, finished, settings, anna_k, [tobias])
    seen_by_tobias = contacts.page(db, settings, _link(db, tobias, settings), finished.now)
    assert not any(m.chosen for m in seen_by_tobias.members)
    seen_by_anna = contacts.page(db, settings, _link(db, anna_k, settings), finished.now)
    assert [m.name for m in seen_by_anna.members if m.chosen] == [tobias.first_name]
    assert anna_s.id not in {c.chosen_id for c in db.scalars(select(ContactChoice))}


def test_a_choice_that_is_not_returned_sends_nothing(
    db: Session, finished: Finished, settings: Settings
) -> None:
    one, other, third = finished.members[1], finished.members[5], finished.members[6]
    assert _choose(db, finished, settings, one, [other]) == 0
    assert _choose(db, finished, settings, third, [one]) == 0
    assert mails(db, "stay_in_touch") == []


def test_a_mutual_choice_introduces_the_two_once_each_in_their_language(
    db: Session, finished: Finished, settings: Settings
) -> None:
    citizen, newcomer = finished.members[1], finished.members[5]  # de, ar
    assert _choose(db, finished, settings, citizen, [newcomer]) == 0
    assert _choose(db, finished, settings, newcomer, [citizen]) == 1
    sent = {row.recipient: row for row in mails(db, "stay_in_touch")}
    assert set(sent) == {citizen.email, newcomer.email}
    to_citizen, to_newcomer = text_of(sent[citizen.email]), text_of(sent[newcomer.email])
    assert newcomer.email in to_citizen and citizen.email not in to_citizen
    assert citizen.email in to_newcomer and newcomer.email not in to_newcomer
    assert str(message(sent[citizen.email])["Subject"]).endswith(
        "möchte auch mit Ihnen in Kontakt bleiben"
    )
    assert "يودّ أيضًا البقاء على تواصل معكم" in str(message(sent[newcomer.email])["Subject"])
    # Saying it again, or again from the other side, introduces nobody a second time.
    assert _choose(db, finished, settings, citizen, [newcomer]) == 0
    assert _choose(db, finished, settings, newcomer, [citizen]) == 0
    assert len(mails(db, "stay_in_touch")) == 2
    assert contacts.mutual_pairs(db, finished.round) == {
        "mutual_pairs": 1,
        "citizen_newcomer_pairs": 1,
    }


def test_only_members_of_ones_group_can_be_chosen_and_a_refusal_changes_nothing(
    db: Session, finished: Finished, settings: Settings
) -> None:
    one = finished.members[2]
    stranger = db.scalars(
        select(Participant).where(
            Participant.round_id == finished.round.id,
            Participant.id.not_in([p.id for p in finished.members]),
        )
    ).first()
    assert stranger is not None
    with pytest.raises(InvalidInput) as refused:
        _choose(db, finished, settings, one, [finished.members[3], stranger])
    assert [e.field for e in refused.value.errors] == ["members"]
    with pytest.raises(InvalidInput):
        _choose(db, finished, settings, one, [one])
    assert db.scalar(select(func.count()).select_from(ContactChoice)) == 0


def test_choices_wait_for_the_last_evening_and_end_with_the_survey(
    db: Session, finished: Finished, settings: Settings
) -> None:
    one, other = finished.members[2], finished.members[3]
    token = _link(db, one, settings)
    last_start = max(e.starts_at for e in finished.group.series.evenings)
    for moment in (last_start - timedelta(minutes=1), finished.now + timedelta(days=30)):
        assert not contacts.page(db, settings, token, moment).open
        with pytest.raises(Conflict):
            contacts.choose(db, settings, token, [str(other.id)], subscribe=False, now=moment)
    assert contacts.page(db, settings, token, last_start).open


def test_the_news_opt_in_keeps_only_address_and_language_and_the_mail_can_end_it(
    db: Session, finished: Finished, settings: Settings
) -> None:
    person = finished.members[6]  # reads Ukrainian
    _choose(db, finished, settings, person, [], subscribe=True)
    row = db.scalars(select(NewsSubscriber)).one()
    assert (row.email, row.language) == (person.email.lower(), "uk")
    assert {c.name for c in NewsSubscriber.__table__.columns} == {
        "id",
        "email",
        "language",
        "token_hash",
    }
    (confirmation,) = mails(db, "news")
    found = re.search(r"/news/([A-Za-z0-9_-]{43})", text_of(confirmation))
    assert found and found.group(1) != row.token_hash
    assert news.withdraw_url(settings, person.email).endswith(found.group(1))
    # Ticking it again sends no second mail.
    _choose(db, finished, settings, person, [], subscribe=True)
    assert len(mails(db, "news")) == 1
    assert news.withdraw(db, found.group(1)) == "uk"
    assert db.scalar(select(func.count()).select_from(NewsSubscriber)) == 0
    with pytest.raises(Conflict):
        news.withdraw(db, found.group(1))


def test_the_purge_keeps_the_figures_and_the_opt_in_and_deletes_every_choice(
    db: Session, finished: Finished, settings: Settings
) -> None:
    round = finished.round
    a, b, c = finished.members[1], finished.members[5], finished.members[2]
    _choose(db, finished, settings, a, [b], subscribe=True)
    _choose(db, finished, settings, b, [a])
    _choose(db, finished, settings, c, [a])  # not returned
    feedback.send_invitations(db, round, settings, finished.now)
    invitation = next(row for row in mails(db, "survey") if row.participant_id == c.id)
    feedback.answer(
        db,
        survey_token(invitation),
        {
            "satisfaction": "5",
            "met_someone_new": "yes",
            "would_recommend": "yes",
            "stay_in_touch": "yes",
            "comment": f"Danke an {a.first_name}!",
        },
        settings,
        finished.now,
    )
    before = feedback.aggregates(db, round)
    address = a.email.lower()
    last = retention.last_evening(db, round)
    assert last is not None
    due = last + timedelta(days=round.retention_days, minutes=1)
    retention.purge_round(db, round, actor="test", now=due)
    assert db.scalar(select(func.count()).select_from(ContactChoice)) == 0
    assert db.scalar(select(func.count()).select_from(SurveyInvitation)) == 0
    answer = db.scalars(select(SurveyAnswer)).one()
    assert answer.comment is None and answer.satisfaction == 5
    subscriber = db.scalars(select(NewsSubscriber)).one()
    assert subscriber.email == address
    db.refresh(round)
    after = feedback.aggregates(db, round)
    assert after == before
    assert after["mutual_pairs"] == 1 and after["citizen_newcomer_pairs"] == 1
    kept = db.get(RoundStatistics, round.id)
    assert kept is not None and kept.data["feedback"] == before


def test_the_persons_data_export_shows_their_choices_and_deleting_takes_them_along(
    db: Session, finished: Finished, settings: Settings
) -> None:
    one, other = finished.members[1], finished.members[2]
    _choose(db, finished, settings, one, [other], subscribe=True)
    _choose(db, finished, settings, other, [one])
    feedback.send_invitations(db, finished.round, settings, finished.now)
    invitation = next(row for row in mails(db, "survey") if row.participant_id == one.id)
    feedback.answer(
        db,
        survey_token(invitation),
        {"satisfaction": "4", "met_someone_new": "yes", "would_recommend": "yes"}
        | {"stay_in_touch": "yes"},
        settings,
        finished.now,
    )
    token = _link(db, one, settings)
    exported = self_service.export(db, token)["feedback"]
    assert exported == {
        "survey_invited": True,
        "survey_answered": True,
        "stay_in_touch_with": [other.first_name],
        "news_about_later_rounds": {"email": one.email.lower(), "language": "de"},
    }
    # What they answered is not theirs to export: it is stored without them.
    assert "satisfaction" not in repr(exported)
    self_service.delete(db, settings, token)
    assert db.scalar(select(func.count()).select_from(NewsSubscriber)) == 0
    assert db.scalar(select(func.count()).select_from(ContactChoice)) == 0
    assert db.scalar(select(func.count()).select_from(SurveyAnswer)) == 1
