"""The migrations build exactly the schema the models describe, and can be undone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tests.databases import fresh_database
from tests.store.conftest import BERLIN, EXAMPLE
from vekl.jobs import service as jobs
from vekl.mail import sealing
from vekl.registration import csv_import
from vekl.rounds import service as rounds
from vekl.settings import get_settings
from vekl.store import migrate
from vekl.store.base import Base
from vekl.store.db import make_engine
from vekl.store.models import (
    CalendarEntry,
    CsvImport,
    Evening,
    ImportKind,
    ImportUpload,
    JobKind,
    MatchingRun,
    Participant,
    Round,
    RunStatus,
)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_upgrade_downgrade_upgrade_on_an_empty_database(kind: str, tmp_path: Path) -> None:
    with fresh_database(kind, tmp_path, "vekl_migrations") as url:
        migrate.upgrade(url)
        engine = make_engine(url)
        with engine.connect() as conn:
            assert migrate.current_revision(conn) == migrate.head_revision()
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
            assert diff == [], f"models and migrations differ: {diff}"
        engine.dispose()

        migrate.downgrade(url, "base")
        engine = make_engine(url)
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        engine.dispose()

        migrate.upgrade(url)
        engine = make_engine(url)
        assert "participants" in inspect(engine).get_table_names()
        engine.dispose()


def test_upgrading_twice_is_harmless(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'twice.sqlite3'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        before = {t: _columns(conn, t) for t in inspect(conn).get_table_names()}
    migrate.upgrade(url)
    with engine.connect() as conn:
        assert migrate.current_revision(conn) == migrate.head_revision()
        assert {t: _columns(conn, t) for t in inspect(conn).get_table_names()} == before
    engine.dispose()


def _columns(conn: Connection, table: str) -> list[str]:
    return [c["name"] for c in inspect(conn).get_columns(table)]


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_evenings_and_their_calendar_entries_survive_the_rename(kind: str, tmp_path: Path) -> None:
    """0005 turns ``sessions`` into ``evenings`` and keeps every row, both ways."""
    with fresh_database(kind, tmp_path, "vekl_rename") as url:
        _rename_both_ways(url)


def _rename_both_ways(url: str) -> None:
    migrate.upgrade(url)
    engine = make_engine(url)
    with Session(engine) as db:
        round = rounds.create_round(
            db, rounds.load_round_file(EXAMPLE / "round.toml"), BERLIN, "test"
        )
        csv_import.import_registrations(
            db, round, (EXAMPLE / "registrations.csv").read_bytes(), "test"
        )
        person = db.scalars(select(Participant)).first()
        assert person is not None
        evening = round.series[0].evenings[1]
        db.add(CalendarEntry(uid="u1@x", participant_id=person.id, evening_id=evening.id))
        db.commit()
        kept = sorted((e.id, e.starts_at) for s in round.series for e in s.evenings)
        evening_id = evening.id
    engine.dispose()

    migrate.downgrade(url, "0004")
    engine = make_engine(url)
    with engine.connect() as conn:
        assert "evenings" not in inspect(conn).get_table_names()
        assert conn.scalar(text("SELECT count(*) FROM sessions")) == len(kept)
        assert conn.scalar(text("SELECT session_id FROM calendar_entries")) == evening_id
    engine.dispose()

    migrate.upgrade(url)
    engine = make_engine(url)
    with Session(engine) as db:
        again = sorted((e.id, e.starts_at) for e in db.scalars(select(Evening)))
        assert again == kept
        entry = db.scalars(select(CalendarEntry)).one()
        assert entry.evening_id == evening_id
        db.add(
            Evening(
                series_id=entry_series(db, evening_id),
                starts_at=kept[0][1],
                ends_at=kept[0][1] + timedelta(hours=3),
            )
        )
        db.flush()  # a new evening gets a fresh id after the copied ones
    engine.dispose()


def entry_series(db: Session, evening_id: int) -> int:
    evening = db.get(Evening, evening_id)
    assert evening is not None
    return evening.series_id


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_outbox_bodies_are_sealed_and_sent_ones_dropped(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """0007 seals what has not gone out with the service's key, and drops what has."""
    secret = "migration-secret-key-0123456789"
    monkeypatch.setenv("VEKL_SECRET_KEY", secret)
    get_settings.cache_clear()
    with fresh_database(kind, tmp_path, "vekl_sealing") as url:
        migrate.upgrade(url, "0006")
        engine = make_engine(url)
        insert = text(
            "INSERT INTO outbox (message_id, kind, recipient, payload, status, attempts,"
            " created_at, next_attempt_at) VALUES (:id, 'test', 'a@example.org', :body,"
            " :status, 0, :now, :now)"
        )
        now = datetime.now(UTC)
        with engine.begin() as conn:
            conn.execute(
                insert, {"id": "<q@x>", "body": b"queued /me/t", "status": "queued", "now": now}
            )
            conn.execute(
                insert, {"id": "<s@x>", "body": b"sent /me/t", "status": "sent", "now": now}
            )
        engine.dispose()

        migrate.upgrade(url)
        engine = make_engine(url)
        with engine.connect() as conn:
            bodies: dict[str, bytes | None] = {
                row[0]: row[1]
                for row in conn.execute(text("SELECT message_id, payload FROM outbox"))
            }
        engine.dispose()
        assert bodies["<s@x>"] is None
        assert b"/me/" not in bytes(bodies["<q@x>"] or b"")
        assert sealing.unseal(secret, bytes(bodies["<q@x>"] or b"")) == b"queued /me/t"

        migrate.downgrade(url, "0006")
        engine = make_engine(url)
        with engine.connect() as conn:
            bodies = {
                row[0]: row[1]
                for row in conn.execute(text("SELECT message_id, payload FROM outbox"))
            }
        engine.dispose()
        assert bytes(bodies["<q@x>"] or b"None") == b"queued /me/t"
        assert bodies["<s@x>"] is not None and bytes(bodies["<s@x>"]) == b""
    get_settings.cache_clear()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_import_jobs_come_and_go_with_0011_and_the_job_rules_stay(
    kind: str, tmp_path: Path
) -> None:
    """0011 adds the import job kind to the CHECK constraint (a table rebuild on SQLite):
    the other rules of ``jobs`` must survive it both ways, and undoing it drops import jobs."""
    with fresh_database(kind, tmp_path, "vekl_imports") as url:
        migrate.upgrade(url)
        engine = make_engine(url)
        with Session(engine) as db:
            round = rounds.create_round(
                db, rounds.load_round_file(EXAMPLE / "round.toml"), BERLIN, "test"
            )
            imported = CsvImport(
                round_id=round.id, kind=ImportKind.REGISTRATIONS, size=3, created_by="test"
            )
            db.add(imported)
            db.flush()
            db.add(ImportUpload(import_id=imported.id, content=b"a;b"))
            jobs.enqueue(db, JobKind.IMPORT, import_id=imported.id)
            jobs.enqueue(db, JobKind.MAIL)
            db.commit()
        with engine.begin() as conn:
            assert conn.scalar(text("SELECT attempts FROM jobs WHERE kind = 'mail'")) == 0
        _refused(engine, "import")
        _refused(engine, "matching")
        _refused(engine, "bogus")
        engine.dispose()

        migrate.downgrade(url, "0010")
        engine = make_engine(url)
        with engine.begin() as conn:
            tables = set(inspect(conn).get_table_names())
            assert not {"imports", "import_uploads"} & tables
            assert "import_id" not in _columns(conn, "jobs")
            assert [row[0] for row in conn.execute(text("SELECT kind FROM jobs"))] == ["mail"]
        _refused(engine, "import")
        _refused(engine, "matching")
        engine.dispose()

        migrate.upgrade(url)
        engine = make_engine(url)
        with engine.connect() as conn:
            assert migrate.current_revision(conn) == migrate.head_revision()
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
            assert diff == [], f"models and migrations differ: {diff}"
        engine.dispose()


