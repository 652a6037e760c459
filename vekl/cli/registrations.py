"""``vekl registrations``: who has registered."""

from __future__ import annotations

import typer
from rich.table import Table

from vekl.audit.records import cli_actor
from vekl.cli.context import console, settings, unit_of_work
from vekl.mail import planner as notify
from vekl.registration import service as registrations
from vekl.rounds import service as rounds
from vekl.store.models import DropoutCategory, RegistrationStatus, Role

app = typer.Typer(help="List registrations.", no_args_is_help=True)


@app.command("list")
def list_(
    round: str = typer.Option(..., "--round", "-r", help="The round's short name."),
    status: RegistrationStatus | None = typer.Option(None, help="Only this status."),
    role: Role | None = typer.Option(None, help="Only citizens or newcomers."),
    series: str | None = typer.Option(None, help="Only people who can attend this series."),
) -> None:
    """List registrations of a round (names and emails are shown: keep the screen private)."""
    with unit_of_work() as session:
        found = rounds.get_round(session, round)
        people = registrations.list_registrations(
            session, found, status=status, role=role, series_key=series
        )
        table = Table(
            "id",
            "name",
            "email",
            "role",
            "status",
            "languages",
            "series",
            "district",
            "origin",
            title=f"{len(people)} registrations in {found.slug}",
        )
        for p in people:
            table.add_row(
                str(p.id),
                p.full_name,
                p.email,
                p.role.value,
                p.status.value,
                " ".join(p.languages),
                " ".join(s.key for s in p.series),
                p.district or "-",
                p.origin or "-",
            )
        console.print(table)


@app.command()
def withdraw(
    participant_id: int = typer.Argument(..., help="Registration id (see `list`)."),
    round: str = typer.Option(..., "--round", "-r", help="The round's short name."),
    reason: str = typer.Option("dropped out", help="Kept for the organisers only."),
    reason_category: DropoutCategory = typer.Option(
        ...,
        "--reason-category",
        help="Why, counted in the monitoring report: "
        + ", ".join(c.value for c in DropoutCategory)
        + ".",
        case_sensitive=False,
    ),
) -> None:
    """Mark someone as dropped out; their evenings are cancelled and a rematch frees the place."""
    with unit_of_work() as session:
        found = rounds.get_round(session, round)
        person = registrations.get_participant(session, found, participant_id)
        registrations.withdraw(
            session, found, person, reason, cli_actor(), category=reason_category
        )
        queued = notify.resync_round(session, found, settings=settings())
        console.print(
            f"Registration {participant_id} withdrawn; {len(queued)} mails queued. "
            f"Run `vekl rematch -r {round}` to fill the place."
        )
