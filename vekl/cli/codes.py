"""``vekl codes``: codes for the lottery letters."""

from __future__ import annotations

from pathlib import Path

import typer

from notifications.spreadsheet import SpreadsheetWriter
from vekl.access import links
from vekl.audit.records import cli_actor
from vekl.cli.context import console, settings, unit_of_work
from vekl.registration import letter_codes
from vekl.rounds import service as rounds

app = typer.Typer(help="Codes for the lottery letters.", no_args_is_help=True)


@app.command()
def generate(
    round: str = typer.Option(..., "--round", "-r", help="The round's short name."),
    count: int = typer.Option(..., "--count", "-n", min=1, max=100_000, help="How many codes."),
    out: Path = typer.Option(..., "--out", "-o", dir_okay=False, help="CSV file to write."),
) -> None:
    """Create codes and write them with their personal addresses for the mail merge.

    The file is the only place the codes exist in readable form (the database keeps keyed
    hashes): hand it to the printer and delete it afterwards.
    """
    if out.exists():
        console.print(f"[red]{out} exists already; not overwriting a file of codes.[/red]")
        raise typer.Exit(1)
    config = settings()
    with unit_of_work() as session:
        found = rounds.get_round(session, round)
        codes = letter_codes.generate(
            session, found, count, secret=config.secret_key, actor=cli_actor()
        )
        # Written inside the transaction: if the file cannot be written, no codes are stored.
        with out.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = SpreadsheetWriter(handle, delimiter=";")
            writer.writerow(["code", "url"])
            for code in codes:
                writer.writerow([code, links.letter_url(config, code)])
    console.print(f"Wrote {len(codes)} codes for {found.slug} to {out}.")
