"""The words of every public page in every language: sentences keep their spaces, every page
names who is responsible and how to reach the organisers, and every dead end says whom to ask."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from notifications.i18n import SUPPORTED_LANGUAGES
from tests.texts import glued_sentences, visible_text
from vekl.moderators import moderation
from vekl.settings import Settings
from vekl.store.models import Participant, Round

from .conftest import CONTACT, citizen_form, link_in, mails, make_round, newcomer_form, settle
from .published import publish_group


def _person(client: TestClient, db: Session, email: str, *, confirm: bool = True) -> str:
    """Register someone and return the path of their personal page."""
    client.post("/rounds/konstanz-mai/register", data=newcomer_form(email=email))
    confirm_path = link_in(mails(db, "registration_confirmation", to=email)[-1])
    if confirm:
        client.post(confirm_path)
    return confirm_path.removesuffix("/confirm")


def _pages(client: TestClient, db: Session, settings: Settings, round: Round) -> dict[str, str]:
    """Every public page once, by name; each is fetched in every language afterwards."""
    pending = _person(client, db, "pending@example.org", confirm=False)
    registered = _person(client, db, "registered@example.org")
    placed = _person(client, db, "placed@example.org")
    withdrawn = _person(client, db, "withdrawn@example.org")
    client.post(withdrawn + "/withdraw")
    publish_group(
        db, round, [db.scalars(select(Participant).filter_by(email="placed@example.org")).one()]
    )
    [(_, moderator_url)] = moderation.issue_links(db, settings, round, actor="test")
    settle(db)
    return {
        "form": "/",
        "round form": "/rounds/konstanz-mai",
        "thank you": "/registered",
        "privacy": "/privacy",
        "privacy of the round": "/privacy?round=konstanz-mai",
        "link form": "/link",
        "pending": pending,
        "confirm": pending + "/confirm",
        "registered": registered,
        "placed": placed,
        "withdrawn": withdrawn,
        "withdraw": registered + "/withdraw",
        "delete": registered + "/delete",
        "moderator": moderator_url.removeprefix("https://vekl.example"),
        "dead link": "/me/" + "x" * 43,
        "no such page": "/nowhere",
        "no such round": "/rounds/nowhere",
    }


def _check(page: str, html: str) -> None:
    text = visible_text(html)
    assert glued_sentences(text) == [], page
    footer = text.rsplit("\n", 30)
    assert CONTACT["controller_name"] in text, page
    assert CONTACT["contact_email"] in " ".join(footer), page


@pytest.mark.parametrize("lang", SUPPORTED_LANGUAGES)
def test_every_public_page_reads_well_and_names_the_contact(
    client: TestClient, db: Session, settings: Settings, open_round: Round, lang: str
) -> None:
    for page, path in _pages(client, db, settings, open_round).items():
        answer = client.get(path, params={"lang": lang})
        assert answer.status_code in (200, 404), (page, answer.status_code)
        _check(page, answer.text)
    # Pages that answer a form.
    answer = client.post("/link", data={"email": "nobody@example.org"}, params={"lang": lang})
    _check("link sent", answer.text)
    answer = client.post(
        "/rounds/konstanz-mai/register", data=newcomer_form(email="new@example.org")
    )
    _check("thank you, with the address", answer.text)
    answer = client.post(
        "/rounds/konstanz-mai/register", data=newcomer_form(first_name=""), params={"lang": lang}
    )
    assert answer.status_code == 422
    _check("form with problems", answer.text)
    person = _person(client, db, "leaving@example.org")
    answer = client.post(person + "/delete", params={"lang": lang})
    _check("deleted", answer.text)


@pytest.mark.parametrize("lang", SUPPORTED_LANGUAGES)
def test_pages_without_an_open_round_read_well(client: TestClient, db: Session, lang: str) -> None:
    _check("no round", client.get("/", params={"lang": lang}).text)
    make_round(db, "mai", registration_deadline=datetime.now(UTC) + timedelta(days=3))
    make_round(db, "juni")
    _check("choose a round", client.get("/", params={"lang": lang}).text)


def test_dead_ends_say_how_to_reach_the_organisers(
    client: TestClient, db: Session, open_round: Round
) -> None:
    reach = "dialog@konstanz.example"
    phone = "tel:+4975310000000"
    dead = client.get("/me/" + "x" * 43 + "?lang=en")
    assert dead.status_code == 404
    assert "If you need help, write to the organisers at" in dead.text
    assert f'href="mailto:{reach}"' in dead.text and f'href="{phone}"' in dead.text
    open_round.registration_deadline = datetime.now(UTC) - timedelta(days=1)
    settle(db)
    closed = client.get("/rounds/konstanz-mai?lang=de")
    assert closed.status_code == 409
    assert "Die Anmeldung für diese Runde ist beendet" in closed.text
    assert "Wenn Sie Hilfe brauchen, schreiben Sie dem Organisationsteam an" in closed.text
    assert f'href="mailto:{reach}"' in closed.text
    nothing = client.get("/?lang=en")
    assert "Registration is not open at the moment" in nothing.text
    assert f'href="mailto:{reach}"' in nothing.text.split("<footer", 1)[0]


def test_arabic_pages_join_name_and_address_with_the_arabic_comma(
    client: TestClient, open_round: Round
) -> None:
    page = client.get("/?lang=ar").text
    footer = page.split('<footer class="site">', 1)[1]
    assert "<bdi>Stadt Konstanz, Amt für Integration\u060c Kanzleistraße 15" in footer
    venues = page.split('class="venue"')[1:]
    assert venues and all("</bdi>\u060c <bdi>" in v.split("<br>", 1)[0] for v in venues)
    german = client.get("/?lang=de").text
    assert "\u060c" not in german.split('<footer class="site">', 1)[1]


def test_the_footer_and_the_privacy_notice_name_the_controller(
    client: TestClient, open_round: Round
) -> None:
    page = client.get("/?lang=de").text
    footer = page.split('<footer class="site">', 1)[1]
    assert "Verantwortlich für Ihre Daten: <bdi>Stadt Konstanz, Amt für Integration, " in footer
    assert '<a href="https://www.konstanz.example/impressum">Impressum</a>' in footer
    assert '<a href="mailto:dialog@konstanz.example"><bdi>dialog@konstanz.example</bdi></a>' in (
        footer
    )
    assert '<a href="tel:+4975310000000"><bdi>+49 7531 000-0000</bdi></a>' in footer
    privacy = visible_text(client.get("/privacy?lang=de").text)
    assert "Verantwortlich für Ihre Daten (Verantwortliche Stelle):" in privacy
    assert "Kanzleistraße 15, 78462 Konstanz" in privacy
    assert "Datenschutzbeauftragte/r:\nDatenschutzbeauftragte der Stadt Konstanz, " in privacy
    assert "Schreiben Sie uns dafür an dialog@konstanz.example." in " ".join(privacy.split())


def test_the_country_list_follows_the_alphabet(client: TestClient, open_round: Round) -> None:
    page = client.get("/?lang=de").text
    assert page.index(">Dänemark<") < page.index(">Deutschland<") < page.index(">Dschibuti<")
    assert page.index(">Österreich<") < page.index(">Pakistan<")
    ukrainian = client.get("/?lang=uk").text
    assert ukrainian.index(">Венесуела<") < ukrainian.index(">Вʼєтнам<")
    assert ukrainian.index(">Ємен<") < ukrainian.index(">Ізраїль<") < ukrainian.index(">Йорданія<")


def test_a_letter_code_registration_names_the_address_too(
    client: TestClient, db: Session, codes: list[str]
) -> None:
    answer = client.post(
        "/rounds/konstanz-mai/register?lang=en",
        data=citizen_form(codes[0], email="Anna.Weber@Example.org"),
    )
    assert "We have sent an email to <bdi>anna.weber@example.org</bdi>." in answer.text
