"""The words of every mail: spacing between sentences, the letter after the greeting, who is
responsible and how to reach them, dates in each language, and embedded names in Arabic."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from notifications.catalogs import read_catalog
from notifications.kinds import SelfServiceLink
from notifications.messages import render_parts
from notifications.models import Programme
from notifications.templating import filters
from tests.notifications.samples import (
    BERLIN,
    CONTACT,
    LANGUAGES,
    NOW,
    PROGRAMME,
    RECIPIENTS,
    SELF_SERVICE_URL,
    all_mails,
)
from tests.texts import glued_sentences, visible_text

EVERY_MAIL = [(lang, mail) for lang in LANGUAGES for mail in all_mails(RECIPIENTS[lang])]
MAIL_IDS = [f"{lang}-{mail.kind}" for lang, mail in EVERY_MAIL]


@pytest.mark.parametrize(("lang", "mail"), EVERY_MAIL, ids=MAIL_IDS)
def test_no_sentence_runs_into_the_next(lang: str, mail: object) -> None:
    parts = render_parts(mail, PROGRAMME, now=NOW)  # type: ignore[arg-type]
    assert glued_sentences(parts.text) == []
    assert glued_sentences(visible_text(parts.html)) == []


@pytest.mark.parametrize(("lang", "mail"), EVERY_MAIL, ids=MAIL_IDS)
def test_after_a_greeting_with_a_comma_the_letter_goes_on_in_lower_case(
    lang: str, mail: object
) -> None:
    """ "Hallo Anna," is followed by "danke …", "Hello John," by "thank you …"."""
    parts = render_parts(mail, PROGRAMME, now=NOW)  # type: ignore[arg-type]
    greeting, blank, first = parts.text.split("\n")[:3]
    assert blank == ""
    if greeting.endswith((",", "،")):
        assert not first[0].isupper(), f"{greeting} / {first}"  # Arabic has no case
    else:
        # "Добрий день, Олена!" ends like a sentence: the next one starts as sentences do.
        assert greeting.endswith("!") and not first[0].islower(), f"{greeting} / {first}"
    html = visible_text(parts.html)
    after = html.split(greeting, 1)[1].strip()
    assert after.startswith(first[:20])


@pytest.mark.parametrize(("lang", "mail"), EVERY_MAIL, ids=MAIL_IDS)
def test_every_mail_names_who_is_responsible_and_how_to_reach_them(lang: str, mail: object) -> None:
    parts = render_parts(mail, PROGRAMME, now=NOW)  # type: ignore[arg-type]
    for text in (parts.text.split("\n-- \n", 1)[1], visible_text(parts.html)):
        for value in (
            "Stadt Konstanz, Amt für Migration und Integration",
            "Kanzleistraße 15, 78462 Konstanz",
            "dialog@konstanz.example",
            "+49 7531 000-0000",
            "Datenschutzbeauftragte der Stadt Konstanz",
            "datenschutz@konstanz.example",
            "https://www.konstanz.example/impressum",
        ):
            assert value in text
    assert 'href="mailto:dialog@konstanz.example"' in parts.html
    assert 'href="https://www.konstanz.example/impressum"' in parts.html


def test_the_german_footer_reads_as_sentences() -> None:
    parts = render_parts(all_mails(RECIPIENTS["de"])[0], PROGRAMME, now=NOW)
    footer = parts.text.split("\n-- \n", 1)[1]
    assert footer == (
        "Diese E-Mail kommt automatisch von Von/Einander/Kennen/Lernen.\n"
        "Fragen? Antworten Sie einfach auf diese E-Mail oder schreiben Sie an "
        "dialog@konstanz.example.\n"
        "Telefon: +49 7531 000-0000\n"
        "https://vekl.konstanz.example/\n"
        "Verantwortlich für Ihre Daten: Stadt Konstanz, Amt für Migration und Integration, "
        "Kanzleistraße 15, 78462 Konstanz\n"
        "Datenschutzbeauftragte/r: Datenschutzbeauftragte der Stadt Konstanz, "
        "datenschutz@konstanz.example\n"
        "Impressum: https://www.konstanz.example/impressum\n"
    )
    assert "Lernen. Fragen?" in " ".join(visible_text(parts.html).split())


def test_without_a_contact_the_footer_says_to_reply() -> None:
    bare = Programme(email="vekl@konstanz.example", website_url="https://vekl.konstanz.example/")
    parts = render_parts(all_mails(RECIPIENTS["en"])[0], bare, now=NOW)
    footer = parts.text.split("\n-- \n", 1)[1]
    assert footer == (
        "This email was sent automatically by Von/Einander/Kennen/Lernen.\n"
        "Questions? Just reply to this email.\n"
        "https://vekl.konstanz.example/\n"
    )
    assert glued_sentences(visible_text(parts.html)) == []


def test_arabic_mails_isolate_embedded_latin_text() -> None:
    mails = {mail.kind: mail for mail in all_mails(RECIPIENTS["ar"])}
    invitation = render_parts(mails["group_invitation"], PROGRAMME, now=NOW).html
    assert "«<bdi>Seerhein</bdi>» (<bdi>Frühjahr 2026</bdi>)" in invitation
    # Parts of one thing are joined with the Arabic comma; the address keeps its own.
    assert (
        "<bdi>Treffpunkt Petershausen</bdi>\u060c <bdi>Georg-Elser-Platz 1, 78467 Konstanz</bdi>"
        in invitation
    )
    assert "<bdi>Miriam</bdi>" in invitation
    assert "<bdi>Von/Einander/Kennen/Lernen</bdi>" in invitation
    withdrawal = render_parts(mails["withdrawal_confirmed"], PROGRAMME, now=NOW).html
    assert "«<bdi>VEKL Mai 2027</bdi>»" in withdrawal
    confirmation = render_parts(mails["registration_confirmation"], PROGRAMME, now=NOW).html
    assert "<bdi>السبت، 9 مايو 2026، 11:59 م</bdi>" in confirmation
    footer = confirmation.split("<hr", 1)[1]
    assert "<bdi>Stadt Konstanz, Amt für Migration und Integration\u060c Kanzleistraße 15" in footer
    text = render_parts(mails["registration_confirmation"], PROGRAMME, now=NOW).text
    assert "Integration\u060c Kanzleistraße 15, 78462 Konstanz" in text


def test_german_mails_join_the_parts_with_a_comma() -> None:
    mails = {mail.kind: mail for mail in all_mails(RECIPIENTS["de"])}
    invitation = render_parts(mails["group_invitation"], PROGRAMME, now=NOW)
    assert "<bdi>Treffpunkt Petershausen</bdi>, <bdi>Georg-Elser-Platz 1" in invitation.html
    assert "Treffpunkt Petershausen, Georg-Elser-Platz 1, 78467 Konstanz" in invitation.text


def test_ukrainian_names_the_day_in_the_genitive_after_until() -> None:
    confirmation = render_parts(all_mails(RECIPIENTS["uk"])[0], PROGRAMME, now=NOW).text
    assert "Посилання дійсне до суботи, 9 травня 2026" in confirmation
    until = filters("uk", BERLIN)["until_datetime"]
    monday = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
    days = [until(monday + timedelta(days=n)).split(",")[0] for n in range(7)]
    assert days == ["понеділка", "вівторка", "середи", "четверга", "пʼятниці", "суботи", "неділі"]
    # Other languages keep Babel's day names; the plain long form keeps the nominative.
    assert filters("de", BERLIN)["until_datetime"](monday).startswith("Montag, 4. Mai 2026")
    assert filters("uk", BERLIN)["long_datetime"](monday).startswith("понеділок")


def test_date_and_time_are_joined_the_way_the_language_does() -> None:
    moment = datetime(2027, 4, 20, 21, 59, tzinfo=UTC)
    assert filters("ar", BERLIN)["date_time"](moment) == "20 أبريل 2027، 11:59 م"
    assert filters("de", BERLIN)["date_time"](moment) == "20. April 2027, 23:59"
    assert filters("uk", BERLIN)["date_time"](moment) == "20 квітня 2027\u202fр., 23:59"


def test_the_ukrainian_catalog_always_writes_the_polite_you_with_a_capital() -> None:
    lower = re.compile(
        r"(?<![\wʼ'’])(ви|вас|вам|вами|ваш|ваша|ваше|ваші|вашого|вашої|вашому|вашим|вашими|"
        r"вашу|ваших|вашій)(?![\wʼ'’])"
    )
    found = [
        str(message.string)
        for message in read_catalog("uk")
        if message.id and lower.search(str(message.string))
    ]
    assert found == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_withdrawn_person_who_asks_for_their_link_learns_the_way_back(lang: str) -> None:
    deadline = datetime(2027, 4, 20, 21, 59, tzinfo=UTC)
    recipient = RECIPIENTS[lang]
    back = SelfServiceLink(
        recipient=recipient,
        self_service_url=SELF_SERVICE_URL,
        withdrawn=True,
        can_rejoin=True,
        rejoin_before=deadline,
    )
    closed = SelfServiceLink(recipient=recipient, self_service_url=SELF_SERVICE_URL, withdrawn=True)
    plain = SelfServiceLink(recipient=recipient, self_service_url=SELF_SERVICE_URL)
    texts = {
        name: render_parts(mail, PROGRAMME, now=NOW).text
        for name, mail in (("back", back), ("closed", closed), ("plain", plain))
    }
    if lang == "de":
        assert "Sie haben sich von dieser Runde abgemeldet." in texts["back"]
        assert (
            "„Ich möchte doch teilnehmen“. Das geht bis Dienstag, 20. April 2027, 23:59."
            in (texts["back"])
        )
        assert "Wenn Sie doch teilnehmen möchten, antworten Sie bitte" in texts["closed"]
        assert "abgemeldet" not in texts["plain"]
    if lang == "uk":
        assert "Це можна зробити до вівторка, 20 квітня 2027" in texts["back"]
    for text in texts.values():
        assert SELF_SERVICE_URL in text
        assert glued_sentences(text) == []
    assert len({texts["back"], texts["closed"], texts["plain"]}) == 3
    assert CONTACT.email is not None and CONTACT.email in texts["closed"]


# Mails that put evenings ahead of a participant: each offers the way out under the link.
EVENINGS_AHEAD = ("group_invitation", "group_changed", "group_moved", "evening_reminder")


@pytest.mark.parametrize(
    ("lang", "mail"),
    [(lang, mail) for lang, mail in EVERY_MAIL if mail.kind in EVENINGS_AHEAD],
    ids=[f"{lang}-{mail.kind}" for lang, mail in EVERY_MAIL if mail.kind in EVENINGS_AHEAD],
)
def test_every_mail_with_evenings_ahead_offers_to_withdraw(lang: str, mail: object) -> None:
    parts = render_parts(mail, PROGRAMME, now=NOW)  # type: ignore[arg-type]
    assert SELF_SERVICE_URL + "/withdraw" in parts.text
    assert f'href="{SELF_SERVICE_URL}/withdraw"' in parts.html
