"""A round to draw letters for, and register extracts to draw them from."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from tests.dates import open_for_a_month
from vekl.lottery import service as lottery
from vekl.lottery.schemas import PlanInput
from vekl.rounds import service as rounds
from vekl.store.models import LotteryWave, Round

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "konstanz-mai"
EXTRACT = EXAMPLE / "register-extract.csv"
SECRET = "test-secret-for-the-lottery-0123456789"
NOW = datetime.now(UTC).replace(microsecond=0)
HEADER = [
    "Familienname",
    "Vornamen",
    "Geburtsdatum",
    "Geschlecht",
    "Straße",
    "Hausnummer",
    "Hausnummerzusatz",
    "PLZ",
    "Ort",
    "Stadtteil",
]

MakeRound = Callable[[str], Round]


@pytest.fixture
def make_round(db: Session) -> MakeRound:
    def make(slug: str = "konstanz-mai") -> Round:
        spec = rounds.load_round_file(EXAMPLE / "round.toml")
        spec = spec.model_copy(update={"slug": slug, "registration_deadline": open_for_a_month()})
        return rounds.create_round(db, spec, ZoneInfo("Europe/Berlin"), "test")

    return make


@pytest.fixture
def lottery_round(make_round: MakeRound) -> Round:
    return make_round("konstanz-mai")


def csv_bytes(
    rows: Sequence[Sequence[str]],
    *,
    header: Sequence[str] = HEADER,
    delimiter: str = ";",
    encoding: str = "utf-8-sig",
) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def example_rows() -> list[list[str]]:
    text = EXTRACT.read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    return rows[1:]


def shuffled(rows: list[list[str]], seed: int) -> list[list[str]]:
    copy = list(rows)
    random.Random(seed).shuffle(copy)
    return copy


# Names and streets no round file, venue or other table holds: after the extract is deleted,
# none of them may be found anywhere.
MARKED_FAMILIES = ["Quastenberg", "Zwirbelhuber", "Ohnsorgmeier", "Knöpflewald"]
MARKED_GIVEN = ["Amalthea", "Ruprechtine", "Theobaldus", "Wunibald"]
MARKED_STREETS = ["Zitronenfalterweg", "Quittenhofgasse", "Mispelsteig"]


def marked_rows(count: int = 240) -> list[list[str]]:
    """``count`` people with names and streets that exist nowhere else, in 4 districts."""
    rng = random.Random(7)
    rows: list[list[str]] = []
    districts = ["Altstadt", "Paradies", "Egg", "Staad"]
    for i in range(count):
        year = 1940 + rng.randrange(0, 66)
        rows.append(
            [
                MARKED_FAMILIES[i % len(MARKED_FAMILIES)],
                f"{MARKED_GIVEN[i % len(MARKED_GIVEN)]} {i}",
                f"{1 + i % 28:02d}.{1 + i % 12:02d}.{year}",
                "w" if i % 2 else "m",
                MARKED_STREETS[i % len(MARKED_STREETS)],
                str(1 + i // 2),
                "",
                "78462",
                "Konstanz",
                districts[i % len(districts)],
            ]
        )
    return rows


def draw_wave(
    db: Session,
    round: Round,
    *,
    secret: str = SECRET,
    now: datetime = NOW,
    letters: int = 4,
    seed: str = "1 2 3",
) -> LotteryWave:
    """The round's first wave of ``letters`` letters, drawn from ``marked_rows()`` for one
    place in one stratum (a response of 1 in ``letters``); not committed."""
    lottery.import_extract(
        db, round, csv_bytes(marked_rows()), actor="test", now=now, extract_days=60
    )
    lottery.plan(
        db,
        round,
        PlanInput(places=1, dimensions=(), default_rate=1 / letters),
        secret=secret,
        actor="test",
        now=now,
        exclusion_years=3,
    )
    return lottery.draw(db, round, seed, secret=secret, actor="test", now=now, exclusion_years=3)
