"""The JSON API: the same actions, checks and messages as the pages."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.api.bodies import newcomer
from vekl.store.models import Participant, RegistrationStatus, Round

from .conftest import citizen_form, link_in, mails, token_of


def test_open_rounds_are_listed_with_series_and_evenings(
    client: TestClient, open_round: Round
) -> None:
    [listed] = client.get("/api/v1/rounds").json()
    assert listed["slug"] == "konstanz-mai"
    assert [s["key"] for s in listed["series"]] == ["mon", "wed", "sat"]
    assert len(listed["series"][0]["evenings"]) == 3


def test_register_confirm_change_withdraw_export_delete(
    client: TestClient, db: Session, open_round: Round
) -> None:
    first = client.post("/api/v1/rounds/konstanz-mai/registrations?lang=en", json=newcomer())
    assert first.status_code == 202
    again = client.post("/api/v1/rounds/konstanz-mai/registrations?lang=en", json=newcomer())
    assert again.status_code == 202 and again.json() == first.json()
    assert db.scalar(select(func.count()).select_from(Participant)) == 1

    token = token_of(link_in(mails(db, "registration_confirmation")[0]))
    assert client.get(f"/api/v1/me/{token}").json()["standing"] == "pending"
    confirmed = client.post(f"/api/v1/me/{token}/confirm").json()
    assert confirmed["standing"] == "registered" and confirmed["first_name"] == "Olena"
    # The feed has its own token: it opens the calendar, not the page.
    feed = confirmed["subscription_url"].removeprefix("webcal://vekl.example")
    assert re.fullmatch(r"/calendar/[A-Za-z0-9_-]{43}\.ics", feed) and token not in feed
    assert client.get(feed).headers["content-type"].startswith("text/calendar")
    feed_token = feed.removeprefix("/calendar/").removesuffix(".ics")
    assert client.get(f"/api/v1/me/{feed_token}").status_code == 404

    changed = client.put(f"/api/v1/me/{token}/series", json={"series": ["sat", "wed"]})
    assert changed.status_code == 200 and changed.json()["series"] == ["wed", "sat"]
    wrong = client.put(f"/api/v1/me/{token}/series?lang=en", json={"series": ["tue"]})
    assert wrong.status_code == 422
    assert wrong.json() == {
        "errors": [{"field": "series", "message": "Please choose only evenings of this round."}]
    }

    assert client.get(f"/api/v1/me/{token}/data").json()["registration"]["languages"] == [
        "uk",
        "de",
    ]
    assert client.post(f"/api/v1/me/{token}/withdraw").json()["standing"] == "withdrawn"
    person = db.scalars(select(Participant)).one()
    assert person.status is RegistrationStatus.WITHDRAWN
    assert client.delete(f"/api/v1/me/{token}").status_code == 204
    missing = client.get(f"/api/v1/me/{token}?lang=en")
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["message"].startswith("This page does not exist")


def test_errors_list_field_and_message_in_the_language_asked_for(
    client: TestClient, open_round: Round
) -> None:
    bad = newcomer(
        email="nope",
        first_name="",
        last_name="A" * 101,
        languages=["xx"],
        consent=False,
        district="Atlantis",
    )
    english = client.post("/api/v1/rounds/konstanz-mai/registrations?lang=en", json=bad)
    assert english.status_code == 422
    fields = {e["field"]: e["message"] for e in english.json()["errors"]}
    assert fields == {
        "first_name": "Please enter your first name.",
        "last_name": "Please use at most 100 characters.",
        "email": "Please enter a valid email address, such as name@example.org.",
        "languages": "We do not know the language “xx”. Please choose one from the list.",
        "district": "Please choose an entry from the list.",
        "consent": "Please agree to the privacy notice. Without it we cannot register you.",
    }
    client.cookies.clear()  # the ?lang=en above was remembered; Accept-Language decides now
    german = client.post(
        "/api/v1/rounds/konstanz-mai/registrations",
        json=bad,
        headers={"Accept-Language": "de-DE,de;q=0.9"},
    )
    messages = {e["field"]: e["message"] for e in german.json()["errors"]}
    assert messages["first_name"] == "Bitte geben Sie Ihren Vornamen ein."

    unknown_field = client.post(
        "/api/v1/rounds/konstanz-mai/registrations?lang=en", json=newcomer(priority=100)
    )
    assert unknown_field.status_code == 422
    assert unknown_field.json()["errors"][0]["field"] == "priority"
    wrong_type = client.post(
        "/api/v1/rounds/konstanz-mai/registrations?lang=en", json=newcomer(first_name=12)
    )
    assert wrong_type.status_code == 422
    assert client.post("/api/v1/rounds/nowhere/registrations", json=newcomer()).status_code == 404


def test_the_page_and_the_api_give_the_same_message_for_the_same_mistake(
    client: TestClient, open_round: Round
) -> None:
    page = client.post(
        "/rounds/konstanz-mai/register?lang=ar",
        data=citizen_form("", email="bad@", languages=["de"]),
    )
    api = client.post(
        "/api/v1/rounds/konstanz-mai/registrations?lang=ar",
        json=newcomer(role="citizen", email="bad@", origin=None),
    )
    shown = re.search(r'<p class="error" id="error-email">(.*?)</p>', page.text)
    assert shown is not None
    api_messages = {e["field"]: e["message"] for e in api.json()["errors"]}
    assert api_messages["email"] == shown.group(1)


def test_letter_codes_work_the_same_through_the_api(
    client: TestClient, db: Session, codes: list[str]
) -> None:
    citizen = newcomer(role="citizen", email="anna@example.org", origin=None, code=None)
    missing = client.post("/api/v1/rounds/konstanz-mai/registrations?lang=en", json=citizen)
    assert missing.status_code == 422
    assert missing.json()["errors"] == [
        {"field": "code", "message": "Please enter the code from your letter."}
    ]
    citizen["code"] = codes[2]
    assert client.post("/api/v1/rounds/konstanz-mai/registrations", json=citizen).status_code == 202


def test_link_requests_answer_the_same_either_way(
    client: TestClient, db: Session, open_round: Round
) -> None:
    client.post("/api/v1/rounds/konstanz-mai/registrations", json=newcomer())
    known = client.post("/api/v1/link-requests", json={"email": "olena.melnyk@example.org"})
    unknown = client.post("/api/v1/link-requests", json={"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    invalid = client.post("/api/v1/link-requests?lang=en", json={"email": "x"})
    assert invalid.status_code == 422 and invalid.json()["errors"][0]["field"] == "email"


def test_the_schema_documents_the_api(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert "/api/v1/rounds/{slug}/registrations" in schema["paths"]
    assert "/me/{token}/calendar.ics" in schema["paths"]
