"""A matching run as organisers review it: its groups, waiting list and changes, dropouts.

Also the run's life from the pages: starting it (a job in the database, which a worker
process claims and solves), cancelling it from any web process, and marking a run whose
worker died as failed. Publishing and its preview are in ``vekl.runs.publishing``; the
pages' view-models are built by the api.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from vekl.audit import records as audit
from vekl.errors import N_, Conflict, FieldError, InvalidInput, NotFound
from vekl.jobs import queries as job_queries
from vekl.jobs import service as jobs
from vekl.rounds import service as rounds
from vekl.runs import publishing
from vekl.runs import service as matching_runs
from vekl.runs.placements import is_locked, run_groups
from vekl.runs.publishing import Preview
from vekl.runs.solver_input import parse_key
from vekl.settings import Settings
from vekl.store.models import (
    Group,
    Job,
    JobKind,
    JobStatus,
    MatchingRun,
    Participant,
    RegistrationStatus,
    Role,
    Round,
    RunStatus,
    Series,
    WaitlistEntry,
)

# A run still "running" this long after its time limit, with no job (it was started before
# jobs were kept in the database), has no process computing it any more.
ABANDONED_AFTER = timedelta(minutes=2)


@dataclass(frozen=True)
class Move:
    person: Participant
    before: str | None
    after: str | None


@dataclass(frozen=True)
class SeriesChange:
    """A person whose evenings change (another series, or the waiting list), and why.

    ``cause`` is the solver's (``cannot_attend``, ``no_room``, ``placement``,
    ``not_found``); ``blocked`` names, per group of the previous evenings, the rules
    (contract numbers) joining it would break."""

    person: Participant
    before: str
    before_series: str
    after: str | None
    after_series: str | None
    cause: str
    dropouts: int
    group_continues: bool
    blocked: list[tuple[str, list[int]]]


@dataclass(frozen=True)
class LanguageChange:
    """A group that keeps its name in another working language, and why (``cause``:
    ``members``, ``moderators``, ``not_allowed``, ``placement``, ``not_found``); for
    ``members``, who could not follow the previous language."""

    group: str
    before: str
    after: str
    cause: str
    members: list[Participant]


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
    series_changes: list[SeriesChange] = field(default_factory=list)
    language_changes: list[LanguageChange] = field(default_factory=list)


def _get_run(session: Session, round: Round, run_id: int) -> MatchingRun:
    run = session.get(MatchingRun, run_id)
    if run is None or run.round_id != round.id:
        raise NotFound(
            N_("no matching run %(id)s in round '%(round)s'"), id=run_id, round=round.slug
        )
    return run


def changes(session: Session, run: MatchingRun) -> Changes | None:
    """``matching.changes`` of the run, with people instead of solver ids."""
    found = matching_runs.run_changes(run)
    if found is None:
        return None
    keys = [m.participant for m in found.moves]
    keys += [p.participant for p in (*found.joins, *found.left)]
    keys += [c.participant for c in found.series_changes]
    keys += [key for c in found.language_changes for key in c.members]
    ids = {parse_key(key, "p") for key in keys}
    people = {p.id: p for p in session.scalars(select(Participant).where(Participant.id.in_(ids)))}
    series = {
        s.key: s.label
        for s in session.scalars(select(Series).where(Series.round_id == run.round_id))
    }

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
        series_changes=[
            SeriesChange(
                person=person(c.participant),
                before=c.from_group,
                before_series=series.get(c.from_series, c.from_series),
                after=c.to_group,
                after_series=series.get(c.to_series, c.to_series) if c.to_series else None,
                cause=c.cause,
                dropouts=c.dropouts,
                group_continues=c.group_continues,
                blocked=[(b.group, list(b.rules)) for b in c.blocked],
            )
            for c in found.series_changes
        ],
        language_changes=[
            LanguageChange(
                group=c.group,
                before=c.from_language,
                after=c.to_language,
                cause=c.cause,
                members=[person(key) for key in c.members],
            )
            for c in found.language_changes
        ],
    )


def is_abandoned(
    run: MatchingRun, job: Job | None, now: datetime, *, stale_after: timedelta
) -> bool:
    """Still marked running, though no worker is computing it any more.

    With a job: its heartbeat is older than ``stale_after``, or the job has ended while the
    run did not. Without one: long past the run's time limit.
    """
    if run.status is not RunStatus.RUNNING:
        return False
    if job is None:
        return run.created_at + timedelta(seconds=run.time_limit) + ABANDONED_AFTER <= now
    if job.status in (JobStatus.DONE, JobStatus.FAILED):
        return True
    return job_queries.is_stale(job, now, stale_after)


def _worker_lost(run: MatchingRun, job: Job | None) -> bool:
    return (
        run.status is RunStatus.FAILED
        and job is not None
        and job.status is JobStatus.FAILED
        and job.error == jobs.WORKER_LOST
    )


@dataclass(frozen=True)
class RunReview:
    """A run with what it placed where, and for a draft, the mails publishing would send."""

    round: Round
    run: MatchingRun
    groups: list[Group]
    waitlist: list[WaitlistEntry]
    changes: Changes | None
    # The job that solves the run (None for runs from the command line or before jobs).
    job: Job | None
    # Still "running", but no worker is on it any more: it may be marked failed.
    abandoned: bool
    # Failed because its worker stopped renewing the heartbeat.
    worker_lost: bool
    preview: Preview | None


def review(
    session: Session,
    slug: str,
    run_id: int,
    settings: Settings,
    *,
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
    job = job_queries.job_for_run(session, run.id)
    stale_after = timedelta(seconds=settings.worker_stale_after)
    return RunReview(
        round=round,
        run=run,
        groups=run_groups(session, run),
        waitlist=waitlist,
        changes=changes(session, run),
        job=job,
        abandoned=is_abandoned(run, job, moment, stale_after=stale_after),
        worker_lost=_worker_lost(run, job),
        preview=preview,
    )


def job_state(job: Job | None) -> str | None:
    """queued, running, cancel requested, done or failed."""
    if job is None:
        return None
    if job.status is JobStatus.RUNNING and job.cancel_requested_at is not None:
        return "cancel requested"
    return job.status.value


def run_progress(
    session: Session, slug: str, run_id: int, settings: Settings, *, now: datetime | None = None
) -> dict[str, Any]:
    """A run's state and progress as data, for pages that poll."""
    round = rounds.get_round(session, slug)
    run = _get_run(session, round, run_id)
    job = job_queries.job_for_run(session, run.id)
    stale_after = timedelta(seconds=settings.worker_stale_after)
    return {
        "run": run.id,
        "status": run.status.value,
        "job": job_state(job),
        "progress": run.progress,
        "placed": run.placed,
        "waitlisted": run.waitlisted,
        "abandoned": is_abandoned(run, job, now or datetime.now(UTC), stale_after=stale_after),
    }


