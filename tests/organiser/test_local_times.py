"""The organiser pages show and read times in VEKL_TIMEZONE, here Asia/Tokyo.

The example round's first evening is Monday 3 May 2027, 18:00 in Konstanz (16:00 UTC),
which is Tuesday 4 May, 01:00 in Tokyo.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from tests.organiser.conftest import LoggedIn
from vekl.settings import Settings
from vekl.store.models import Round

ROUND = "/organiser/rounds/konstanz-mai"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The suite's settings, in another zone than the city's."""
    return settings.model_copy(update={"timezone": "Asia/Tokyo"})


def test_dates_and_times_are_shown_in_the_configured_zone(
    team: LoggedIn, example_round: Round, db: Session
) -> None:
    example_round.registration_deadline = datetime(2027, 4, 20, 15, 0, tzinfo=UTC)
    db.commit()
    page = team.client.get(f"{ROUND}?lang=de")
    assert page.status_code == 200
    assert "21.4.2027 00:00" in page.text  # 17:00 in Konstanz
    setup = team.client.get(f"{ROUND}/setup")
    first = min((e for s in example_round.series for e in s.evenings), key=lambda e: e.starts_at)
    assert first.starts_at == datetime(2027, 5, 3, 16, 0, tzinfo=UTC)
    fields = f'id="e-{first.id}-day" name="day" type="date" required value="2027-05-04"'
    assert fields in setup.text
    assert f'id="e-{first.id}-start" name="start" type="time" required value="01:00"' in setup.text


def test_times_typed_in_are_read_in_the_configured_zone(
    team: LoggedIn, example_round: Round, db: Session
) -> None:
    response = team.post(
        f"{ROUND}/series/mon/evenings", {"day": "2027-06-07", "start": "18:30", "end": "20:00"}
    )
    assert response.status_code == 303, response.text
    db.refresh(example_round)
    starts = sorted(e.starts_at for s in example_round.series for e in s.evenings)
    assert datetime(2027, 6, 7, 9, 30, tzinfo=UTC) in starts  # 18:30 in Tokyo
