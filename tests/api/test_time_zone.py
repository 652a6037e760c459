"""A deployment in another zone (VEKL_TIMEZONE=Asia/Tokyo) shows its own local times.

Pages and mails get the zone from the settings; nothing falls back to Konstanz time.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.api.conftest import EXAMPLE, mails, newcomer_form, settle, text_of
from vekl.rounds import service as rounds
from vekl.settings import Settings
from vekl.store.models import Participant, Round

TOKYO = ZoneInfo("Asia/Tokyo")
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The suite's settings, in another zone than the city's."""
    return settings.model_copy(update={"timezone": "Asia/Tokyo"})


@pytest.fixture
def tokyo_round(db: Session) -> Round:
    """Registration closes at 23:59 in Tokyo, which is 16:59 in Konstanz."""
    spec = rounds.load_round_file(EXAMPLE / "round.toml")
    spec = spec.model_copy(update={"registration_deadline": datetime(2030, 4, 20, 23, 59)})
    round = rounds.create_round(db, spec, TOKYO, "test")
    settle(db)
    return round


def test_the_registration_page_shows_the_deadline_in_the_configured_zone(
    client: TestClient, tokyo_round: Round
) -> None:
    page = client.get("/rounds/konstanz-mai?lang=en")
    assert page.status_code == 200
    assert "You can register until 20 April 2030, 23:59." in page.text
    assert "16:59" not in page.text
    german = client.get("/rounds/konstanz-mai?lang=de")
    assert "20. April 2030, 23:59" in german.text


def test_a_mail_sent_from_the_app_uses_the_configured_zone(
    client: TestClient, db: Session, tokyo_round: Round
) -> None:
    response = client.post(
        "/rounds/konstanz-mai/register?lang=en",
        data=newcomer_form(preferred_language="en"),
        follow_redirects=False,
    )
    assert response.status_code == 303
    person = db.scalars(select(Participant)).one()
    [mail] = mails(db, "registration_confirmation")
    assert str(mail["Date"]).endswith("+0900")
    valid_until = person.created_at + timedelta(days=7)
    local = valid_until.astimezone(TOKYO).strftime("%H:%M")
    konstanz = valid_until.astimezone(BERLIN).strftime("%H:%M")
    assert local != konstanz
    text = text_of(mail)  # "The link is valid until Monday, 7 December 2026, 18:46."
    assert f", {local}." in text and konstanz not in text, text
