"""A person registers with a letter code in Chromium, confirms, gets the calendar, withdraws,
changes their mind, and deletes everything; the letter's code then works again."""

from __future__ import annotations

import re
import time
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar
from sqlalchemy import select

from notifications.filesink import eml_filename
from tests.api.published import publish_group
from vekl.store.models import OutboxMail, Participant, RegistrationStatus, Round

from .conftest import Server

pytestmark = pytest.mark.browser


def _confirmation_path(server: Server, email: str) -> str:
    """The link in the confirmation mail, as the person finds it in their mailbox.

    The outbox keeps the mail sealed and drops it once sent; ``vekl serve``'s worker
    sends it into the mail folder, where it is read.
    """
    with server.sessions() as session:
        message_id = session.scalars(
            select(OutboxMail.message_id).where(
                OutboxMail.recipient == email, OutboxMail.kind == "registration_confirmation"
            )
        ).one()
    sent = server.mail_dir / eml_filename(message_id)
    deadline = time.monotonic() + 60
    while not sent.exists():
        assert time.monotonic() < deadline, "the confirmation mail was not sent"
        time.sleep(0.2)
    message = message_from_bytes(sent.read_bytes(), policy=policy.default)
    body = message.get_body(("plain",))
    assert body is not None
    found = re.search(
        re.escape(server.base_url) + r"(/me/[A-Za-z0-9_-]{43}/confirm)", str(body.get_content())
    )
    assert found is not None
    return found.group(1)


def _place(server: Server, email: str) -> None:
    """Put the person into a published group, as the organisers' matching would."""
    with server.sessions() as session:
        person = session.scalars(select(Participant).where(Participant.email == email)).one()
        round = session.get_one(Round, person.round_id)
        publish_group(session, round, [person])


def _status(server: Server, email: str) -> RegistrationStatus:
    with server.sessions() as session:
        return session.scalars(select(Participant.status).where(Participant.email == email)).one()


def _register_confirm_download_withdraw(
    browser: Any,
    server: Server,
    tmp_path: Path,
    *,
    lang: str,
    code: str,
    email: str,
    texts: dict[str, str],
    fill_languages: Any,
) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740}, accept_downloads=True)
    page = context.new_page()
    page.goto(f"{server.base_url}/?code={code}&lang={lang}")
    assert page.locator("html").get_attribute("lang") == lang
    assert page.locator("html").get_attribute("dir") == ("rtl" if lang == "ar" else "ltr")
    assert page.input_value("#field-code") == code
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, "no sideways scrolling"

    page.check("#role-citizen")
    page.fill("#field-first_name", "Anna")
    page.fill("#field-last_name", "Weber")
    page.fill("#field-email", email)
    fill_languages(page)
    page.check("#series-mon")
    page.check("#need-step_free")
    page.select_option("#field-district", "Petershausen-Ost")
    # Forgetting the consent is explained, and nothing typed is lost.
    page.click("button[type=submit]")
    assert page.locator("#error-consent").is_visible()
    assert page.input_value("#field-first_name") == "Anna"
    page.check("#consent")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/registered"))
    assert texts["registered"] in page.content()
    assert page.locator("main bdi", has_text=email).is_visible()  # where the mail went
    assert _status(server, email) is RegistrationStatus.PENDING
    # Every page's footer says who is responsible and how to reach the organisers.
    footer = page.locator("footer address")
    assert footer.is_visible()
    assert "Stadt Konstanz, Amt für Migration und Integration" in footer.inner_text()
    assert footer.locator("a[href='mailto:dialog@konstanz.example']").is_visible()
    assert footer.locator("a[href='tel:+4975310000000']").is_visible()
    assert page.locator("footer a[href='https://www.konstanz.example/impressum']").is_visible()

    page.goto(server.base_url + _confirmation_path(server, email))
    assert _status(server, email) is RegistrationStatus.PENDING
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"done=confirmed"))
    assert texts["confirmed"] in page.content()
    assert _status(server, email) is RegistrationStatus.CONFIRMED
    status_url = page.url.split("?")[0]

    _place(server, email)
    page.goto(status_url)
    assert texts["placed"] in page.content()
    assert "Miriam" in page.content()
    with page.expect_download() as download_info:
        page.click("a[href$='calendar.ics']")
    saved = tmp_path / f"{lang}.ics"
    download_info.value.save_as(saved)
    events = list(Calendar.from_ical(saved.read_bytes()).walk("VEVENT"))
    assert len(events) == 3

    page.click("a[href*='/withdraw']")
    page.click("button.danger")
    page.wait_for_url(re.compile(r"done=withdrawn"))
    assert texts["withdrawn"] in page.content()
    assert _status(server, email) is RegistrationStatus.WITHDRAWN

    # Changing one's mind: the way back is on the page, without the old place.
    assert page.locator("main a[href='mailto:dialog@konstanz.example']").is_visible()
    page.click(f"form[action*='/rejoin'] button:has-text('{texts['rejoin']}')")
    page.wait_for_url(re.compile(r"done=rejoined"))
    assert texts["rejoined"] in page.content()
    assert _status(server, email) is RegistrationStatus.CONFIRMED
    assert page.locator("a[href$='calendar.ics']").count() == 0  # no group any more

    # Deleting everything frees the letter's code: registering with it works again.
    page.click("a[href*='/delete']")
    page.click("button.danger")
    page.goto(f"{server.base_url}/?code={code}&lang={lang}")
    page.check("#role-citizen")
    page.fill("#field-first_name", "Anna")
    page.fill("#field-last_name", "Weber")
    page.fill("#field-email", email)
    fill_languages(page)
    page.check("#series-mon")
    page.check("#need-step_free")
    page.select_option("#field-district", "Petershausen-Ost")
    page.check("#consent")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/registered"))
    assert _status(server, email) is RegistrationStatus.PENDING
    context.close()
    # The server logged every request, but neither the letter code nor the personal link.
    log = server.log.read_text()
    assert "GET /me/{token}" in log
    token = status_url.rsplit("/", 1)[1]
    assert token not in log and code not in log and email not in log


