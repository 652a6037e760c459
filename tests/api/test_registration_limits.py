"""Registrations send mail from the city's address, so they are limited and checked."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.api.bodies import newcomer
from vekl.store.models import OutboxMail, Round

from .conftest import newcomer_form

URL = "/api/v1/rounds/konstanz-mai/registrations"


def _mails(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(OutboxMail)) or 0


def test_registrations_from_one_client_are_limited(
    client: TestClient, db: Session, open_round: Round
) -> None:
    for i in range(10):
        answer = client.post(f"{URL}?lang=en", json=newcomer(email=f"person{i}@example.org"))
        assert answer.status_code == 202
    assert _mails(db) == 10
    blocked = client.post(f"{URL}?lang=uk", json=newcomer(email="person10@example.org"))
    assert blocked.status_code == 429
    assert 0 < int(blocked.headers["Retry-After"]) <= 15 * 60 + 1
    assert blocked.json()["errors"][0]["message"].startswith("З Вашого з’єднання")
    # The form says the same, as a page.
    page = client.post(
        "/rounds/konstanz-mai/register?lang=de", data=newcomer_form(email="p11@example.org")
    )
    assert page.status_code == 429
    assert "zu viele Anmeldungen" in page.text
    assert _mails(db) == 10


def test_registrations_of_one_address_are_limited(
    client: TestClient, db: Session, open_round: Round
) -> None:
    for _ in range(3):
        assert client.post(f"{URL}?lang=en", json=newcomer()).status_code == 202
    blocked = client.post(f"{URL}?lang=en", json=newcomer(email="OLENA.melnyk@example.org"))
    assert blocked.status_code == 429
    assert "Retry-After" in blocked.headers
    assert blocked.json()["errors"][0]["message"].startswith("Too many registrations")
    # Another address from the same client still gets through.
    assert (
        client.post(f"{URL}?lang=en", json=newcomer(email="other@example.org")).status_code == 202
    )


def test_names_with_web_addresses_are_refused_naming_the_field(
    client: TestClient, db: Session, open_round: Round
) -> None:
    for first, last in [
        ("Visit http://phish.example now", "Melnyk"),
        ("Olena", "www.phish.example"),
        ("Olena", "go to x.example/win"),
    ]:
        answer = client.post(f"{URL}?lang=en", json=newcomer(first_name=first, last_name=last))
        assert answer.status_code == 422
        field = "first_name" if first != "Olena" else "last_name"
        assert answer.json()["errors"] == [
            {"field": field, "message": "Please enter your name without web addresses."}
        ]
    page = client.post(
        "/rounds/konstanz-mai/register?lang=ar",
        data=newcomer_form(first_name="Hallo Visit http://phish.example now"),
    )
    assert page.status_code == 422
    assert "يُرجى إدخال اسمكم دون عناوين إنترنت." in page.text
    # Ordinary names with dots and hyphens pass.
    fine = client.post(
        f"{URL}?lang=en", json=newcomer(first_name="J. R.", last_name="St.Clair-Lüdke")
    )
    assert fine.status_code == 202
    assert _mails(db) == 1
