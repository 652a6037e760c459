"""A matching run as organisers review it: its groups, waiting list and changes, dropouts.

Also the run's life from the pages: starting it (solved by the web app's worker thread),
recording a cancellation and marking a run whose process died as failed. Publishing and
its preview are in ``vekl.runs.publishing``; the pages' view-models are built by the api.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from vekl.audit import records as audit
from vekl.errors import Conflict, FieldError, InvalidInput, NotFound
from vekl.rounds import service as rounds
from vekl.runs import publishing
from vekl.runs import service as matching_runs
from vekl.runs.placements import is_locked, run_groups
from vekl.runs.publishing import Preview
from vekl.runs.solver_input import parse_key
from vekl.settings import Settings
from vekl.store.models import (
    Group,
    MatchingRun,
    Participant,
    RegistrationStatus,
    Role,
    Round,
    RunStatus,
    WaitlistEntry,
)

# A run still "running" this long after its time limit has no worker any more.
ABANDONED_AFTER = timedelta(minutes=2)


@dataclass(frozen=True)
class Move:
    person: Participant
    before: str | None
    after: str | None


@dataclass(frozen=True)
class Changes:
    """Compared with the published grouping the rematch started from."""

    moved: list[Move]
    joined: list[Move]
    left: list[Move]
    stay: int
    merged: list[tuple[str, str]]
    dissolved: list[str]
    new_groups: list[str]


def _get_run(session: Session, round: Round, run_id: int) -> MatchingRun:
    run = session.get(MatchingRun, run_id)
    if run is None or run.round_id != round.id:
        raise NotFound(f"no matching run {run_id} in round {round.slug!r}")
    return run


def changes(session: Session, run: MatchingRun) -> Changes | None:
    """``matching.changes`` of the run, with people instead of solver ids."""
    found = matching_runs.run_changes(run)
    if found is None:
        return None
    keys = [m.participant for m in found.moves]
    keys += [p.participant for p in (*found.joins, *found.left)]
    ids = {parse_key(key, "p") for key in keys}
    people = {p.id: p for p in session.scalars(select(Participant).where(Participant.id.in_(ids)))}

    def person(key: str) -> Participant:
        return people[parse_key(key, "p")]

    return Changes(
        moved=[Move(person(m.participant), m.from_group, m.to_group) for m in found.moves],
        joined=[Move(person(p.participant), None, p.group) for p in found.joins],
        left=[Move(person(p.participant), p.group, None) for p in found.left],
        stay=len(found.stays),
        merged=[(g.group, g.into or "") for g in found.groups if g.kind == "merged"],
        dissolved=[g.group for g in found.groups if g.kind == "dissolved"],
        new_groups=[g.group for g in found.groups if g.kind == "new"],
    )


def is_abandoned(run: MatchingRun, now: datetime, *, running_here: bool) -> bool:
    """Still marked running, with no worker of this process on it and long past its limit."""
    return (
        run.status is RunStatus.RUNNING
        and not running_here
        and run.created_at + timedelta(seconds=run.time_limit) + ABANDONED_AFTER <= now
    )


@dataclass(frozen=True)
class RunReview:
    """A run with what it placed where, and for a draft, the mails publishing would send."""

    round: Round
    run: MatchingRun
    groups: list[Group]
    waitlist: list[WaitlistEntry]
    changes: Changes | None
    abandoned: bool
    preview: Preview | None


def review(
    session: Session,
    slug: str,
    run_id: int,
    settings: Settings,
    *,
    running_here: bool,
    now: datetime | None = None,
) -> RunReview:
    """A run of the round with its groups (members loaded), waiting list and changes."""
    moment = now or datetime.now(UTC)
    round = rounds.load_round_tree(session, slug)
    run = _get_run(session, round, run_id)
    # First: the preview's rollback expires what the session holds.
    preview = publishing.preview(session, run, settings) if run.status is RunStatus.DRAFT else None
    waitlist = list(
        session.scalars(
            select(WaitlistEntry)
            .where(WaitlistEntry.run_id == run.id)
            .options(selectinload(WaitlistEntry.participant))
            .order_by(WaitlistEntry.id)
        )
    )
    return RunReview(
        round=round,
        run=run,
        groups=run_groups(session, run),
        waitlist=waitlist,
        changes=changes(session, run),
        abandoned=is_abandoned(run, moment, running_here=running_here),
        preview=preview,
    )


def run_progress(
    session: Session, slug: str, run_id: int, *, running_here: bool, now: datetime | None = None
) -> dict[str, Any]:
    """A run's state and progress as data, for pages that poll."""
    round = rounds.get_round(session, slug)
    run = _get_run(session, round, run_id)
    return {
        "run": run.id,
        "status": run.status.value,
        "progress": run.progress,
        "placed": run.placed,
        "waitlisted": run.waitlisted,
        "abandoned": is_abandoned(run, now or datetime.now(UTC), running_here=running_here),
    }