def test_register_in_german_with_a_letter_code(
    browser: Any, server: Server, tmp_path: Path
) -> None:
    def languages(page: Any) -> None:
        page.check("#language-de")
        page.fill("#other-language-1", "Schwedisch")

    _register_confirm_download_withdraw(
        browser,
        server,
        tmp_path,
        lang="de",
        code=server.codes[0],
        email="anna.weber@example.org",
        texts={
            "registered": "Vielen Dank. Bitte sehen Sie in Ihr Postfach.",
            "confirmed": "Ihre E-Mail-Adresse ist bestätigt",
            "placed": "Sie haben einen Platz in einer Gruppe.",
            "withdrawn": "Sie haben sich von dieser Runde abgemeldet.",
            "rejoin": "Ich möchte doch teilnehmen",
            "rejoined": "Willkommen zurück: Sie nehmen wieder teil.",
        },
        fill_languages=languages,
    )
    with server.sessions() as session:
        person = session.scalars(
            select(Participant).where(Participant.email == "anna.weber@example.org")
        ).one()
        assert person.languages == ["de", "sv"]
        assert person.needs == ["step_free"] and person.district == "Petershausen-Ost"


def test_register_in_arabic_with_a_letter_code(
    browser: Any, server: Server, tmp_path: Path
) -> None:
    def languages(page: Any) -> None:
        page.check("#language-ar")
        page.fill("#other-language-1", "الفرنسية")

    _register_confirm_download_withdraw(
        browser,
        server,
        tmp_path,
        lang="ar",
        code=server.codes[1],
        email="rania.haddad@example.org",
        texts={
            "registered": "شكرًا لكم. يُرجى التحقق من بريدكم الوارد.",
            "confirmed": "تم تأكيد عنوان بريدكم الإلكتروني",
            "placed": "لديكم مكان في مجموعة.",
            "withdrawn": "لقد انسحبتم من هذه الدورة.",
            "rejoin": "أرغب في المشاركة رغم ذلك",
            "rejoined": "أهلًا بعودتكم: أنتم مشاركون من جديد.",
        },
        fill_languages=languages,
    )
    with server.sessions() as session:
        person = session.scalars(
            select(Participant).where(Participant.email == "rania.haddad@example.org")
        ).one()
        assert person.languages == ["ar", "fr"]
