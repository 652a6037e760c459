"""Dates of a round are checked where they come in: the round file and the organiser forms."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from tests.organiser.conftest import BERLIN, EXAMPLE, LoggedIn
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
    assert '-day">muss zwischen' in far.text
    db.expire_all()
    assert len(example_round.series[0].evenings) == before
    evening = example_round.series[0].evenings[0]
    moved = team.post(
        f"{ROUND}/evenings/{evening.id}", {"day": "9999-12-30", "start": "18:00", "end": "21:00"}
    )
    assert moved.status_code == 422 and '-day">muss zwischen' in moved.text
    db.expire_all()
    assert evening.starts_at.year == 2027


def test_the_settings_form_refuses_a_deadline_far_away(
    team: LoggedIn, example_round: Round
) -> None:
    far = team.post(
        f"{ROUND}/settings",
        {"name": "x", "languages_offered": ["de"], "registration_deadline": "9999-01-01T12:00"},
    )
    assert far.status_code == 422 and 'id="error-registration_deadline">muss zwischen' in far.text


def test_a_round_file_with_a_date_twice_in_a_series_is_refused() -> None:
    data = _example()
    dates = data["series"][0]["dates"]  # type: ignore[index]
    dates.append(dates[0])
    with pytest.raises(InvalidInput) as info:
        rounds.parse_round_spec(data)
    assert _fields(info.value) == {
        "series.0": f"series.0: the date {dates[0].isoformat()} appears twice"
    }


def test_an_evening_starting_when_the_clocks_go_forward_is_refused(
    team: LoggedIn, example_round: Round, db: Session
) -> None:
    before = len(example_round.series[0].evenings)
    gap = team.post(
        f"{ROUND}/series/mon/evenings", {"day": "2027-03-28", "start": "02:15", "end": "04:00"}
    )
    assert gap.status_code == 422
    assert '-start">02:15 gibt es am 2027-03-28 nicht' in gap.text
    evening = example_round.series[0].evenings[0]
    moved = team.post(
        f"{ROUND}/evenings/{evening.id}", {"day": "2027-03-28", "start": "01:00", "end": "02:30"}
    )
    assert moved.status_code == 422 and '-end">02:30 gibt es am 2027-03-28 nicht' in moved.text
    # The hour the clocks go back exists (twice) and is taken as given.
    autumn = team.post(
        f"{ROUND}/series/mon/evenings", {"day": "2027-10-31", "start": "02:15", "end": "03:00"}
    )
    assert autumn.status_code == 303, autumn.text
    db.expire_all()
    assert len(example_round.series[0].evenings) == before + 1


def test_a_second_evening_on_the_same_day_of_a_series_is_refused(
    team: LoggedIn, example_round: Round, db: Session
) -> None:
    mon = example_round.series[0]
    first, second = mon.evenings[0], mon.evenings[1]
    day = first.starts_at.astimezone(BERLIN).date().isoformat()
    twice = team.post(
        f"{ROUND}/series/mon/evenings", {"day": day, "start": "10:00", "end": "12:00"}
    )
    assert twice.status_code == 422
    assert f'-day">die Reihe hat am {day} schon einen Abend' in twice.text
    moved = team.post(
        f"{ROUND}/evenings/{second.id}", {"day": day, "start": "18:00", "end": "21:00"}
    )
    assert moved.status_code == 422 and "schon einen Abend" in moved.text
    # An evening may keep its own day when only its times change.
    same = team.post(f"{ROUND}/evenings/{first.id}", {"day": day, "start": "18:30", "end": "21:00"})
    assert same.status_code == 303, same.text
    db.expire_all()
    assert len(mon.evenings) == 3
