"""``vekl report``: the monitoring report of a round, or across rounds, as a file.

The same service as the organiser pages (``vekl.monitoring.service``): small counts are
withheld in every format.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path

import typer

from vekl.audit.records import cli_actor
from vekl.cli.context import console, err_console, settings, unit_of_work
from vekl.monitoring import service as monitoring


class Format(StrEnum):
    JSON = "json"
    CSV = "csv"
    PDF = "pdf"


def report(
    round: str | None = typer.Option(
        None, "--round", "-r", help="The round's short name; without it, across all rounds."
    ),
    format: Format = typer.Option(Format.JSON, "--format", "-f", help="json, csv or pdf."),
    out: Path | None = typer.Option(None, "--out", "-o", dir_okay=False, help="Write to FILE."),
) -> None:
    """The monitoring report for the city council, counts 1 to 4 shown as "<5"."""
    if format is Format.PDF and out is None:
        err_console.print("[red]error:[/red] a PDF needs --out FILE")
        raise typer.Exit(2)
    with unit_of_work() as session:
        published = monitoring.report(session, round)
        content = monitoring.export(published, format.value, settings().zone)
    if out is None:
        sys.stdout.write(content.decode())
        return
    out.write_bytes(content)
    console.print(f"Wrote the report ({format.value}, {len(content)} bytes) to {out}.")


def population(
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="CSV: dimension, category, share."
    ),
    round: str = typer.Option(..., "--round", "-r", help="The round's short name."),
) -> None:
    """Give the city's population shares a round's groups are compared with."""
    with unit_of_work() as session:
        count = monitoring.set_population_shares(session, round, file.read_bytes(), cli_actor())
    console.print(f"Saved {count} population shares for round {round}.")
