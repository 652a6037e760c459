"""A moderator asks for their link in Chromium, finds it in their mail and reads their roster."""

from __future__ import annotations

import re
import time
from email import message_from_bytes, policy
from typing import Any

import pytest
from sqlalchemy import select

from notifications.filesink import eml_filename
from tests.api.published import publish_group
from vekl.store.models import OutboxMail, Participant, RegistrationStatus, Role, Round

from .conftest import Server

pytestmark = pytest.mark.browser

MODERATOR = "miriam@example.org"  # the moderator publish_group puts in charge


def _publish_namesakes(server: Server) -> None:
    """Two members called Anna, one Omar; nobody has a need."""
    with server.sessions() as session:
        round = session.scalars(select(Round)).first()
        assert round is not None
        people = []
        for first, last, email in (
            ("Anna", "Kaya", "anna.kaya@example.org"),
            ("Anna", "Brandt", "anna.brandt@example.org"),
            ("Omar", "Said", "omar.said@example.org"),
        ):
            person = Participant(
                round_id=round.id,
                role=Role.NEWCOMER,
                first_name=first,
                last_name=last,
                email=email,
                languages=["de"],
                status=RegistrationStatus.CONFIRMED,
            )
            session.add(person)
            people.append(person)
        session.flush()
        publish_group(session, round, people)


def _link_from_mailbox(server: Server) -> str:
    """The moderator's link in the mail the worker of ``vekl serve`` delivered."""
    deadline = time.monotonic() + 60
    while True:
        with server.sessions() as session:
            message_id = session.scalars(
                select(OutboxMail.message_id).where(
                    OutboxMail.recipient == MODERATOR, OutboxMail.kind == "moderator_link"
                )
            ).first()
        if message_id is not None and (server.mail_dir / eml_filename(message_id)).exists():
            break
        assert time.monotonic() < deadline, "the link mail was not sent"
        time.sleep(0.2)
    sent = server.mail_dir / eml_filename(message_id)
    message = message_from_bytes(sent.read_bytes(), policy=policy.default)
    body = message.get_body(("plain",))
    assert body is not None
    found = re.search(
        re.escape(server.base_url) + r"(/moderator/[A-Za-z0-9_-]{43})", str(body.get_content())
    )
    assert found is not None
    return found.group(1)


def test_a_moderator_gets_their_link_and_tells_namesakes_apart(
    browser: Any, server: Server
) -> None:
    _publish_namesakes(server)
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(f"{server.base_url}/link?lang=de")
    assert "als Moderatorin oder Moderator" in page.content()
    page.fill("#field-email", MODERATOR)
    page.click("button[type=submit]")
    assert "Bitte sehen Sie in Ihrem Postfach nach" in page.content()

    page.goto(server.base_url + _link_from_mailbox(server) + "?lang=de")
    table = page.locator("table").first
    headers = table.locator("th").all_inner_texts()
    assert headers == ["Vorname", "Sprachen"], "no needs column when nobody has a need"
    names = table.locator("tbody td:first-child").all_inner_texts()
    assert names == ["Anna B.", "Anna K.", "Omar"]
    assert "Kaya" not in page.content() and "Brandt" not in page.content()
    assert "Bedarf" not in page.content()
    context.close()
