"""``vekl match``, ``vekl rematch`` and ``vekl runs``: forming groups from the command line."""

from __future__ import annotations

from typing import Any

import typer
from rich.live import Live
from rich.table import Table

import matching
from vekl.audit.records import cli_actor
from vekl.cli.context import console, err_console, sessions, settings, unit_of_work
from vekl.errors import ServiceError
from vekl.rounds import service as rounds
from vekl.runs import publishing
from vekl.runs import service as matching_runs
from vekl.store.models import MatchingRun

RoundOpt = typer.Option(..., "--round", "-r", help="The round's short name.")
TimeOpt = typer.Option(10.0, "--time-limit", "-t", min=1.0, help="Seconds the solver may take.")
RunOpt = typer.Option(None, "--run", help="Run id (default: the newest draft).")


def _progress_table(p: matching.Progress | None, limit: float) -> Table:
    table = Table("elapsed", "phase", "placed", "best", "bound", box=None)
    if p is None:
        table.add_row("0.0 s", "preparing", "-", "-", "-")
    else:
        table.add_row(
            f"{p.elapsed:.1f} / {limit:.0f} s",
            str(p.phase),
            str(p.placed) if p.placed_bound is None else f"{p.placed} of at most {p.placed_bound}",
            "-" if p.objective is None else f"{p.objective:g}",
            "-" if p.bound is None else f"{p.bound:g}",
        )
    return table


def _solve(run_id: int, time_limit: float) -> MatchingRun:
    with Live(_progress_table(None, time_limit), console=err_console, transient=True) as live:

        def show(p: matching.Progress) -> None:
            live.update(_progress_table(p, time_limit))

        try:
            return matching_runs.execute_run(sessions(), run_id, on_progress=show)
        except ServiceError as exc:
            err_console.print(f"[red]matching failed:[/red] {exc}")
            raise typer.Exit(1) from None


def print_report(run: MatchingRun) -> None:
    report: dict[str, Any] = run.report or {}
    if run.imbalance is None or run.solve_seconds is None:
        console.print(
            f"Run {run.id}: {run.status.value}" + (f" ({run.error})" if run.error else "")
        )
        return
    console.print(
        f"Run {run.id}: solver {run.solver_status}, {run.placed} placed, {run.waitlisted} on "
        f"the waiting list, {run.moves or 0} moved, imbalance {run.imbalance:.3f} "
        f"(lowest possible {run.imbalance_floor or 0:.3f}), "
        f"{run.solve_seconds:.1f} s"
    )
    if report:
        console.print(matching.QualityReport.model_validate(report).text(), highlight=False)
    if run.waitlist:
        table = Table("participant", "why on the waiting list", title="Waiting list")
        for entry in run.waitlist:
            table.add_row(f"p{entry.participant_id}", entry.reason)
        console.print(table)


def print_changes(run: MatchingRun) -> None:
    changes = matching_runs.run_changes(run)
    if changes is None:
        return
    console.print(changes.text(), highlight=False)


def _solve_and_report(round: str, time_limit: float, *, rematch: bool) -> None:
    with unit_of_work() as session:
        found = rounds.get_round(session, round)
        run_id = matching_runs.start_run(
            session, found, actor=cli_actor(), time_limit=time_limit, rematch=rematch
        ).id
    _solve(run_id, time_limit)
    command = "rematch" if rematch else "match"
    with unit_of_work() as session:
        stored = matching_runs.get_run(session, run_id)
        print_report(stored)
        print_changes(stored)
        console.print(
            f"Draft run {run_id} stored. Publish it with: vekl {command} -r {round} --publish"
        )


def match(
    round: str = RoundOpt,
    time_limit: float = TimeOpt,
    publish: bool = typer.Option(
        False, "--publish", help="Publish the newest draft (or --run) instead of solving."
    ),
    run: int | None = RunOpt,
) -> None:
    """Form groups for a round and keep them as a draft; --publish makes a draft official."""
    if publish:
        _publish(round, run)
    else:
        _solve_and_report(round, time_limit, rematch=False)


def rematch(
    round: str = RoundOpt,
    time_limit: float = TimeOpt,
    publish: bool = typer.Option(
        False, "--publish", help="Publish the newest draft rematch (or --run) instead of solving."
    ),
    run: int | None = RunOpt,
) -> None:
    """After dropouts: regroup changing as little as possible, and show who moves."""
    if publish:
        _publish(round, run)
    else:
        _solve_and_report(round, time_limit, rematch=True)


def _publish(round: str, run_id: int | None) -> None:
    with unit_of_work() as session:
        published = publishing.publish(
            session, round, run_id, settings=settings(), actor=cli_actor()
        )
        console.print(
            f"Run {published.run.id} published; {len(published.mails)} mails queued "
            "(send them with: vekl mail send)."
        )


runs_app = typer.Typer(help="Inspect matching runs.", no_args_is_help=True)


@runs_app.command("list")
def list_runs(round: str = RoundOpt) -> None:
    """List a round's matching runs."""
    zone = settings().zone
    with unit_of_work() as session:
        found = rounds.get_round(session, round)
        table = Table(
            "run", "status", "solver", "placed", "waitlisted", "moves", "imbalance", "created"
        )
        for r in matching_runs.list_runs(session, found):
            table.add_row(
                str(r.id),
                r.status.value,
                r.solver_status or "-",
                str(r.placed or "-"),
                str(r.waitlisted or "-"),
                str(r.moves or "-"),
                f"{r.imbalance:.3f}" if r.imbalance is not None else "-",
                r.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            )
        console.print(table)


@runs_app.command("show")
def show_run(run_id: int = typer.Argument(..., help="Run id.")) -> None:
    """Show a run's groups, report and, for a rematch, who moves."""
    with unit_of_work() as session:
        run = matching_runs.get_run(session, run_id)
        print_report(run)
        print_changes(run)
