"""``vekl import``: registrations and moderators from CSV files."""

from __future__ import annotations

from pathlib import Path

import typer

from vekl.audit.records import cli_actor
from vekl.cli.context import console, unit_of_work
from vekl.registration import csv_import
from vekl.registration.csv_import import ImportResult
from vekl.rounds import service as rounds
from vekl.store.models import ImportKind

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


def _import(kind: ImportKind, file: Path, slug: str) -> ImportResult:
    """The same checks and writes as an upload on the organiser pages, in the foreground.

    The file is read and checked before the writing transaction begins (on SQLite, before
    the write lock is taken); then it is written whole in one transaction, so an interrupted
    command leaves nothing behind.
    """
    with unit_of_work() as session:
        series = list(rounds.series_by_key(rounds.get_round(session, slug)))
    with unit_of_work() as session:
        checked = csv_import.check_file(csv_import.read_file(file), kind, series)
        found = rounds.get_round(session, slug)
        return csv_import.import_checked(session, found, kind, checked, cli_actor())


@app.command("registrations")
def import_registrations(file: Path = FileArg, round: str = RoundOpt) -> None:
    """Import registrations; the whole file is refused if any row is bad."""
    _report("registrations", _import(ImportKind.REGISTRATIONS, file, round))


@app.command("moderators")
def import_moderators(file: Path = FileArg, round: str = RoundOpt) -> None:
    """Import moderators; the whole file is refused if any row is bad."""
    _report("moderators", _import(ImportKind.MODERATORS, file, round))
