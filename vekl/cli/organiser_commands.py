"""``vekl admin`` (organiser accounts) and ``vekl purge`` (data retention).

``register`` adds both to the ``vekl`` command.
"""

from __future__ import annotations

from datetime import UTC, datetime

import typer

from vekl.access import organisers
from vekl.audit.records import cli_actor
from vekl.cli.context import console, settings, unit_of_work
from vekl.lottery import queries as lottery_queries
from vekl.lottery import service as lottery
from vekl.retention import service as retention

admin_app = typer.Typer(help="Organiser accounts for the web pages.", no_args_is_help=True)


def _password() -> str:
    password: str = typer.prompt(
        "Password (at least 10 characters)", hide_input=True, confirmation_prompt=True
    )
    return password


@admin_app.command("create-user")
def create_user(
    email: str = typer.Argument(..., help="The organiser's email (login name)."),
) -> None:
    """Create an organiser account; asks for the password twice."""
    password = _password()
    with unit_of_work() as session:
        organiser = organisers.create_user(session, email, password, actor=cli_actor())
        console.print(f"Organiser {organiser.email} created; log in at /organiser/login.")


@admin_app.command("set-password")
def set_password(email: str = typer.Argument(..., help="The organiser's email.")) -> None:
    """Give an organiser a new password; their open sessions end."""
    password = _password()
    with unit_of_work() as session:
        organisers.set_password(session, email, password, actor=cli_actor())
        console.print(f"New password set for {email}; open sessions were ended.")


def purge(
    dry_run: bool = typer.Option(False, "--dry-run", help="Only list what would be purged."),
) -> None:
    """Remove the personal data of rounds whose retention period has passed.

    Names, emails, phone numbers, free text, links, mails and calendar entries go; counts by
    role, language, series and outcome stay. Register extracts past their deadline
    (VEKL_LOTTERY_EXTRACT_DAYS after the import) are deleted too, and the hashes that keep
    earlier recipients out of a draw once they are older than VEKL_LOTTERY_EXCLUSION_YEARS.
    """
    now = datetime.now(UTC)
    config = settings()
    with unit_of_work() as session:
        if dry_run:
            for _, round in lottery_queries.lotteries_due(session, now):
                console.print(f"would delete the register extract of {round.slug}")
        else:
            extracts, exclusions = lottery.purge_due(
                session,
                actor=cli_actor(),
                now=now,
                exclusion_years=config.lottery_exclusion_years,
            )
            for slug, people in extracts:
                console.print(
                    f"deleted the register extract of {slug} ({people} people): its deadline "
                    "has passed"
                )
            if exclusions:
                console.print(f"deleted {exclusions} lottery exclusions older than the limit")
        due = retention.due_rounds(session, now)
        if not due:
            console.print("No round is past its retention period.")
            return
        for round in due:
            if dry_run:
                console.print(f"would purge {round.slug}")
                continue
            stats = retention.purge_round(session, round, actor=cli_actor(), now=now)
            console.print(
                f"purged {round.slug}: {stats['registrations']} registrations anonymised "
                "into counts"
            )


def register(app: typer.Typer) -> None:
    app.add_typer(admin_app, name="admin")
    app.command("purge")(purge)
