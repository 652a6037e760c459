"""A round's names in the reader's language: pages, personal pages, mails and calendar files.

Round names, series labels and venue names are entered in German and, where the organisers
give them, in English, Arabic and Ukrainian (the example round has all four); a language
without one shows the German.
"""

from __future__ import annotations

from email.message import EmailMessage

from fastapi.testclient import TestClient
from icalendar import Calendar
from sqlalchemy import select
from sqlalchemy.orm import Session

from vekl.mail import planner as notify
from vekl.settings import Settings
from vekl.store.models import Participant, RegistrationStatus, Round, Series

from .conftest import link_in, mails, make_round, newcomer_form, text_of, token_of
from .published import publish_group

MONDAYS_AR = "أمسيات الاثنين"
MONDAYS_UK = "Вечори понеділка"
VENUE_UK = "Культурний центр біля собору, семінарські кімнати"
ROUND_UK = "Von/Einander/Kennen/Lernen – Констанц, травень"
ROUND_AR = "Von/Einander/Kennen/Lernen – كونستانس، مايو"


def test_the_registration_form_in_arabic_shows_the_arabic_names(
    client: TestClient, open_round: Round
) -> None:
    arabic = client.get("/?lang=ar").text
    assert MONDAYS_AR in arabic and ROUND_AR in arabic
    assert "المركز الثقافي بجوار الكاتدرائية" in arabic
    assert "Montagabende" not in arabic and "Kulturzentrum am Münster" not in arabic
    german = client.get("/?lang=de").text
    assert "Montagabende" in german and MONDAYS_AR not in german
    assert "Вечори середи" in client.get("/?lang=uk").text


def test_a_name_without_a_translation_is_shown_in_german(client: TestClient, db: Session) -> None:
    round = make_round(db, name_translations={"en": "Only in English"})
    monday = db.scalars(
        select(Series).where(Series.round_id == round.id, Series.key == "mon")
    ).one()
    monday.label_translations = {"en": "Mondays"}
    db.commit()
    arabic = client.get("/?lang=ar").text
    assert round.name in arabic and "Montagabende" in arabic and MONDAYS_AR not in arabic
    english = client.get("/?lang=en").text
    assert "Only in English" in english and "Mondays" in english


def _registered(client: TestClient, db: Session) -> tuple[Participant, str]:
    """A confirmed newcomer who reads Ukrainian, and the path of their personal page."""
    client.post("/rounds/konstanz-mai/register", data=newcomer_form(preferred_language="uk"))
    confirm = link_in(mails(db, "registration_confirmation")[-1])
    client.post(confirm)
    person = db.scalars(select(Participant).order_by(Participant.id.desc())).first()
    assert person is not None and person.status is RegistrationStatus.CONFIRMED
    return person, confirm.removesuffix("/confirm")


def _unfolded(raw: bytes) -> str:
    return raw.decode().replace("\r\n ", "").replace("\\,", ",")


def _calendar_of(message: EmailMessage) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return _unfolded(payload)
    raise AssertionError("no calendar in the mail")


def test_mails_and_calendars_in_ukrainian_use_the_ukrainian_names(
    client: TestClient, db: Session, open_round: Round, settings: Settings
) -> None:
    person, page_path = _registered(client, db)
    publish_group(db, open_round, [person])
    notify.resync_round(db, open_round, settings=settings)
    db.commit()

    invitation = mails(db, "invitation", to=person.email)[0]
    assert MONDAYS_UK in str(invitation["subject"])
    body = text_of(invitation)
    assert MONDAYS_UK in body and VENUE_UK in body and "Montagabende" not in body
    calendar = _calendar_of(invitation)
    assert MONDAYS_UK in calendar and VENUE_UK in calendar
    assert "Montagabende" not in calendar and "Kulturzentrum" not in calendar

    token = token_of(page_path)
    page = client.get(f"{page_path}?lang=uk").text
    assert MONDAYS_UK in page and ROUND_UK in page and VENUE_UK in page
    feed = _unfolded(client.get(f"/me/{token}/calendar.ics").content)
    events = Calendar.from_ical(client.get(f"/me/{token}/calendar.ics").content).walk("VEVENT")
    assert events and all(MONDAYS_UK in str(e["SUMMARY"]) for e in events)
    assert VENUE_UK in feed and "Montagabende" not in feed


def test_a_withdrawal_is_confirmed_with_the_rounds_ukrainian_name(
    client: TestClient, db: Session, open_round: Round
) -> None:
    person, page_path = _registered(client, db)
    client.post(f"/me/{token_of(page_path)}/withdraw")
    confirmation = mails(db, "withdrawal_confirmed", to=person.email)
    assert confirmation, [m["subject"] for m in mails(db, to=person.email)]
    assert ROUND_UK in str(confirmation[-1]["subject"])
    assert ROUND_UK in text_of(confirmation[-1])
