"""``vekl attendance``: the sign-in sheet entered from the command line, through the same service
as the organiser pages; the counts for the monitoring report."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from typer.testing import CliRunner

from tests.attendance_setup import first_evening_began, group_of, person
from tests.cli.test_matching_commands import run
from tests.dates import open_for_a_month
from vekl.cli.main import app
from vekl.rounds import service as rounds
from vekl.store.db import make_engine, make_sessionmaker, transaction
from vekl.store.models import Attendance, AuditEntry, Role

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "konstanz-mai"


def _setup(database: Path) -> tuple[int, int, int]:
    """Karim and Lea in a published Monday group; evening 1 is over, evening 2 is not."""
    engine = make_engine(f"sqlite:///{database}")
    try:
        with transaction(make_sessionmaker(engine)) as session:
            spec = rounds.load_round_file(EXAMPLE / "round.toml")
            spec = spec.model_copy(update={"registration_deadline": open_for_a_month()})
            round = rounds.create_round(session, spec, ZoneInfo("Europe/Berlin"), "test")
            karim = person(session, round, "Karim", "Haddad")
            lea = person(session, round, "Lea", "Berger", role=Role.CITIZEN)
            stranger = person(session, round, "Olena", "Melnyk")
            group_of(session, round, [karim, lea])
            first_evening_began(session, round, timedelta(days=3))
            return karim.id, lea.id, stranger.id
    finally:
        engine.dispose()


def _state(database: Path) -> tuple[dict[int, bool], list[str]]:
    engine = make_engine(f"sqlite:///{database}")
    try:
        with transaction(make_sessionmaker(engine)) as session:
            marks = {a.participant_id: a.present for a in session.scalars(select(Attendance))}
            actors = [
                e.actor
                for e in session.scalars(
                    select(AuditEntry).where(AuditEntry.action.like("attendance.%"))
                )
            ]
            return marks, actors
    finally:
        engine.dispose()


def test_marks_from_the_command_line_show_up_and_count(runner: CliRunner, cli_env: Path) -> None:
    database = cli_env / "cli.sqlite3"
    run(runner, "db", "upgrade")
    karim, lea, _ = _setup(database)

    out = run(
        runner, "attendance", "mark", "-r", "konstanz-mai", "-e", "1", "--series", "mon",
        "--present", str(karim), "--absent", str(lea),
    )  # fmt: skip
    assert "2 marks changed" in out
    marks, actors = _state(database)
    assert marks == {karim: True, lea: False}
    assert len(actors) == 2 and all(a.startswith("cli") for a in actors)

    shown = run(runner, "attendance", "show", "-r", "konstanz-mai", "-e", "1", "--series", "mon")
    assert "Karim Haddad" in shown and "present" in shown and "absent" in shown

    figures = json.loads(run(runner, "attendance", "counts", "-r", "konstanz-mai"))
    first = figures["evenings"][0]
    assert (first["series"], first["number"]) == ("mon", 1)
    assert first["by_role"]["newcomer"] == {"expected": 1, "present": 1, "absent": 0, "unmarked": 0}
    assert first["by_role"]["citizen"] == {"expected": 1, "present": 0, "absent": 1, "unmarked": 0}
    assert "Karim" not in json.dumps(figures)


def test_bad_marks_change_nothing(runner: CliRunner, cli_env: Path) -> None:
    database = cli_env / "cli.sqlite3"
    run(runner, "db", "upgrade")
    karim, _, stranger = _setup(database)
    base = ["attendance", "mark", "-r", "konstanz-mai", "--series", "mon"]

    outsider = runner.invoke(app, [*base, "-e", "1", "-p", str(karim), "-p", str(stranger)])
    assert outsider.exit_code == 1
    assert f"registration {stranger} is not in a group" in outsider.output

    early = runner.invoke(app, [*base, "-e", "2", "-p", str(karim)])
    assert early.exit_code == 1
    assert "evening 2 has not begun yet" in early.output

    several = runner.invoke(
        app, ["attendance", "mark", "-r", "konstanz-mai", "-e", "1", "-p", str(karim)]
    )
    assert several.exit_code == 2 and "give --series" in several.output
    beyond = runner.invoke(app, ["attendance", "show", "-r", "konstanz-mai", "-e", "9"])
    assert beyond.exit_code == 2 and "has an evening 9" in beyond.output
    assert _state(database) == ({}, [])
