"""After a purge, no name, email or phone number of the round is anywhere in the database.

The round is taken through everything that stores personal data: registrations with free
text, links, letter codes, a published grouping with its mails (sent) and calendar entries,
a dropout. Then every text, JSON and binary column of every table is searched.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import JSON, LargeBinary, String, Text, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.organiser.conftest import solved_draft
from vekl.access import tokens
from vekl.cli import app as cli
from vekl.errors import Conflict
from vekl.mail import planner as notify
from vekl.registration import letter_codes
from vekl.registration import overview as registration_overview
from vekl.retention import service as retention
from vekl.runs import service as matching_runs
from vekl.settings import Settings
from vekl.store.base import Base
from vekl.store.models import AuditEntry, Moderator, Participant, Round, RoundStatistics


def _personal_data(db: Session, round: Round) -> set[str]:
    found: set[str] = set()
    for person in db.scalars(select(Participant).where(Participant.round_id == round.id)):
        found |= {person.full_name, person.email, f"{person.last_name}, {person.first_name}"}
        if person.phone:
            found.add(person.phone)
        if person.needs_other:
            found.add(person.needs_other)
    for moderator in db.scalars(select(Moderator).where(Moderator.round_id == round.id)):
        found |= {moderator.name, moderator.email}
    return found


def _stored_text(db: Session) -> list[tuple[str, str, str]]:
    """(table, column, text) for every value of a text, JSON or binary column."""
    out = []
    for table in Base.metadata.sorted_tables:
        columns = [
            c for c in table.columns if isinstance(c.type, (String, Text, JSON, LargeBinary))
        ]
        if not columns:
            continue
        for row in db.execute(select(*columns)):
            for column, value in zip(columns, row, strict=True):
                if value is None:
                    continue
                if isinstance(value, bytes):
                    text = value.decode("utf-8", "replace")
                elif isinstance(value, (dict, list)):
                    text = json.dumps(value, ensure_ascii=False)
                else:
                    text = str(value)
                out.append((table.name, column.name, text))
    return out


def test_a_purge_leaves_no_personal_data_and_keeps_counts(
    db: Session, example_round: Round, settings: Settings
) -> None:
    round = example_round
    people = list(db.scalars(select(Participant).where(Participant.round_id == round.id)))
    people[0].needs_other = "Bitte einen Platz nahe der Tür, Rollator"
    for person in people[:5]:
        tokens.replace(person, settings.secret_key)
    for moderator in db.scalars(select(Moderator).where(Moderator.round_id == round.id)):
        tokens.replace(moderator, settings.secret_key)
    letter_codes.generate(db, round, 3, secret=settings.secret_key, actor="test")
    run = solved_draft(db, round)
    publication = matching_runs.publish(db, run, "test")
    assert notify.publication_mails(db, publication, settings=settings)
    placed = run.groups[0].members[0].participant
    registration_overview.drop_out(
        db,
        round.slug,
        placed.id,
        f"{placed.first_name} ist umgezogen",
        settings,
        "test",
        category="moved",
    )
    secrets = _personal_data(db, round)
    before = _stored_text(db)
    assert any(s in text for s in secrets for _, _, text in before), "the test sees nothing"

    last = retention.last_evening(db, round)
    assert last is not None
    too_early = last + timedelta(days=round.retention_days - 1)
    with pytest.raises(Conflict):
        retention.purge_round(db, round, actor="test", now=too_early)
    due = last + timedelta(days=round.retention_days, minutes=1)
    assert [r.slug for r in retention.due_rounds(db, due)] == [round.slug]
    stats = retention.purge_round(db, round, actor="organiser:team@konstanz.example", now=due)

    leaks = [
        (table, column, secret)
        for table, column, text in _stored_text(db)
        for secret in secrets
        if re.search(re.escape(secret), text, re.IGNORECASE)
    ]
    assert leaks == []
    kept = db.get(RoundStatistics, round.id)
    assert kept is not None and kept.data == stats
    assert stats["registrations"] == len(people)
    assert sum(stats["by_role"].values()) == len(people)
    assert stats["by_status"]["withdrawn"] == 1
    assert sum(s["placed"] for s in stats["by_series"].values()) == run.placed
    db.refresh(round)
    assert round.purged_at == due
    assert db.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "round.purge", AuditEntry.round_id == round.id
        )
    )
    assert retention.due_rounds(db, due + timedelta(days=1)) == []
    with pytest.raises(Conflict):
        retention.purge_round(db, round, actor="test", now=due)


def test_the_purge_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from vekl.cli import context
    from vekl.settings import get_settings

    monkeypatch.setenv("VEKL_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("VEKL_ENVIRONMENT", "development")
    get_settings.cache_clear()
    context.sessions.cache_clear()
    try:
        runner = CliRunner()
        example = Path(__file__).resolve().parents[2] / "examples" / "konstanz-mai"
        assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
        assert runner.invoke(cli, ["round", "create", str(example / "round.toml")]).exit_code == 0
        # The example's evenings lie ahead: nothing is due.
        result = runner.invoke(cli, ["purge", "--dry-run"])
        assert result.exit_code == 0 and "No round" in result.output
        created = runner.invoke(
            cli,
            ["admin", "create-user", "team@konstanz.example"],
            input="kurz\nkurz\n",
        )
        assert created.exit_code == 2, created.output
        created = runner.invoke(
            cli,
            ["admin", "create-user", "team@konstanz.example"],
            input="lange-genug-und-geheim\nlange-genug-und-geheim\n",
        )
        assert created.exit_code == 0, created.output
        assert "lange-genug" not in created.output
    finally:
        get_settings.cache_clear()
        context.sessions.cache_clear()


def test_due_date_follows_the_last_evening(db: Session, example_round: Round) -> None:
    last = retention.last_evening(db, example_round)
    assert last is not None and last > datetime(2027, 5, 1, tzinfo=UTC)
    assert retention.purge_due_at(db, example_round) == last + timedelta(days=90)
