"""``vekl demo``: load the example round and run the pipeline on it."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import typer

from vekl.attendance import service as attendance
from vekl.audit.records import cli_actor
from vekl.cli.context import console, sessions, settings, unit_of_work
from vekl.cli.lottery import print_response
from vekl.cli.rounds import print_round
from vekl.feedback import demo as demo_feedback
from vekl.feedback import service as feedback
from vekl.lottery import letters as printing
from vekl.lottery import response as lottery_response
from vekl.lottery import service as lottery
from vekl.mail import dispatch as mail_dispatch
from vekl.mail import planner as notify
from vekl.monitoring import service as monitoring
from vekl.monitoring.schemas import TOTAL, Report
from vekl.registration import csv_import
from vekl.registration import service as registrations
from vekl.rounds import service as rounds
from vekl.runs import publishing
from vekl.runs import service as matching_runs
from vekl.settings import Settings
from vekl.store import migrate, problems

EXAMPLE = "konstanz-mai"
DEMO_TIME_LIMIT = 10.0
DROPOUT_REASON = "demo: cannot come after all"
# The seed of the demo's draw, as if read out at a council meeting: the same every time, so
# the demo draws the same letters every time.
DEMO_SEED = "7 19 23 31 42 48 / 5"
DEMO_PLAN = {"places": 15, "dimensions": ["age", "gender"]}
DEMO_ANSWERS = 12
# Laying out all of the wave's letters would take most of the demo's time; a specimen of
# the first ones shows what the print shop gets (its list and the protocol stay complete).
DEMO_LETTERS_SHOWN = 20


def _default_examples() -> Path:
    here = Path.cwd() / "examples"
    return here if here.is_dir() else Path(__file__).resolve().parents[2] / "examples"


def demo(
    examples: Path = typer.Option(
        None, help="Folder with konstanz-mai/ (default: ./examples).", file_okay=False
    ),
) -> None:
    """Load the example round into the configured database and run the pipeline on it."""
    folder = (examples or _default_examples()) / EXAMPLE
    config = settings()
    console.rule("VEKL demo")
    console.print(f"database: {problems.masked(config.database_url)}")
    if config.contact_email or config.controller_name:
        who = ", ".join(v for v in (config.controller_name, config.contact_email) if v)
        console.print(f"contact on pages and in mails: {who}")
    else:
        console.print(
            "no contact configured (VEKL_CONTROLLER_NAME, VEKL_CONTACT_EMAIL, …); "
            "examples/installation.env has the example's"
        )
    migrate.upgrade(config.database_url)
    console.print("1. schema created or upgraded")
    actor = cli_actor()
    with unit_of_work() as session:
        if session.scalar(rounds.select_round_id(EXAMPLE)) is not None:
            console.print(
                f"The example round {EXAMPLE!r} is already in this database; nothing was "
                "changed. Use a fresh database (make demo does) to run the demo again."
            )
            raise typer.Exit(0)
        spec = rounds.load_round_file(folder / "round.toml")
        round = rounds.create_round(session, spec, config.zone, actor)
        console.print(f"2. round {round.slug!r} created with {len(round.series)} series")
        result = csv_import.import_moderators(
            session, round, csv_import.read_file(folder / "moderators.csv"), actor
        )
        console.print(f"3. {result.created} moderators imported")
        result = csv_import.import_registrations(
            session, round, csv_import.read_file(folder / "registrations.csv"), actor
        )
        console.print(f"4. {result.created} registrations imported")
    _lottery(config, folder)
    with unit_of_work() as session:
        round = rounds.load_round_tree(session, EXAMPLE)
        print_round(round, rounds.status_counts(session, round))
    _match_publish_send(config, rematch=False, step=5)
    with unit_of_work() as session:
        round = rounds.get_round(session, EXAMPLE)
        dropped = registrations.drop_out_first_placed(session, round, 2, actor, DROPOUT_REASON)
        notify.resync_round(session, round, settings=config)
        console.print(f"8. {len(dropped)} participants dropped out; their evenings were cancelled")
    _match_publish_send(config, rematch=True, step=9)
    _synthetic_attendance(step=12)
    with unit_of_work() as session:
        round = rounds.get_round(session, EXAMPLE)
        sent, answered, introduced = demo_feedback.run(session, round, settings=config)
        figures = feedback.aggregates(session, round)
    console.print(
        f"13. as if after the last evenings: {sent.total} survey invitations, {answered} "
        f"synthetic answers, {introduced} pairs who both want to stay in touch introduced; "
        f"satisfaction {figures['satisfaction']}, met someone new {figures['met_someone_new']}",
        highlight=False,
        markup=False,
    )
    delivered = mail_dispatch.dispatch_all(
        sessions(), mail_dispatch.transport_for(config), secret_key=config.secret_key
    )
    console.print(f"14. {delivered.sent} mails sent to {config.mail_dir}")
    _report(config, step=15)
    console.rule("done")
    console.print(
        f"The mails are in {config.mail_dir.resolve()} (one .eml file each; open them in a "
        "mail program, the calendar files are attached)."
    )


def _cell(report: Report, section: str, table: str, row: str, column: str) -> str:
    """A published count as shown ("<5", "x" where withheld); "-" where there is none."""
    found = report.section(section)
    for one in found.tables if found is not None else []:
        if one.name == table and row in one.rows:
            line = one.rows.index(row)
            if column == TOTAL and one.row_totals is not None:
                return one.row_totals[line].display
            if column in one.columns:
                return one.cells[line][one.columns.index(column)].display
    return "-"


def _report(config: Settings, *, step: int) -> None:
    """The round's monitoring report as the council gets it: a few of its figures, and the
    report as PDF and JSON beside the mails."""
    with unit_of_work() as session:
        published = monitoring.round_report(session, EXAMPLE)
    folder = config.mail_dir.parent / "report"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.json").write_bytes(monitoring.export(published, "json", config.zone))
    (folder / "report.pdf").write_bytes(monitoring.export(published, "pdf", config.zone))
    sections = ", ".join(s.name for s in published.sections)
    encounters = published.section("encounters")
    console.print(
        f"{step}. the report's sections: {sections}. In groups: "
        f"{_cell(published, 'outcome', 'by_outcome', 'placed', TOTAL)}; "
        f"encounters ({encounters.basis if encounters else '-'}): "
        f"{_cell(published, 'encounters', 'encounters', 'pairs', 'count')} pairs; "
        f"came to every evening: {_cell(published, 'attendance', 'completion', 'completed', TOTAL)}"
        f"; would recommend: "
        f"{_cell(published, 'feedback', 'questions', 'would_recommend', 'yes')}; letters: "
        f"{sum(_letters(published))}. Small counts show as <5 (x: withheld to protect them). "
        f"PDF and JSON in {folder.resolve()}",
        soft_wrap=True,
        highlight=False,
        markup=False,
    )


def _letters(report: Report) -> list[int]:
    found = report.section("lottery")
    waves = next((t for t in found.tables if t.name == "letters_by_wave"), None) if found else None
    total = waves.total.count if waves is not None and waves.total is not None else None
    return [total] if total is not None else []


def _lottery(config: Settings, folder: Path) -> None:
    """The register lottery on the example's invented extract, with a fixed public seed.

    The example's citizens registered from a file; some of them stand for citizens who
    answered a letter, so the response table has something to count.
    """
    actor = cli_actor()
    now = datetime.now(UTC)
    with unit_of_work() as session:
        round = rounds.get_round(session, EXAMPLE)
        stored = lottery.import_extract(
            session,
            round,
            (folder / "register-extract.csv").read_bytes(),
            actor=actor,
            now=now,
            extract_days=config.lottery_extract_days,
        )
        planned = lottery.plan(
            session,
            round,
            lottery.parse_plan(DEMO_PLAN),
            secret=config.secret_key,
            actor=actor,
            now=now,
            exclusion_years=config.lottery_exclusion_years,
        )
        wave = lottery.draw(
            session,
            round,
            DEMO_SEED,
            secret=config.secret_key,
            actor=actor,
            now=now,
            exclusion_years=config.lottery_exclusion_years,
        )
        answered = lottery_response.answer_letters(session, round, DEMO_ANSWERS, now)
        console.print(
            f"4a. lottery: {stored.extract_rows} people in the invented register extract; "
            f"{planned.places} citizen places planned by age and gender; wave {wave.number} "
            f"drawn with the public seed {DEMO_SEED!r}: {wave.letters} letters; "
            f"{answered} citizens registered with a letter's code",
            soft_wrap=True,
            highlight=False,
        )
        print_response(lottery_response.response(session, round))
        # The wave's letters, the print shop's list and the protocol, beside the mails.
        printed = config.mail_dir.parent / "lottery"
        printed.mkdir(parents=True, exist_ok=True)
        letters_pdf = printed / f"welle-{wave.number}-briefe.pdf"
        shown = min(DEMO_LETTERS_SHOWN, wave.letters)
        letters_pdf.write_bytes(
            printing.letters_pdf(
                session, round, wave.number, config, actor=actor, now=now, first=shown
            )
        )
        (printed / f"welle-{wave.number}-druckerei.csv").write_bytes(
            printing.letters_csv(session, round, wave.number, config, actor=actor)
        )
        (printed / f"welle-{wave.number}-protokoll.pdf").write_bytes(
            printing.protocol_pdf(session, round, wave.number, config)
        )
        console.print(
            f"4b. letters (first {shown} of {wave.letters} letters), print shop list and "
            f"protocol of wave {wave.number} in {printed.resolve()}",
            soft_wrap=True,
            highlight=False,
        )


def _match_publish_send(config: Settings, *, rematch: bool, step: int) -> None:
    word = "rematch" if rematch else "matching"
    with unit_of_work() as session:
        round = rounds.get_round(session, EXAMPLE)
        run_id = matching_runs.start_run(
            session, round, actor=cli_actor(), time_limit=DEMO_TIME_LIMIT, rematch=rematch
        ).id
    console.print(f"{step}. {word}: solving for up to {DEMO_TIME_LIMIT:.0f} s ...")
    matching_runs.execute_run(sessions(), run_id)
    with unit_of_work() as session:
        run = matching_runs.get_run(session, run_id)
        console.print(
            f"   run {run.id}: {run.placed} placed in {len(run.groups)} groups, "
            f"{run.waitlisted} on the waiting list, {run.moves or 0} moved "
            f"(solver: {run.solver_status})"
        )
        changes = matching_runs.run_changes(run)
        if changes is not None:
            console.print(changes.text(), highlight=False)
        published = publishing.publish(session, EXAMPLE, run.id, settings=config, actor=cli_actor())
        kinds = Counter(mail.kind for mail in published.mails)
        console.print(
            f"{step + 1}. published; queued "
            + (", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items())) or "no mails")
        )
    result = mail_dispatch.dispatch_all(
        sessions(), mail_dispatch.transport_for(config), secret_key=config.secret_key
    )
    console.print(f"{step + 2}. {result.sent} mails sent to {config.mail_dir}")


def _came(participant_id: int, number: int) -> bool:
    """The demo's synthetic attendance: about nine in ten, the same on every run."""
    return (participant_id * 7 + number * 3) % 10 != 0


def _synthetic_attendance(*, step: int) -> None:
    """Every evening's attendance, as the organisers would enter it from the sign-in sheets
    once the evenings are over (the example's evenings lie ahead, so the service is told a
    moment after the last of them)."""
    with unit_of_work() as session:
        round = rounds.load_round_tree(session, EXAMPLE)
        evenings = [e for s in round.series for e in s.evenings]
        after = max(e.ends_at for e in evenings) + timedelta(days=1)
        for evening in evenings:
            sheet = attendance.evening_sheet(session, EXAMPLE, evening.id, now=after)
            given: dict[int, bool | None] = {
                m.participant.id: _came(m.participant.id, sheet.number)
                for group in sheet.groups
                for m in group.members
            }
            attendance.mark_by_organiser(
                session, EXAMPLE, evening.id, given, cli_actor(), now=after
            )
        figures = attendance.round_counts(session, round)
        present = sum(e.total.present for e in figures.evenings)
        absent = sum(e.total.absent for e in figures.evenings)
        completed = sum(figures.completed.values())
        members = sum(figures.members.values())
    console.print(
        f"{step}. synthetic attendance for {len(figures.evenings)} evenings: {present} present, "
        f"{absent} absent; {completed} of {members} members came to every evening"
    )
