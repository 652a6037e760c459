"""An app per test whose requests run inside the test's rolled-back transaction."""

from __future__ import annotations

import re
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api import create_app
from api.database import request_session, unit_of_work
from tests.dates import open_for_a_month
from tests.event_loop import database_off_the_loop
from vekl.mail import outbox
from vekl.registration import letter_codes
from vekl.rounds import service as rounds
from vekl.settings import Settings
from vekl.store.models import OutboxMail, Round

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "konstanz-mai"
BERLIN = ZoneInfo("Europe/Berlin")
SECRET = "test-secret-key-with-enough-length"
CONTACT: dict[str, Any] = {
    "controller_name": "Stadt Konstanz, Amt für Integration",
    "controller_address": "Kanzleistraße 15, 78462 Konstanz",
    "contact_email": "dialog@konstanz.example",
    "contact_phone": "+49 7531 000-0000",
    "privacy_officer": "Datenschutzbeauftragte der Stadt Konstanz",
    "privacy_officer_contact": "datenschutz@konstanz.example",
    "imprint_url": "https://www.konstanz.example/impressum",
}


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        environment="test",
        database_url=database_url,
        base_url="https://vekl.example",
        secret_key=SECRET,
        mail_from="VEKL Konstanz <vekl@konstanz.example>",
        **CONTACT,
    )


@pytest.fixture
def app(settings: Settings, db: Session) -> Iterator[FastAPI]:
    """The app; a statement sent from its event loop fails the request and the test."""
    app = create_app(settings)

    def session_in_test_transaction() -> Iterator[Session]:
        yield from unit_of_work(db)

    app.dependency_overrides[request_session] = session_in_test_transaction
    with database_off_the_loop(db.get_bind()):
        yield app


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="https://vekl.example") as test_client:
        yield test_client


def make_round(db: Session, slug: str = "konstanz-mai", **changes: object) -> Round:
    spec = rounds.load_round_file(EXAMPLE / "round.toml")
    spec = spec.model_copy(
        update={"slug": slug, "registration_deadline": open_for_a_month(), **changes}
    )
    round = rounds.create_round(db, spec, BERLIN, "test")
    settle(db)
    return round


def settle(db: Session) -> None:
    """Make what a test wrote survive the rollback of a failed request.

    The test session runs in savepoints of the test's outer transaction; a request that fails
    rolls back to the last savepoint, so test data is committed (released) first.
    """
    db.commit()


@pytest.fixture
def open_round(db: Session) -> Round:
    return make_round(db)


@pytest.fixture
def codes(db: Session, open_round: Round) -> list[str]:
    generated = letter_codes.generate(db, open_round, 3, secret=SECRET, actor="test")
    settle(db)
    return generated


def newcomer_form(**changes: object) -> dict[str, object]:
    form: dict[str, object] = {
        "role": "newcomer",
        "first_name": "Olena",
        "last_name": "Melnyk",
        "email": "olena.melnyk@example.org",
        "preferred_language": "uk",
        "languages": ["uk", "de"],
        "other_languages": ["Englisch", ""],
        "series": ["mon", "sat"],
        "age_band": "30-44",
        "district": "Paradies",
        "origin": "UA",
        "needs": ["step_free"],
        "consent": "yes",
    }
    form.update(changes)
    return form


def citizen_form(code: str, **changes: object) -> dict[str, object]:
    citizen: dict[str, object] = {
        "role": "citizen",
        "code": code,
        "first_name": "Anna",
        "last_name": "Weber",
        "email": "anna.weber@example.org",
        "preferred_language": "de",
        "languages": ["de"],
        "other_languages": [],
        "origin": "",
    }
    return newcomer_form(**{**citizen, **changes})


def mails(db: Session, kind: str | None = None, to: str | None = None) -> list[EmailMessage]:
    query = select(OutboxMail).order_by(OutboxMail.id)
    if kind is not None:
        query = query.where(OutboxMail.kind == kind)
    if to is not None:
        query = query.where(OutboxMail.recipient == to)
    found = []
    for row in db.scalars(query):
        message = message_from_bytes(outbox.body(row, SECRET), policy=policy.default)
        assert isinstance(message, EmailMessage)
        found.append(message)
    return found


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def link_in(message: EmailMessage) -> str:
    """The path of the personal link in a mail (confirmation or link-again)."""
    found = re.search(
        r"https://vekl\.example(/me/[A-Za-z0-9_-]{43}(?:/confirm)?)", text_of(message)
    )
    assert found, text_of(message)
    return found.group(1)


def token_of(path: str) -> str:
    return path.split("/")[2]
