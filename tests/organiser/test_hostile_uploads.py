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
