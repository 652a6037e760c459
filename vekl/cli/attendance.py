"""``vekl attendance``: who came to an evening, entered from the sign-in sheet; the counts."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import typer
from rich.table import Table

from vekl.attendance import service as attendance
from vekl.audit.records import cli_actor
from vekl.cli.context import console, settings, unit_of_work
from vekl.rounds import service as rounds
from vekl.runs.placements import group_label

app = typer.Typer(help="Attendance per evening.", no_args_is_help=True)

ROUND = typer.Option(..., "--round", "-r", help="The round's short name.")
EVENING = typer.Option(..., "--evening", "-e", min=1, help="Which evening: 1 for the first.")


def _mark(present: bool | None) -> str:
    return {True: "present", False: "absent", None: "-"}[present]


@app.command()
def show(
    round: str = ROUND,
    evening: int = EVENING,
    series: str | None = typer.Option(None, help="Only this series (its key)."),
) -> None:
    """Who came to evening N of each series (names are shown: keep the screen private)."""
    now = datetime.now(UTC)
    zone = settings().zone
    with unit_of_work() as session:
        evenings = attendance.find_evenings(session, round, evening, series)
        if not evenings:
            raise typer.BadParameter(f"no series of round {round!r} has an evening {evening}")
        for found in evenings:
            sheet = attendance.evening_sheet(session, round, found.id, now=now)
            begins = found.starts_at.astimezone(zone)
            table = Table(
                "id",
                "name",
                "group",
                "attendance",
                title=f"{found.series.key}: evening {sheet.number}, {begins:%Y-%m-%d %H:%M}",
            )
            for group in sheet.groups:
                for member in group.members:
                    person = member.participant
                    table.add_row(
                        str(person.id),
                        person.full_name,
                        group_label(group.group),
                        _mark(member.present),
                    )
            console.print(table)
            if not sheet.started:
                console.print("This evening has not begun yet.")


@app.command()
def mark(
    round: str = ROUND,
    evening: int = EVENING,
    series: str | None = typer.Option(
        None, help="The series (its key); needed where the round has more than one."
    ),
    present: list[int] = typer.Option([], "--present", "-p", help="Registration id that came."),
    absent: list[int] = typer.Option([], "--absent", "-a", help="Registration id that did not."),
    clear: list[int] = typer.Option([], "--clear", help="Registration id to mark as not recorded."),
) -> None:
    """Record or correct who came, as the organiser pages do (all or nothing)."""
    given: dict[int, bool | None] = {}
    for ids, value in ((present, True), (absent, False), (clear, None)):
        for pid in ids:
            if pid in given:
                raise typer.BadParameter(f"registration {pid} is given twice")
            given[pid] = value
    if not given:
        raise typer.BadParameter("give at least one --present, --absent or --clear")
    with unit_of_work() as session:
        found = attendance.find_evenings(session, round, evening, series)
        if len(found) != 1:
            keys = ", ".join(e.series.key for e in found) or "none"
            raise typer.BadParameter(
                f"evening {evening} is in several series ({keys}); give --series"
            )
        saved = attendance.mark_by_organiser(
            session, round, found[0].id, given, cli_actor(), now=datetime.now(UTC)
        )
        console.print(
            f"Evening {evening} of {found[0].series.key}: {saved.changed} marks changed "
            f"({saved.present} present, {saved.absent} absent given)."
        )


@app.command()
def counts(round: str = ROUND) -> None:
    """The round's attendance as counts by evening and role, and completion (JSON, no names)."""
    with unit_of_work() as session:
        found = rounds.get_round(session, round)
        figures = attendance.round_counts(session, found).as_dict()
    console.print_json(json.dumps(figures))