def start(
    session: Session, slug: str, *, time_limit: float, rematch: bool, actor: str
) -> MatchingRun:
    """Record a run; the caller hands its id to a worker, which solves it after commit."""
    if not 1 <= time_limit <= 600:
        raise InvalidInput([FieldError("time_limit", "between 1 and 600 seconds")])
    round = rounds.load_round_tree(session, slug)
    return matching_runs.start_run(
        session, round, actor=actor, time_limit=time_limit, rematch=rematch
    )


def record_cancel(session: Session, slug: str, run_id: int, actor: str) -> MatchingRun:
    round = rounds.get_round(session, slug)
    run = _get_run(session, round, run_id)
    if run.status is not RunStatus.RUNNING:
        raise Conflict(f"run {run_id} is {run.status.value}; only a running run can be cancelled")
    audit.record(session, actor, "run.cancel", round=round, subject=f"run:{run.id}")
    return run


def mark_failed(
    session: Session,
    slug: str,
    run_id: int,
    actor: str,
    *,
    running_here: bool,
    now: datetime | None = None,
) -> MatchingRun:
    """A run left "running" by a process that died is marked failed, so it stops blocking."""
    round = rounds.get_round(session, slug)
    run = _get_run(session, round, run_id)
    if not is_abandoned(run, now or datetime.now(UTC), running_here=running_here):
        raise Conflict(f"run {run_id} is not an abandoned run")
    run.status = RunStatus.FAILED
    run.error = "abandoned: the process computing it stopped"
    session.flush()
    audit.record(session, actor, "run.abandoned", round=round, subject=f"run:{run.id}")
    return run


@dataclass(frozen=True)
class GroupHealth:
    group: Group
    active: int
    withdrawn: list[Participant]
    newcomer_share: float | None
    too_small: bool
    unbalanced: bool
    locked: bool


def group_health(
    session: Session, round: Round, run: MatchingRun, now: datetime | None = None
) -> list[GroupHealth]:
    """Which groups of a published run dropouts have left too small or out of balance."""
    moment = now or datetime.now(UTC)
    health: list[GroupHealth] = []
    for group in run_groups(session, run):
        people = [m.participant for m in group.members]
        gone = [p for p in people if p.status is RegistrationStatus.WITHDRAWN]
        active = [p for p in people if p.status is not RegistrationStatus.WITHDRAWN]
        share = sum(1 for p in active if p.role is Role.NEWCOMER) / len(active) if active else None
        health.append(
            GroupHealth(
                group=group,
                active=len(active),
                withdrawn=sorted(
                    gone, key=lambda p: (p.last_name.casefold(), p.first_name.casefold())
                ),
                newcomer_share=share,
                too_small=len(active) < round.min_size,
                unbalanced=share is not None
                and not round.newcomer_share_min <= share <= round.newcomer_share_max,
                locked=is_locked(group, moment),
            )
        )
    return health


def open_rematches(session: Session, round: Round) -> list[MatchingRun]:
    """Rematches still running or waiting as drafts, oldest first."""
    return [
        r
        for r in matching_runs.list_runs(session, round)
        if r.status in (RunStatus.DRAFT, RunStatus.RUNNING) and r.previous_run_id is not None
    ]