def start(
    session: Session, slug: str, *, time_limit: float, rematch: bool, actor: str
) -> MatchingRun:
    """Record a run and queue its job; a worker solves it once this transaction commits."""
    if not 1 <= time_limit <= 600:
        raise InvalidInput([FieldError("time_limit", N_("between 1 and 600 seconds"))])
    round = rounds.load_round_tree(session, slug)
    run = matching_runs.start_run(
        session, round, actor=actor, time_limit=time_limit, rematch=rematch
    )
    jobs.enqueue(session, JobKind.MATCHING, run_id=run.id)
    return run


def cancel(
    session: Session, slug: str, run_id: int, actor: str, *, now: datetime | None = None
) -> bool:
    """Ask for a running run to stop; True (and an audit entry) if there was anything to stop.

    A run still waiting for a worker is cancelled at once. A running one is stopped by its
    worker within a few seconds, which keeps the best grouping so far as a cancelled run.
    A second request while the first is pending changes nothing.
    """
    round = rounds.get_round(session, slug)
    run = _get_run(session, round, run_id)
    if run.status is not RunStatus.RUNNING:
        raise Conflict(
            N_("run %(id)s is %(status)s; only a running run can be cancelled"),
            id=run_id,
            status=run.status.value,
        )
    job = job_queries.job_for_run(session, run.id)
    if job is None:
        raise Conflict(
            N_("run %(id)s is computed by a command, not by a worker; stop it there"), id=run_id
        )
    outcome = jobs.request_cancel(session, job.id, now or datetime.now(UTC))
    if outcome is jobs.Cancel.NOTHING:
        return False
    if outcome is jobs.Cancel.BEFORE_START:
        run.status = RunStatus.CANCELLED
        run.error = "cancelled"
        session.flush()
    session.expire(job)
    audit.record(session, actor, "run.cancel", round=round, subject=f"run:{run.id}")
    return True


def mark_failed(
    session: Session,
    slug: str,
    run_id: int,
    actor: str,
    settings: Settings,
    *,
    now: datetime | None = None,
) -> MatchingRun:
    """A run left "running" by a worker that died is marked failed, so it stops blocking.

    The worker loop does the same by itself once the heartbeat is older than the threshold;
    this is for when no worker is running to notice.
    """
    moment = now or datetime.now(UTC)
    round = rounds.get_round(session, slug)
    run = _get_run(session, round, run_id)
    job = job_queries.job_for_run(session, run.id)
    stale_after = timedelta(seconds=settings.worker_stale_after)
    if not is_abandoned(run, job, moment, stale_after=stale_after):
        raise Conflict(N_("run %(id)s is not an abandoned run"), id=run_id)
    if job is not None:
        jobs.fail(session, job.id, jobs.WORKER_LOST, moment)
    matching_runs.abandon(session, run.id, actor)
    session.refresh(run)
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
