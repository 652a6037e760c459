"""``vekl round``: create and inspect rounds."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from vekl.audit.records import cli_actor
from vekl.cli.context import console, settings, unit_of_work
from vekl.rounds import service as rounds
from vekl.store.models import Round

app = typer.Typer(help="Create and show rounds.", no_args_is_help=True)


@app.command()
def create(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="Round file (TOML)."),
) -> None:
    """Create a round with its rules, series and evenings from a TOML file (see examples/)."""
    with unit_of_work() as session:
        spec = rounds.load_round_file(file)
        round = rounds.create_round(session, spec, settings().zone, cli_actor())
        console.print(f"Created round [bold]{round.slug}[/bold] with {len(round.series)} series.")


def print_round(round: Round, counts: dict[str, int]) -> None:
    zone = settings().zone
    console.print(f"[bold]{round.name}[/bold] ({round.slug}), status {round.status.value}")
    console.print(
        f"groups of {round.min_size}-{round.max_size}, newcomers "
        f"{round.newcomer_share_min:.0%}-{round.newcomer_share_max:.0%}, at most "
        f"{round.max_same_origin} of one origin, {round.moderators_per_group} moderator(s); "
        f"languages offered: {', '.join(round.languages_offered)}"
    )
    table = Table("series", "label", "venue", "step-free", "rooms", "evenings")
    for series in round.series:
        evenings = ", ".join(
            s.starts_at.astimezone(zone).strftime("%a %d.%m. %H:%M")
            + s.ends_at.astimezone(zone).strftime("-%H:%M")
            for s in series.evenings
        )
        table.add_row(
            series.key,
            series.label,
            f"{series.venue_name}, {series.venue_address}",
            "yes" if series.step_free else "no",
            str(series.rooms),
            evenings,
        )
    console.print(table)
    console.print(
        "registrations: " + ", ".join(f"{n} {status}" for status, n in counts.items()),
        f"; moderators: {len(round.moderators)}",
    )


@app.command()
def show(slug: str = typer.Argument(..., help="The round's short name.")) -> None:
    """Show a round: rules, series, evenings and registration counts."""
    with unit_of_work() as session:
        round = rounds.load_round_tree(session, slug)
        print_round(round, rounds.status_counts(session, round))


@app.command("list")
def list_() -> None:
    """List all rounds."""
    with unit_of_work() as session:
        table = Table("round", "name", "status", "deadline")
        for round in rounds.list_rounds(session):
            deadline = round.registration_deadline
            table.add_row(
                round.slug,
                round.name,
                round.status.value,
                deadline.astimezone(settings().zone).strftime("%Y-%m-%d %H:%M")
                if deadline
                else "-",
            )
        console.print(table)
