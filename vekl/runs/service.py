"""Matching runs: solve a round, keep the result as a draft, publish it.

The solve happens outside any database transaction (it may take minutes), between a
short transaction that records what went in and one that stores what came out. Every
result goes through the independent checker before it is stored; a run whose solution
breaks a hard rule is marked failed, never offered for publishing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

import matching
from matching.progress import StopSignal
from vekl.audit import records as audit
from vekl.errors import N_, Conflict, NotFound, ServiceError
from vekl.registration import import_jobs
from vekl.runs.placements import published_run
from vekl.runs.solver_input import build_problem, parse_key
from vekl.store.db import transaction
from vekl.store.models import (
    Group,
    GroupMember,
    MatchingRun,
    Moderator,
    Participant,
    RegistrationStatus,
    Round,
    RunStatus,
    WaitlistEntry,
)

ProgressCallback = Callable[["matching.Progress"], None]
# Progress is written to the run row at most this often, so pages can show it.
PROGRESS_INTERVAL = 1.0


class InvalidSolution(ServiceError):
    """The solver returned something the checker rejects; it is not stored as a draft."""


def start_run(
    session: Session,
    round: Round,
    *,
    actor: str,
    time_limit: float = 10.0,
    rematch: bool = False,
    now: datetime | None = None,
) -> MatchingRun:
    """Record a run with the problem as it stands now; solving comes next.

    Refused while a file is being imported into the round: the run would see part of it.
    """
    import_jobs.refuse_while_importing(session, round)
    previous = published_run(session, round)
    if rematch and previous is None:
        raise Conflict(
            N_("round '%(round)s' has no published grouping to rematch"), round=round.slug
        )
    if not rematch and previous is not None:
        raise Conflict(
            N_(
                "round '%(round)s' has a published grouping; rematch it so that people "
                "keep their groups"
            ),
            round=round.slug,
        )
    problem = build_problem(session, round, previous=previous if rematch else None, now=now)
    # Every run draws the seed of its lottery for the last places here, so that the seed is
    # in the audit log before the solver starts, whatever becomes of the run.
    seed = problem["lottery_seed"] = matching.draw_seed()
    run = MatchingRun(
        round_id=round.id,
        previous_run_id=previous.id if rematch and previous is not None else None,
        status=RunStatus.RUNNING,
        problem=problem,
        time_limit=time_limit,
        created_by=actor,
    )
    session.add(run)
    session.flush()
    audit.record(
        session,
        actor,
        "run.start",
        round=round,
        subject=f"run:{run.id}",
        rematch=rematch,
        participants=len(run.problem["participants"]),
        lottery_seed=seed,
    )
    return run


def solve_problem(
    problem_data: dict[str, Any],
    *,
    time_limit: float,
    on_progress: ProgressCallback | None = None,
    stop: StopSignal | None = None,
) -> tuple[matching.Solution, dict[str, Any]]:
    """Solve and check; returns the solution and its quality report as JSON data."""
    problem = matching.Problem.model_validate(problem_data)
    solution = matching.solve(problem, time_limit=time_limit, on_progress=on_progress, stop=stop)
    result = matching.check(problem, solution)
    if not result.ok:
        raise InvalidSolution(
            N_("the solution breaks hard rules: %(rules)s"),
            rules="; ".join(str(v) for v in result.violations),
        )
    report = matching.quality_report(problem, solution).model_dump(mode="json")
    return solution, report


def store_solution(
    session: Session,
    run: MatchingRun,
    solution: matching.Solution,
    report: dict[str, Any],
    *,
    status: RunStatus = RunStatus.DRAFT,
) -> bool:
    """Turn the solver's ids back into rows and keep the run as a draft (or as cancelled).

    Only a run that is still running is changed: one that was cancelled or marked failed
    meanwhile stays as it is, and False says so. The check is the transaction's first
    statement, a conditional UPDATE, so it takes the row (PostgreSQL) or the write lock
    (SQLite) before anything else is read.
    """
    if status not in (RunStatus.DRAFT, RunStatus.CANCELLED):
        raise ValueError(f"a solved run becomes a draft or cancelled, not {status.value}")
    taken = session.execute(
        update(MatchingRun)
        .where(MatchingRun.id == run.id, MatchingRun.status == RunStatus.RUNNING)
        .values(status=status)
        .execution_options(synchronize_session=False)
    )
    if not getattr(taken, "rowcount", 0):
        session.refresh(run)
        return False
    run.status = status
    round = session.get_one(Round, run.round_id)
    series = {s.key: s for s in round.series}
    moderators = {
        m.id: m for m in session.scalars(select(Moderator).where(Moderator.round_id == round.id))
    }
    for group in solution.groups:
        row = Group(
            key=group.id,
            series_id=series[group.series].id,
            language=group.language,
            moderators=[moderators[parse_key(m, "m")] for m in group.moderators],
        )
        run.groups.append(row)
        session.flush()
        for member in group.members:
            row.members.append(GroupMember(run_id=run.id, participant_id=parse_key(member, "p")))
    for entry in solution.waitlist:
        run.waitlist.append(
            WaitlistEntry(participant_id=parse_key(entry.id, "p"), reason=entry.reason[:500])
        )
    carry_names(session, run)
    run.solution = solution.model_dump(mode="json")
    run.report = report
    run.solver_status = solution.status
    run.placed = solution.objective.placed
    run.waitlisted = len(solution.waitlist)
    run.moves = solution.objective.moves
    run.imbalance = solution.objective.imbalance
    run.imbalance_floor = report.get("imbalance_floor")
    run.solve_seconds = solution.solve_seconds
    session.flush()
    return True


def carry_names(session: Session, run: MatchingRun) -> None:
    """Groups the run keeps from the grouping it was computed from keep their names."""
    if run.previous_run_id is None:
        return
    names = dict(
        session.execute(
            select(Group.key, Group.name).where(
                Group.run_id == run.previous_run_id, Group.name.is_not(None)
            )
        ).all()
    )
    for group in run.groups:
        if group.name is None and group.key in names:
            group.name = names[group.key]
    session.flush()


class RunInterrupted(ServiceError):
    """The solve was stopped because its process is shutting down; nothing was stored."""


def _stopped(stop: StopSignal | None) -> bool:
    if stop is None:
        return False
    return stop.is_set() if isinstance(stop, threading.Event) else stop()


def execute_run(
    sessions: sessionmaker[Session],
    run_id: int,
    *,
    on_progress: ProgressCallback | None = None,
    stop: StopSignal | None = None,
    interrupted: Callable[[], bool] | None = None,
) -> MatchingRun:
    """Solve a recorded run and store the outcome, whatever it is.

    Used by the command line in the foreground and by the worker. ``stop`` ends the search
    early; if the search did stop on it, the best grouping found is kept as a cancelled run,
    unless ``interrupted`` then says the stop came from the process shutting down: nothing
    is stored, the run stays running and ``RunInterrupted`` is raised, so that the job can
    be handed to another worker. A run cancelled or marked failed meanwhile is left as is.
    """
    with transaction(sessions) as session:
        run = session.get_one(MatchingRun, run_id)
        problem, time_limit = run.problem, run.time_limit
    last_write = [0.0]
    stopped = [False]

    def watched_stop() -> bool:
        if not stopped[0] and _stopped(stop):
            stopped[0] = True
        return stopped[0]

    def progress(p: matching.Progress) -> None:
        if on_progress is not None:
            on_progress(p)
        if time.monotonic() - last_write[0] >= PROGRESS_INTERVAL:
            last_write[0] = time.monotonic()
            with transaction(sessions) as session:
                session.execute(
                    update(MatchingRun)
                    .where(MatchingRun.id == run_id, MatchingRun.status == RunStatus.RUNNING)
                    .values(progress=_progress_data(p))
                )

    try:
        solution, report = solve_problem(
            problem, time_limit=time_limit, on_progress=progress, stop=watched_stop
        )
    except Exception as exc:
        with transaction(sessions) as session:
            session.execute(
                update(MatchingRun)
                .where(MatchingRun.id == run_id, MatchingRun.status == RunStatus.RUNNING)
                .values(status=RunStatus.FAILED, error=str(exc)[:2000] or type(exc).__name__)
            )
        raise
    cancelled = stopped[0]
    if cancelled and interrupted is not None and interrupted():
        raise RunInterrupted(f"run {run_id} was interrupted before its result was stored")
    with transaction(sessions) as session:
        # The run read above, attached again without a query: storing starts with a write.
        session.add(run)
        status = RunStatus.CANCELLED if cancelled else RunStatus.DRAFT
        if not store_solution(session, run, solution, report, status=status):
            return run
        if cancelled:
            run.error = "cancelled"
            return run
        round = session.get_one(Round, run.round_id)
        audit.record(
            session,
            run.created_by,
            "run.finish",
            round=round,
            subject=f"run:{run.id}",
            status=solution.status,
            placed=run.placed,
            waitlisted=run.waitlisted,
            lottery_seed=solution.lottery_seed,
        )
    return run


# The error of a run whose worker stopped before it was solved.
ABANDONED = "abandoned: the process computing it stopped"


def abandon(session: Session, run_id: int, actor: str) -> bool:
    """Mark a run whose worker died as failed, unless it has ended meanwhile."""
    failed = session.execute(
        update(MatchingRun)
        .where(MatchingRun.id == run_id, MatchingRun.status == RunStatus.RUNNING)
        .values(status=RunStatus.FAILED, error=ABANDONED)
        .execution_options(synchronize_session=False)
    )
    if not getattr(failed, "rowcount", 0):
        return False
    run = session.get_one(MatchingRun, run_id, populate_existing=True)
    round = session.get_one(Round, run.round_id)
    audit.record(session, actor, "run.abandoned", round=round, subject=f"run:{run.id}")
    return True


def _progress_data(p: matching.Progress) -> dict[str, Any]:
    return {k: v for k, v in vars(p).items() if isinstance(v, (int, float, str, type(None)))}


def get_run(session: Session, run_id: int) -> MatchingRun:
    run = session.get(MatchingRun, run_id)
    if run is None:
        raise NotFound(N_("no matching run %(id)s"), id=run_id)
    return run


def latest_draft(session: Session, round: Round) -> MatchingRun:
    run = session.scalar(
        select(MatchingRun)
        .where(MatchingRun.round_id == round.id, MatchingRun.status == RunStatus.DRAFT)
        .order_by(MatchingRun.id.desc())
        .limit(1)
    )
    if run is None:
        raise NotFound(N_("round '%(round)s' has no draft matching run"), round=round.slug)
    return run


def list_runs(session: Session, round: Round) -> list[MatchingRun]:
    return list(
        session.scalars(
            select(MatchingRun).where(MatchingRun.round_id == round.id).order_by(MatchingRun.id)
        )
    )


@dataclass(frozen=True)
class Publication:
    run: MatchingRun
    previous: MatchingRun | None


def publish(session: Session, run: MatchingRun, actor: str) -> Publication:
    """Make a draft the grouping everyone sees; the caller queues the mails it implies."""
    if run.status != RunStatus.DRAFT:
        raise Conflict(
            N_("run %(id)s is %(status)s; only a draft can be published"),
            id=run.id,
            status=run.status.value,
        )
    round = session.get_one(Round, run.round_id)
    previous = published_run(session, round)
    if run.previous_run_id != (previous.id if previous is not None else None):
        raise Conflict(
            N_("run %(id)s was computed from another published grouping; rematch again"),
            id=run.id,
        )
    withdrawn = set(
        session.scalars(
            select(Participant.id).where(
                Participant.round_id == round.id,
                Participant.status == RegistrationStatus.WITHDRAWN,
            )
        )
    )
    placed = {m.participant_id for g in run.groups for m in g.members}
    stale = placed & withdrawn
    if stale:
        raise Conflict(
            N_("%(n)s people in run %(id)s have withdrawn since it was computed; rematch again"),
            n=len(stale),
            id=run.id,
        )
    if previous is not None:
        previous.status = RunStatus.SUPERSEDED
    carry_names(session, run)
    run.status = RunStatus.PUBLISHED
    run.published_at = datetime.now(UTC)
    for person in session.scalars(
        select(Participant).where(
            Participant.round_id == round.id,
            Participant.status.in_(
                (
                    RegistrationStatus.CONFIRMED,
                    RegistrationStatus.PLACED,
                    RegistrationStatus.WAITLISTED,
                )
            ),
        )
    ):
        person.status = (
            RegistrationStatus.PLACED if person.id in placed else RegistrationStatus.WAITLISTED
        )
    session.flush()
    audit.record(
        session,
        actor,
        "run.publish",
        round=round,
        subject=f"run:{run.id}",
        placed=len(placed),
        previous_run=previous.id if previous is not None else None,
    )
    return Publication(run=run, previous=previous)


def run_changes(run: MatchingRun) -> matching.Changes | None:
    """Who moves, joins, leaves, compared with the grouping the run started from."""
    if run.solution is None or "previous" not in run.problem:
        return None
    problem = matching.Problem.model_validate(run.problem)
    solution = matching.Solution.model_validate(run.solution)
    return matching.changes(problem.previous, solution)
