"""``vekl demo``: load the example round and run the pipeline on it."""

from __future__ import annotations

from pathlib import Path

import typer

from vekl.cli.context import console, settings, unit_of_work
from vekl.cli.rounds import print_round
from vekl.services import csv_import, rounds
from vekl.services.audit import cli_actor
from vekl.store import migrate

EXAMPLE = "konstanz-mai"


def _default_examples() -> Path:
    here = Path.cwd() / "examples"
    return here if here.is_dir() else Path(__file__).resolve().parents[2] / "examples"


def demo(
    examples: Path = typer.Option(
        None, help="Folder with konstanz-mai/ (default: ./examples).", file_okay=False
    ),
) -> None:
    """Load the example round into the configured database and run the pipeline on it."""
    folder = (examples or _default_examples()) / EXAMPLE
    config = settings()
    console.rule("VEKL demo")
    console.print(f"database: {config.database_url}")
    migrate.upgrade(config.database_url)
    console.print("1. schema created or upgraded")
    actor = cli_actor()
    with unit_of_work() as session:
        if session.scalar(rounds.select_round_id(EXAMPLE)) is not None:
            console.print(
                f"The example round {EXAMPLE!r} is already in this database; nothing was "
                "changed. Use a fresh database (make demo does) to run the demo again."
            )
            raise typer.Exit(0)
        spec = rounds.load_round_file(folder / "round.toml")
        round = rounds.create_round(session, spec, config.zone, actor)
        console.print(f"2. round {round.slug!r} created with {len(round.series)} series")
        result = csv_import.import_moderators(
            session, round, csv_import.read_file(folder / "moderators.csv"), actor
        )
        console.print(f"3. {result.created} moderators imported")
        result = csv_import.import_registrations(
            session, round, csv_import.read_file(folder / "registrations.csv"), actor
        )
        console.print(f"4. {result.created} registrations imported")
    with unit_of_work() as session:
        round = rounds.load_round_tree(session, EXAMPLE)
        print_round(round, rounds.status_counts(session, round))
