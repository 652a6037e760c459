"""The survey, contacts and news pages: what people see, and that a refused action changes
nothing."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.feedback.conftest import Finished, contacts_token, mails, text_of
from vekl.feedback import service as feedback
from vekl.settings import Settings
from vekl.store.models import ContactChoice, NewsSubscriber, SurveyAnswer, SurveyInvitation

GOOD = {
    "satisfaction": "2",
    "met_someone_new": "yes",
    "would_recommend": "no",
    "stay_in_touch": "yes",
}


def _answers(db: Session) -> int:
    return int(db.scalar(select(func.count()).select_from(SurveyAnswer)) or 0)


def _invite(db: Session, finished: Finished, settings: Settings) -> dict[str, str]:
    # The pages use the clock: the fixture's evenings ended yesterday.
    feedback.send_invitations(db, finished.round, settings, datetime.now(UTC))
    db.commit()
    return {row.recipient: text_of(row) for row in mails(db, "survey")}


def _survey_path(text: str) -> str:
    found = re.search(r"https://vekl\.example(/survey/[A-Za-z0-9_-]{43}\?lang=\w+)", text)
    assert found, text
    return found.group(1)


def test_the_survey_in_the_persons_language_then_thanks_then_the_link_is_spent(
    db: Session, finished: Finished, settings: Settings, client: TestClient
) -> None:
    texts = _invite(db, finished, settings)
    path = _survey_path(texts[finished.members[5].email])  # reads Arabic
    assert path.endswith("?lang=ar")
    page = client.get(path)
    assert page.status_code == 200
    assert 'dir="rtl"' in page.text and "ما مدى رضاكم عن الأمسيات؟" in page.text
    answered = client.post(path, data=GOOD)
    assert answered.status_code == 303 and answered.headers["location"] == "/survey-done?lang=ar"
    assert "تم حفظ إجاباتكم دون اسمكم" in client.get(answered.headers["location"]).text
    assert _answers(db) == 1
    again = client.post(path.replace("lang=ar", "lang=de"), data={**GOOD, "satisfaction": "5"})
    assert again.status_code == 409
    assert "Dieser Umfrage-Link wurde schon benutzt" in again.text
    assert client.get(path).status_code == 409
    assert [a.satisfaction for a in db.scalars(select(SurveyAnswer))] == [2]


def test_missing_answers_are_named_in_german_and_nothing_is_stored(
    db: Session, finished: Finished, settings: Settings, client: TestClient
) -> None:
    path = _survey_path(_invite(db, finished, settings)[finished.members[1].email])
    refused = client.post(path, data={"met_someone_new": "yes", "comment": "Toll"})
    assert refused.status_code == 422
    assert "Bitte wählen Sie, wie zufrieden Sie waren, von 1 bis 5." in refused.text
    assert refused.text.count("Bitte antworten Sie mit Ja oder Nein.") >= 2
    assert 'href="#field-would_recommend"' in refused.text
    # What was typed is kept in the form.
    assert ">Toll</textarea>" in refused.text and 'value="yes" checked' in refused.text
    assert _answers(db) == 0
    assert client.get(path).status_code == 200


def test_a_closed_survey_says_so_and_stores_nothing(
    db: Session, finished: Finished, settings: Settings, client: TestClient
) -> None:
    path = _survey_path(_invite(db, finished, settings)[finished.members[2].email])
    for invitation in db.scalars(select(SurveyInvitation)):
        invitation.closes_at = datetime.now(UTC) - timedelta(minutes=1)
    db.commit()
    refused = client.post(path, data=GOOD)
    assert refused.status_code == 409
    assert "Diese Umfrage ist beendet, deshalb wurde nichts gespeichert." in refused.text
    assert _answers(db) == 0


def test_the_moderator_gets_their_own_questions(
    db: Session, finished: Finished, settings: Settings, client: TestClient
) -> None:
    path = _survey_path(_invite(db, finished, settings)[finished.moderator.email])
    page = client.get(path)
    assert "Würden Sie wieder moderieren?" in page.text
    assert "weiterempfehlen" not in page.text


def test_choosing_contacts_and_the_news_on_the_personal_page(
    db: Session, finished: Finished, settings: Settings, client: TestClient
) -> None:
    _invite(db, finished, settings)
    rows = {row.recipient: row for row in mails(db, "survey")}
    one, other = finished.members[1], finished.members[7]
    token = contacts_token(rows[one.email])
    page = client.get(f"/me/{token}/contacts?lang=de")
    assert page.status_code == 200
    assert "Anna K." in page.text and "Anna S." in page.text
    saved = client.post(
        f"/me/{token}/contacts?lang=de", data={"members": [str(other.id)], "news": "yes"}
    )
    assert saved.status_code == 303
    assert "Gespeichert." in client.get(saved.headers["location"]).text
    assert db.scalar(select(func.count()).select_from(ContactChoice)) == 1
    assert db.scalar(select(func.count()).select_from(NewsSubscriber)) == 1
    # Somebody outside the group: refused with the field named, nothing changed.
    refused = client.post(f"/me/{token}/contacts?lang=de", data={"members": ["999999"]})
    assert refused.status_code == 422
    assert "Bitte wählen Sie nur Mitglieder Ihrer Gruppe." in refused.text
    assert db.scalar(select(func.count()).select_from(ContactChoice)) == 1
    assert db.scalar(select(func.count()).select_from(NewsSubscriber)) == 1


def test_the_withdraw_link_asks_then_ends_the_news_without_a_login(
    db: Session, finished: Finished, settings: Settings, client: TestClient
) -> None:
    _invite(db, finished, settings)
    rows = {row.recipient: row for row in mails(db, "survey")}
    person = finished.members[6]
    token = contacts_token(rows[person.email])
    client.post(f"/me/{token}/contacts?lang=uk", data={"news": "yes"})
    (confirmation,) = mails(db, "news")
    found = re.search(r"https://vekl\.example(/news/[A-Za-z0-9_-]{43})", text_of(confirmation))
    assert found
    fresh = TestClient(client.app, base_url="https://vekl.example", follow_redirects=False)
    asked = fresh.get(found.group(1) + "?lang=uk")
    assert asked.status_code == 200 and "Припинити листи про наступні раунди?" in asked.text
    assert db.scalar(select(func.count()).select_from(NewsSubscriber)) == 1
    ended = fresh.post(found.group(1) + "?lang=uk")
    assert ended.status_code == 200 and "Ми видалили Вашу адресу" in ended.text
    assert db.scalar(select(func.count()).select_from(NewsSubscriber)) == 0
    again = fresh.post(found.group(1) + "?lang=de")
    assert again.status_code == 409 and "Dieser Link ist nicht mehr gültig" in again.text
