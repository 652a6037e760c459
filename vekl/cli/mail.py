"""``vekl mail``: send what the outbox holds, and see what could not be sent."""

from __future__ import annotations

import time

import typer
from rich.table import Table

from vekl.audit.records import cli_actor
from vekl.cli.context import console, sessions, settings, unit_of_work
from vekl.mail import dispatch as mail_dispatch
from vekl.mail import planner as notify
from vekl.rounds import service as rounds

app = typer.Typer(help="Send queued mails and show the outbox.", no_args_is_help=True)


@app.command()
def send(
    loop: bool = typer.Option(False, "--loop", help="Keep running, sending as mails come due."),
    interval: float = typer.Option(15.0, help="Seconds between rounds with --loop."),
    batch_size: int = typer.Option(50, min=1, max=1000, help="Mails per SMTP connection."),
) -> None:
    """Send every mail that is due (SMTP if VEKL_SMTP_URL is set, else files in VEKL_MAIL_DIR)."""
    config = settings()
    transport = mail_dispatch.transport_for(config)
    console.print(f"sending through {transport!r}")
    while True:
        with unit_of_work() as session:
            reminders = notify.queue_reminders(session, settings=config)
        result = mail_dispatch.dispatch_all(
            sessions(), transport, secret_key=config.secret_key, batch_size=batch_size
        )
        if result.claimed or reminders or not loop:
            console.print(
                f"{result.sent} sent, {result.retrying} to retry, {result.failed} failed, "
                f"{result.expired} expired, {len(reminders)} reminders queued"
            )
        for error in result.errors:
            console.print(f"  [red]failed:[/red] {error}", highlight=False)
        if not loop:
            return
        time.sleep(interval)


@app.command()
def status(
    round: str | None = typer.Option(None, "--round", "-r", help="Only this round."),
) -> None:
    """Counts by state, and the mails that failed or wait for a retry, with the server's answer."""
    with unit_of_work() as session:
        round_id = rounds.get_round(session, round).id if round else None
        counts = mail_dispatch.status_counts(session, round_id)
        console.print(", ".join(f"{n} {state}" for state, n in counts.items()))
        problems = mail_dispatch.problem_mails(session, round_id)
        if problems:
            table = Table("mail", "kind", "to", "state", "tries", "answer", title="Needs attention")
            for mail in problems:
                table.add_row(
                    str(mail.id),
                    mail.kind,
                    mail.recipient,
                    mail.status.value,
                    str(mail.attempts),
                    mail.last_error or "",
                )
            console.print(table)


@app.command()
def retry(mail_id: int = typer.Argument(..., help="Mail id from `vekl mail status`.")) -> None:
    """Queue a failed or expired mail again (never one that is queued, being sent or sent)."""
    with unit_of_work() as session:
        mail_dispatch.retry(session, mail_id, cli_actor())
        console.print(f"mail {mail_id} queued again")
