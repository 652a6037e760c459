"""``vekl import``: registrations and moderators from CSV files."""

from __future__ import annotations

from pathlib import Path

import typer

from vekl.audit.records import cli_actor
from vekl.cli.context import console, unit_of_work
from vekl.registration import csv_import
from vekl.registration.csv_import import ImportResult
from vekl.rounds import service as rounds

app = typer.Typer(help="Import CSV files (the formats are in the README).", no_args_is_help=True)

FileArg = typer.Argument(
    ..., exists=True, dir_okay=False, help="CSV file, UTF-8, ; or , separated."
)
RoundOpt = typer.Option(..., "--round", "-r", help="The round's short name.")


def _report(kind: str, result: ImportResult) -> None:
    console.print(
        f"{kind}: {result.created} new, {result.updated} updated, "
        f"{result.unchanged} unchanged, {len(result.skipped)} skipped."
    )
    for line in result.skipped:
        console.print(f"  skipped {line}", highlight=False)


@app.command("registrations")
def import_registrations(file: Path = FileArg, round: str = RoundOpt) -> None:
    """Import registrations; the whole file is refused if any row is bad."""
    with unit_of_work() as session:
        found = rounds.get_round(session, round)
        raw = csv_import.read_file(file)
        _report("registrations", csv_import.import_registrations(session, found, raw, cli_actor()))


@app.command("moderators")
def import_moderators(file: Path = FileArg, round: str = RoundOpt) -> None:
    """Import moderators; the whole file is refused if any row is bad."""
    with unit_of_work() as session:
        found = rounds.get_round(session, round)
        raw = csv_import.read_file(file)
        _report("moderators", csv_import.import_moderators(session, found, raw, cli_actor()))
