"""Entry point: assembles the command groups."""

from __future__ import annotations

import typer

from vekl.cli import (
    attendance,
    context,
    db,
    demo,
    feedback,
    imports,
    lottery,
    mail,
    matching,
    organiser_commands,
    registrations,
    report,
    rounds,
    serve,
    worker,
)

app = typer.Typer(
    cls=context.Commands,
    help="VEKL: registrations, matching and invitations for the Konstanz dialogue groups.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(db.app, name="db")
app.add_typer(rounds.app, name="round")
app.add_typer(imports.app, name="import")
app.add_typer(lottery.app, name="lottery")
app.add_typer(registrations.app, name="registrations")
app.add_typer(mail.app, name="mail")
app.add_typer(attendance.app, name="attendance")
app.add_typer(feedback.app, name="feedback")
app.add_typer(matching.runs_app, name="runs")
app.command("match")(matching.match)
app.command("rematch")(matching.rematch)
app.command("demo")(demo.demo)
app.command("worker")(worker.worker)
app.command("report")(report.report)
app.command("report-population")(report.population)
serve.register(app)
organiser_commands.register(app)
