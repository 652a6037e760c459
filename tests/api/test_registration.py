"""Registering on the web form: languages, double opt-in, letter codes, duplicates, bots."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vekl.registration import letter_codes
from vekl.store.models import (
    AuditEntry,
    InvitationCode,
    Participant,
    RegistrationStatus,
    Role,
    Round,
    RoundStatus,
)

from .conftest import citizen_form, link_in, mails, make_round, newcomer_form, settle, text_of


def _people(db: Session) -> list[Participant]:
    return list(db.scalars(select(Participant).order_by(Participant.id)))


def test_the_form_is_served_in_the_chosen_language_and_direction(
    client: TestClient, open_round: Round
) -> None:
    page = client.get("/", headers={"Accept-Language": "uk-UA,uk;q=0.9,en;q=0.5"})
    assert page.status_code == 200
    assert '<html lang="uk" dir="ltr">' in page.text
    arabic = client.get("/?lang=ar")
    assert '<html lang="ar" dir="rtl">' in arabic.text
    cookie = arabic.headers["set-cookie"]
    assert "vekl_lang=ar" in cookie
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" in cookie
    # The cookie now wins over Accept-Language.
    again = client.get("/", headers={"Accept-Language": "de"})
    assert '<html lang="ar" dir="rtl">' in again.text
    english = client.get("/?lang=en")
    assert '<html lang="en" dir="ltr">' in english.text
    for key in ("mon", "wed", "sat"):
        assert f'value="{key}"' in english.text
    assert 'list="all-languages"' in english.text
    assert '<option value="Swahili">sw</option>' in english.text
    assert "Paradies" in english.text and 'name="website"' in english.text


def test_a_code_in_the_link_is_filled_in(client: TestClient, open_round: Round) -> None:
    page = client.get("/?code=K7QX-M3PD-W9TA")
    assert 'value="K7QX-M3PD-W9TA"' in page.text
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"


def test_a_friendly_page_when_no_round_is_open(client: TestClient, db: Session) -> None:
    page = client.get("/?lang=de")
    assert page.status_code == 200
    assert '<html lang="de" dir="ltr">' in page.text
    assert "Im Moment ist keine Anmeldung möglich" in page.text
    ukrainian = client.get("/?lang=uk")
    assert '<html lang="uk" dir="ltr">' in ukrainian.text
    assert "Registration is not open" not in ukrainian.text


def test_several_open_rounds_offer_a_choice(client: TestClient, db: Session) -> None:
    make_round(db, slug="runde-eins")
    make_round(db, slug="runde-zwei")
    page = client.get("/?code=K7QX-M3PD-W9TA")
    assert "/rounds/runde-eins?" in page.text and "/rounds/runde-zwei?" in page.text
    assert "code=K7QX-M3PD-W9TA" in page.text
    assert client.get("/rounds/runde-zwei").status_code == 200


def test_a_newcomer_registers_confirms_and_sees_the_status_page(
    client: TestClient, db: Session, open_round: Round
) -> None:
    response = client.post(
        "/rounds/konstanz-mai/register?lang=uk", data=newcomer_form(), follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith("/registered")
    [person] = _people(db)
    assert person.status is RegistrationStatus.PENDING
    assert person.role is Role.NEWCOMER
    assert person.languages == ["uk", "de", "en"]
    assert [s.key for s in person.series] == ["mon", "sat"]
    assert person.origin == "UA" and person.needs == ["step_free"]
    assert person.consent_given_at is not None and person.source == "web"
    [mail] = mails(db, "registration_confirmation")
    assert mail["To"].addresses[0].addr_spec == "olena.melnyk@example.org"
    path = link_in(mail)
    assert path.endswith("/confirm")
    # Only the hash of the token is stored.
    token = path.split("/")[2]
    assert person.token_hash is not None and token not in person.token_hash

    assert client.get(path).status_code == 200  # asks; confirming takes the button
    db.refresh(person)
    assert person.status is RegistrationStatus.PENDING
    status = client.post(path)
    assert status.status_code == 200
    assert "done=confirmed" in str(status.url)
    db.refresh(person)
    assert person.status is RegistrationStatus.CONFIRMED  # type: ignore[comparison-overlap]  # refreshed
    assert person.email_confirmed_at is not None
    assert "Olena" in status.text
    assert db.scalar(select(func.count()).where(AuditEntry.action == "registration.confirm")) == 1


def test_registering_the_same_email_again_reveals_nothing_and_sends_the_link(
    client: TestClient, db: Session, open_round: Round
) -> None:
    first = client.post("/rounds/konstanz-mai/register", data=newcomer_form())
    client.post(link_in(mails(db, "registration_confirmation")[0]))
    second = client.post(
        "/rounds/konstanz-mai/register",
        data=newcomer_form(first_name="Someone", email="Olena.Melnyk@Example.org"),
    )
    assert second.status_code == first.status_code == 200
    assert second.text == first.text
    [person] = _people(db)
    assert person.first_name == "Olena"
    [reminder] = mails(db, "self_service_link")
    assert reminder["To"].addresses[0].addr_spec == "olena.melnyk@example.org"
    status = client.get(link_in(reminder))
    assert status.status_code == 200 and "Olena" in status.text


def test_a_citizen_needs_an_unused_code_which_is_used_up(
    client: TestClient, db: Session, codes: list[str]
) -> None:
    missing = client.post("/rounds/konstanz-mai/register?lang=en", data=citizen_form(""))
    assert missing.status_code == 422
    assert 'id="error-code"' in missing.text
    assert _people(db) == []

    typed = codes[0].lower().replace("-", " ")
    done = client.post(
        "/rounds/konstanz-mai/register", data=citizen_form(typed), follow_redirects=False
    )
    assert done.status_code == 303
    [person] = _people(db)
    assert person.role is Role.CITIZEN and person.origin is None
    row = db.scalar(select(InvitationCode).where(InvitationCode.participant_id == person.id))
    assert row is not None and row.used_at is not None

    again = client.post(
        "/rounds/konstanz-mai/register", data=citizen_form(codes[0]), follow_redirects=False
    )
    assert again.status_code == 303, "the same person registering twice gets the same answer"
    stolen = client.post(
        "/rounds/konstanz-mai/register?lang=en",
        data=citizen_form(codes[0], email="someone.else@example.org"),
    )
    assert stolen.status_code == 422
    assert "already been used" in stolen.text
    assert len(_people(db)) == 1


def test_wrong_codes_are_explained_and_guessing_is_limited(
    client: TestClient, db: Session, codes: list[str]
) -> None:
    typo = codes[0][:-1] + ("A" if codes[0][-1] != "A" else "B")
    response = client.post("/rounds/konstanz-mai/register?lang=en", data=citizen_form(typo))
    assert response.status_code == 422 and "typo" in response.text
    confusable = client.post(
        "/rounds/konstanz-mai/register?lang=en", data=citizen_form("K7QX-M3PD-W0TA")
    )
    assert "never contain 0, O, 1, I, L or Z" in confusable.text

    def unknown(i: int) -> str:
        payload = f"{i:02d}".replace("0", "A").replace("1", "B") + "CDEFGHJKM"
        return letter_codes.grouped(payload + letter_codes.check_character(payload))

    for i in range(10):
        wrong = client.post("/rounds/konstanz-mai/register?lang=en", data=citizen_form(unknown(i)))
        assert wrong.status_code == 422, wrong.text
        assert "We do not know this code" in wrong.text
    blocked = client.post("/rounds/konstanz-mai/register?lang=en", data=citizen_form(codes[1]))
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0
    assert _people(db) == []
    # Typos did not count, and even a right code waits until the window has passed.
    assert db.scalar(select(InvitationCode.used_at).where(InvitationCode.id > 0).limit(1)) is None


def test_bots_filling_the_hidden_field_get_the_same_answer_and_store_nothing(
    client: TestClient, db: Session, open_round: Round
) -> None:
    response = client.post(
        "/rounds/konstanz-mai/register",
        data=newcomer_form(website="http://spam.example"),
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert _people(db) == [] and mails(db) == []


def test_every_bad_field_gets_a_message_in_the_chosen_language(
    client: TestClient, db: Session, open_round: Round
) -> None:
    bad = newcomer_form(
        first_name="x" * 101,
        last_name="Melnyk\x07",
        email="not-an-address",
        languages=["xx"],
        other_languages=["Klingonisch"],
        series=["tue"],
        district="Atlantis",
        origin="XX",
        consent="",
    )
    response = client.post("/rounds/konstanz-mai/register?lang=de", data=bad)
    assert response.status_code == 422
    assert '<html lang="de" dir="ltr">' in response.text
    for field in (
        "first_name",
        "last_name",
        "email",
        "languages",
        "district",
        "origin",
        "consent",
    ):
        assert f'id="error-{field}"' in response.text, field
    assert "Klingonisch" in response.text
    assert 'value="Melnyk' in response.text, "what was typed is kept"
    assert _people(db) == []

    # The language switcher of the answer opens the form again, not the address it was sent to.
    assert 'href="/rounds/konstanz-mai?lang=ar"' in response.text
    series = client.post(
        "/rounds/konstanz-mai/register?lang=de", data=newcomer_form(series=["tue"])
    )
    assert series.status_code == 422 and 'id="error-series"' in series.text
    arabic = client.post("/rounds/konstanz-mai/register?lang=ar", data=bad)
    assert '<html lang="ar" dir="rtl">' in arabic.text
    errors = re.findall(r'<p class="error" id="error-email">(.*?)</p>', arabic.text)
    german = re.findall(r'<p class="error" id="error-email">(.*?)</p>', response.text)
    assert errors and german and errors != german


def test_a_closed_round_takes_no_registrations(
    client: TestClient, db: Session, open_round: Round
) -> None:
    open_round.status = RoundStatus.CLOSED
    settle(db)
    assert "Registration is not open" in client.get("/?lang=en").text
    response = client.post("/rounds/konstanz-mai/register?lang=en", data=newcomer_form())
    assert response.status_code == 409
    assert _people(db) == []


def test_send_my_link_again_answers_the_same_for_known_and_unknown_addresses(
    client: TestClient, db: Session, open_round: Round
) -> None:
    client.post("/rounds/konstanz-mai/register", data=newcomer_form())
    client.post(link_in(mails(db, "registration_confirmation")[0]))
    known = client.post("/link", data={"email": "olena.melnyk@example.org"})
    unknown = client.post("/link", data={"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 200
    assert known.text == unknown.text
    assert mails(db, to="nobody@example.org") == []
    [link_mail] = mails(db, "self_service_link")
    assert "/me/" in text_of(link_mail)
    invalid = client.post("/link", data={"email": "no at all"})
    assert invalid.status_code == 422


def test_asking_for_links_is_limited_per_client(
    client: TestClient, db: Session, open_round: Round
) -> None:
    for i in range(10):
        assert client.post("/link", data={"email": f"n{i}@example.org"}).status_code == 200
    blocked = client.post("/link?lang=en", data={"email": "n10@example.org"})
    assert blocked.status_code == 429
    assert "Too many" in blocked.text