def _refused(engine: Engine, kind: str) -> None:
    """A job of ``kind`` without the run or import it needs, or of no known kind."""
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            text("INSERT INTO jobs (kind, status, created_at) VALUES (:kind, 'queued', :at)"),
            {"kind": kind, "at": "2027-01-01 00:00:00"},
        )


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_0013_numbers_existing_runs_within_their_rounds_and_starts_translations_empty(
    kind: str, tmp_path: Path
) -> None:
    """Runs made before 0013 are numbered in the order they were made, per round; rounds and
    series made before it have no translations, so everyone reads the German."""
    with fresh_database(kind, tmp_path, "vekl_numbers") as url:
        migrate.upgrade(url)
        engine = make_engine(url)
        spec = rounds.load_round_file(EXAMPLE / "round.toml")
        with Session(engine) as db:
            first = rounds.create_round(db, spec, BERLIN, "test")
            second = rounds.create_round(db, spec.model_copy(update={"slug": "zwei"}), BERLIN, "t")
            for round in (first, second, first, first, second):
                db.add(MatchingRun(round_id=round.id, status=RunStatus.DRAFT, problem={}))
                db.flush()
            db.commit()
            made = [(r.round_id, r.number) for r in db.scalars(select(MatchingRun).order_by("id"))]
            ids = (first.id, second.id)
        engine.dispose()
        assert made == [(ids[0], 1), (ids[1], 1), (ids[0], 2), (ids[0], 3), (ids[1], 2)]

        migrate.downgrade(url, "0012")
        engine = make_engine(url)
        with engine.connect() as conn:
            assert "number" not in _columns(conn, "matching_runs")
            assert "name_translations" not in _columns(conn, "rounds")
            assert "label_translations" not in _columns(conn, "series")
        engine.dispose()

        migrate.upgrade(url)
        engine = make_engine(url)
        with Session(engine) as db:
            again = [(r.round_id, r.number) for r in db.scalars(select(MatchingRun).order_by("id"))]
            assert again == made
            round = db.get_one(Round, ids[0])
            assert round.name_translations == {} and round.name_in("ar") == round.name
            monday = round.series[0]
            assert monday.label_translations == {} and monday.venue_name_translations == {}
            assert monday.label_in("uk") == monday.label
            # A run made now goes on from the highest number of its round.
            db.add(MatchingRun(round_id=ids[1], status=RunStatus.DRAFT, problem={}))
            db.commit()
            newest = db.scalars(select(MatchingRun).order_by(MatchingRun.id.desc())).first()
            assert newest is not None and newest.number == 3
            with pytest.raises(IntegrityError):
                db.add(MatchingRun(round_id=ids[1], number=3, status=RunStatus.DRAFT, problem={}))
                db.flush()
        engine.dispose()
