"""Uploads the parsers cannot take are refused with a message, on the pages and on the CLI."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.organiser.conftest import LoggedIn
from vekl.store.models import Participant, Round

ROUND = "/organiser/rounds/konstanz-mai"
HEADER = "role;first_name;last_name;email;languages;series;consent"


def long_cell_file() -> bytes:
    return (
        f"{HEADER}\n"
        "citizen;Anna;Weber;anna@example.org;de;mon;ja\n"
        f"citizen;Ben;{'K' * 131_073};ben@example.org;de;mon;ja\n"
    ).encode()


def deep_toml() -> bytes:
    return b'slug = "tief"\nname = "Tief"\nx = ' + b"[" * 5000 + b"]" * 5000 + b"\n"


def _people(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Participant)) or 0


def test_a_csv_cell_over_the_parsers_limit_is_refused_naming_the_line(
    team: LoggedIn, example_round: Round, db: Session
) -> None:
    before = _people(db)
    response = team.post(
        f"{ROUND}/import/registrations",
        files={"file": ("people.csv", long_cell_file(), "text/csv")},
    )
    assert response.status_code == 422
    assert "Zeile 3, Spalte (row): nicht als CSV lesbar" in response.text
    assert _people(db) == before


def test_a_deeply_nested_round_file_is_refused(team: LoggedIn, db: Session) -> None:
    response = team.post(
        "/organiser/rounds/upload", files={"file": ("round.toml", deep_toml(), "text/plain")}
    )
    assert response.status_code == 422
    assert "kein gültiges TOML: zu tief verschachtelt" in response.text
    assert db.scalar(select(Round).where(Round.slug == "tief")) is None


def _round_file(series: int, dates: int) -> bytes:
    head = 'slug = "viele"\nname = "Viele Reihen"\n'
    days = ", ".join(f"2027-05-{day:02d}" for day in range(1, dates + 1))
    block = (
        '[[series]]\nkey = "s{n}"\nlabel = "Reihe {n}"\nvenue_name = "Saal"\n'
        'venue_address = "Markt 1, 78462 Konstanz"\ndates = [{days}]\n'
    )
    return (head + "".join(block.format(n=n, days=days) for n in range(series))).encode()


def test_a_round_file_is_small_or_refused_before_it_is_read(team: LoggedIn, db: Session) -> None:
    """A round file is read and its round created within the request: its size is bounded,
    and so are the series and evenings it may ask for."""
    too_large = b'slug = "gross"\nname = "Gross"\n' + b"# " + b"x" * (64 * 1024) + b"\n"
    response = team.post(
        "/organiser/rounds/upload", files={"file": ("round.toml", too_large, "text/plain")}
    )
    assert response.status_code == 409
    assert "Die Datei ist größer als 64 KB" in response.text
    many = team.post(
        "/organiser/rounds/upload",
        files={"file": ("round.toml", _round_file(51, 1), "text/plain")},
    )
    assert many.status_code == 422
    assert "series: darf höchstens 50 Einträge haben" in many.text
    long = team.post(
        "/organiser/rounds/upload",
        files={"file": ("round.toml", _round_file(1, 31), "text/plain")},
    )
    assert long.status_code == 422
    assert "series.0.dates: darf höchstens 30 Einträge haben" in long.text
    assert db.scalar(select(func.count()).select_from(Round)) == 0
    most = team.post(
        "/organiser/rounds/upload",
        files={"file": ("round.toml", _round_file(50, 30), "text/plain")},
    )
    assert most.status_code == 303, most.text
    created = db.scalar(select(Round).where(Round.slug == "viele"))
    assert created is not None and len(created.series) == 50
    assert sum(len(s.evenings) for s in created.series) == 50 * 30
