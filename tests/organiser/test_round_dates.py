"""Dates of a round are checked where they come in: the round file and the organiser forms."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from tests.organiser.conftest import EXAMPLE, LoggedIn
from vekl.errors import InvalidInput
from vekl.rounds import service as rounds
from vekl.store.models import Round

ROUND = "/organiser/rounds/konstanz-mai"


def _example() -> dict[str, object]:
    return tomllib.loads((EXAMPLE / "round.toml").read_text(encoding="utf-8"))


def _fields(error: InvalidInput) -> dict[str, str]:
    return {e.field: str(e) for e in error.errors}


def test_a_round_file_with_an_evening_in_the_year_9999_is_refused() -> None:
    data = _example()
    data["series"][1]["dates"].append(datetime(9999, 12, 30).date())  # type: ignore[index]
    with pytest.raises(InvalidInput) as info:
        rounds.parse_round_spec(data)
    fields = _fields(info.value)
    assert list(fields) == ["series.1.dates.3"]
    assert "must lie between" in fields["series.1.dates.3"]


def test_a_round_file_with_a_deadline_far_away_is_refused() -> None:
    data = {**_example(), "registration_deadline": datetime(9999, 1, 1, 12, 0)}
    with pytest.raises(InvalidInput) as info:
        rounds.parse_round_spec(data)
    assert list(_fields(info.value)) == ["registration_deadline"]


def test_dates_within_a_few_years_are_accepted() -> None:
    data = _example()
    this_year = datetime.now(UTC).year
    data["series"][0]["dates"] = [datetime(this_year + 4, 6, 1).date()]  # type: ignore[index]
    assert rounds.parse_round_spec(data).series[0].dates[0].year == this_year + 4


def test_the_evening_form_refuses_a_day_far_away(
    team: LoggedIn, example_round: Round, db: Session
) -> None:
    before = len(example_round.series[0].evenings)
    far = team.post(
        f"{ROUND}/series/mon/evenings", {"day": "9999-12-30", "start": "18:00", "end": "21:00"}
    )
    assert far.status_code == 422
    assert "day: muss zwischen" in far.text
    db.expire_all()
    assert len(example_round.series[0].evenings) == before
    evening = example_round.series[0].evenings[0]
    moved = team.post(
        f"{ROUND}/evenings/{evening.id}", {"day": "9999-12-30", "start": "18:00", "end": "21:00"}
    )
    assert moved.status_code == 422 and "day: muss zwischen" in moved.text
    db.expire_all()
    assert evening.starts_at.year == 2027


def test_the_settings_form_refuses_a_deadline_far_away(
    team: LoggedIn, example_round: Round
) -> None:
    far = team.post(
        f"{ROUND}/settings",
        {"name": "x", "languages_offered": ["de"], "registration_deadline": "9999-01-01T12:00"},
    )
    assert far.status_code == 422 and "registration_deadline: muss zwischen" in far.text
