from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from vekl.registration import csv_import
from vekl.rounds import service as rounds
from vekl.store.models import Round

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "konstanz-mai"
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def example_round(db: Session) -> Round:
    return rounds.create_round(db, rounds.load_round_file(EXAMPLE / "round.toml"), BERLIN, "test")


@pytest.fixture
def populated_round(db: Session, example_round: Round) -> Round:
    csv_import.import_moderators(
        db, example_round, (EXAMPLE / "moderators.csv").read_bytes(), "test"
    )
    csv_import.import_registrations(
        db, example_round, (EXAMPLE / "registrations.csv").read_bytes(), "test"
    )
    return example_round
