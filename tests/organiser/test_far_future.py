"""A round stored with an evening in the year 9999 breaks neither the privacy notice nor the purge.

Validation refuses such evenings today, but a round stored earlier, or edited in the
database, may still have one. Its removal date lies beyond what a ``datetime`` can hold; the
other rounds' pages and purges must not notice.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.databases import fresh_database
from tests.dates import open_for_a_month
from tests.organiser.conftest import BERLIN, EXAMPLE
from vekl.cli import app as cli
from vekl.cli import context
from vekl.registration import online
from vekl.retention import service as retention
from vekl.rounds import service as rounds
from vekl.settings import get_settings
from vekl.store import migrate
from vekl.store.db import make_engine, make_sessionmaker, transaction
from vekl.store.models import Evening, Round, Series

FAR = datetime(9999, 12, 30, 18, 0, tzinfo=UTC)
PAST = datetime(2020, 3, 2, 18, 0, tzinfo=UTC)


def _round(session: Session, slug: str) -> Round:
    spec = rounds.load_round_file(EXAMPLE / "round.toml")
    spec = spec.model_copy(update={"slug": slug, "registration_deadline": open_for_a_month()})
    round = rounds.create_round(session, spec, BERLIN, "test")
    session.flush()
    return round


def _move_evenings(session: Session, round: Round, first: datetime) -> None:
    """Every evening of the round moved, straight in the store (no validation)."""
    evenings = session.scalars(
        select(Evening).join(Series).where(Series.round_id == round.id).order_by(Evening.id)
    )
    for number, evening in enumerate(evenings):
        evening.starts_at = first - timedelta(days=number)
        evening.ends_at = evening.starts_at + timedelta(hours=3)
    session.flush()
    session.expire_all()


def test_a_far_future_evening_has_a_removal_date_and_is_not_due(db: Session) -> None:
    odd = _round(db, "odd-round")
    _move_evenings(db, odd, FAR)
    odd.retention_days = 3650
    db.flush()

    due = retention.purge_due_at(db, odd)
    assert due is not None and due >= FAR
    assert online.retention_until(odd) == due
    assert not retention.is_due(db, odd, datetime.now(UTC))
    # Shown in any time zone without overflowing.
    assert due.astimezone(BERLIN).year == 9999


def test_one_odd_round_leaves_the_privacy_notice_to_the_others(
    db: Session, client: TestClient
) -> None:
    ordinary = _round(db, "ordinary-round")
    odd = _round(db, "odd-round")
    _move_evenings(db, odd, FAR)
    db.commit()

    everyone = client.get("/privacy?lang=en")
    assert everyone.status_code == 200, everyone.text
    assert ordinary.name_in("en") in everyone.text
    single = client.get("/privacy?lang=en&round=odd-round")
    assert single.status_code == 200, single.text
    assert "9999" in single.text


def test_one_odd_round_leaves_the_purge_to_the_others(db: Session) -> None:
    ordinary = _round(db, "ordinary-round")
    odd = _round(db, "odd-round")
    _move_evenings(db, ordinary, PAST)
    _move_evenings(db, odd, FAR)
    now = datetime.now(UTC)

    assert [r.slug for r in retention.due_rounds(db, now)] == [ordinary.slug]
    retention.purge_round(db, ordinary, actor="test", now=now)
    db.refresh(ordinary)
    assert ordinary.purged_at is not None
    assert retention.due_rounds(db, now) == []


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_the_purge_command_skips_the_odd_round(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with fresh_database(kind, tmp_path, "vekl_far") as url:
        migrate.upgrade(url)
        engine = make_engine(url)
        try:
            with transaction(make_sessionmaker(engine)) as session:
                _move_evenings(session, _round(session, "ordinary-round"), PAST)
                _move_evenings(session, _round(session, "odd-round"), FAR)
        finally:
            engine.dispose()
        monkeypatch.setenv("VEKL_DATABASE_URL", url)
        monkeypatch.setenv("VEKL_ENVIRONMENT", "development")
        get_settings.cache_clear()
        context.sessions.cache_clear()
        try:
            runner = CliRunner()
            listed = runner.invoke(cli, ["purge", "--dry-run"])
            assert listed.exit_code == 0, listed.output
            assert listed.output.split() == ["would", "purge", "ordinary-round"]
            purged = runner.invoke(cli, ["purge"])
            assert purged.exit_code == 0, purged.output
            assert "purged ordinary-round" in purged.output
            assert "odd-round" not in purged.output
        finally:
            context.sessions().kw["bind"].dispose()
            get_settings.cache_clear()
            context.sessions.cache_clear()
