"""``vekl feedback``: send the survey after the last evening, and see how many answered."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import typer

from vekl.audit.records import cli_actor
from vekl.cli.context import console, settings, unit_of_work
from vekl.feedback import service as feedback

app = typer.Typer(help="The survey after the last evening.", no_args_is_help=True)


@app.command()
def send(round: str = typer.Argument(..., help="The round's slug.")) -> None:
    """Invite every placed member and moderator whose last evening is over (once each)."""
    with unit_of_work() as session:
        sent = feedback.send(session, round, settings(), datetime.now(UTC), cli_actor())
    console.print(
        f"{sent.participants} participants and {sent.moderators} moderators invited",
        highlight=False,
    )


@app.command()
def status(
    round: str = typer.Argument(..., help="The round's slug."),
    as_json: bool = typer.Option(False, "--json", help="The figures as JSON, for the report."),
) -> None:
    """Invited, answered and due, by kind of respondent; the figures without names."""
    with unit_of_work() as session:
        view = feedback.overview(session, round, settings(), datetime.now(UTC))
    if as_json:
        typer.echo(json.dumps(view.figures, indent=2, sort_keys=True))
        return
    for kind in feedback.RESPONDENTS:
        invited = view.status.invited.get(kind, 0)
        answered = view.status.answered.get(kind, 0)
        console.print(f"{kind}: {invited} invited, {answered} answered", highlight=False)
    console.print(f"{view.status.due} due", highlight=False)
    figures = view.figures
    console.print(
        f"satisfaction {figures['satisfaction']}, met someone new {figures['met_someone_new']}, "
        f"would recommend {figures['would_recommend']}, mutual pairs {figures['mutual_pairs']} "
        f"(citizen and newcomer {figures['citizen_newcomer_pairs']})",
        highlight=False,
        markup=False,
    )
