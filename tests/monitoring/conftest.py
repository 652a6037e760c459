"""The organiser fixtures (app, client, accounts, the example round) for the report's tests,
on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.organiser.conftest import (  # noqa: F401 (fixtures)
    app,
    client,
    example_round,
    organiser,
    quick_password_hashing,
    settings,
    solved_draft,
    team,
)
from vekl.registration import overview as registration_overview
from vekl.runs import service as matching_runs
from vekl.settings import Settings
from vekl.store.models import MatchingRun, Round


@pytest.fixture
def published(db: Session, example_round: Round, settings: Settings) -> MatchingRun:  # noqa: F811
    """The example round with its groups published and one placed person dropped out."""
    run = solved_draft(db, example_round)
    matching_runs.publish(db, run, "test")
    placed = run.groups[0].members[0].participant
    registration_overview.drop_out(
        db,
        example_round.slug,
        placed.id,
        f"{placed.first_name} ist umgezogen",
        settings,
        "test",
        category="moved",
    )
    db.flush()
    return run
