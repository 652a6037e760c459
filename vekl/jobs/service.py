"""Changing job rows: enqueue, claim, heartbeat, request a cancel, finish, fail, reap.

A job is queued in the transaction of the change that asks for it, so it exists exactly when
that change was committed. A worker claims the oldest queued job with one UPDATE whose
subquery takes ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several workers never take the
same job and never wait for each other; on SQLite the single statement takes the write lock
at once. While the job runs its worker renews ``heartbeat_at``; the same statement returns
whether a cancel was requested, so a cancel from any web process reaches the worker. A
running job whose heartbeat is older than the threshold belongs to a worker that died:
``reap`` marks it failed, unless it is a job that can go on where it stopped (an import):
that one is queued again for the next worker, up to ``MAX_ATTEMPTS`` takes in all. Every
change is conditional on the state it expects, so a late worker cannot overwrite what a
reaper or a cancel decided. Flushes, never commits.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Result, delete, or_, select, update
from sqlalchemy.orm import Session

from vekl.jobs import queries
from vekl.store.models import Job, JobKind, JobStatus, WorkerHeartbeat

# The error of a job whose worker stopped renewing its heartbeat.
WORKER_LOST = "worker lost: no heartbeat"
# Rows of workers silent this long are removed; finished jobs without a run after a week.
FORGET_WORKERS_AFTER = timedelta(days=1)
KEEP_FINISHED_JOBS = timedelta(days=7)
# Jobs that resume after the last step they stored, and how often a worker may take one.
RESUMABLE = (JobKind.IMPORT,)
MAX_ATTEMPTS = 3
_NO_SYNC = {"synchronize_session": False}


class Beat(enum.Enum):
    """What a worker learns when it renews a job's heartbeat."""

    CARRY_ON = "carry on"
    CANCEL = "cancel"  # someone asked to stop
    LOST = "lost"  # the job is no longer this worker's (reaped, failed or finished)


class Cancel(enum.Enum):
    """What a cancel request achieved."""

    NOTHING = "nothing"  # the job had ended, or its cancel was already requested
    BEFORE_START = "before start"  # it was still queued and will never run
    REQUESTED = "requested"  # its worker stops it at its next heartbeat


@dataclass(frozen=True)
class Reaped:
    job_id: int
    run_id: int | None
    import_id: int | None = None
    letter_print_id: int | None = None
    # Queued again for another worker, not failed.
    requeued: bool = False


def _count(result: Result[Any]) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def enqueue(
    session: Session,
    kind: JobKind,
    *,
    run_id: int | None = None,
    import_id: int | None = None,
    letter_print_id: int | None = None,
) -> Job:
    job = Job(
        kind=kind,
        status=JobStatus.QUEUED,
        run_id=run_id,
        import_id=import_id,
        letter_print_id=letter_print_id,
    )
    session.add(job)
    session.flush()
    return job


def enqueue_mail(session: Session) -> Job:
    """Ask for the outbox to be sent now; a request still waiting or under way is enough."""
    return queries.active_mail_job(session) or enqueue(session, JobKind.MAIL)


def claim(session: Session, worker: str, now: datetime) -> Job | None:
    """Take the oldest queued job for ``worker``, or None when there is none."""
    oldest = select(Job.id).where(Job.status == JobStatus.QUEUED).order_by(Job.id).limit(1)
    if session.get_bind().dialect.name == "postgresql":
        oldest = oldest.with_for_update(skip_locked=True)
    job_id = session.scalar(
        update(Job)
        .where(Job.id == oldest.scalar_subquery(), Job.status == JobStatus.QUEUED)
        .values(
            status=JobStatus.RUNNING,
            worker=worker,
            started_at=now,
            heartbeat_at=now,
            attempts=Job.attempts + 1,
        )
        .returning(Job.id)
        .execution_options(**_NO_SYNC)
    )
    if job_id is None:
        return None
    return session.get(Job, job_id, populate_existing=True)


def heartbeat(session: Session, job_id: int, worker: str, now: datetime) -> Beat:
    """Renew a running job's heartbeat; says whether to go on."""
    row = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.RUNNING, Job.worker == worker)
        .values(heartbeat_at=now)
        .returning(Job.cancel_requested_at)
        .execution_options(**_NO_SYNC)
    ).first()
    if row is None:
        return Beat.LOST
    return Beat.CARRY_ON if row[0] is None else Beat.CANCEL


def request_cancel(session: Session, job_id: int, now: datetime) -> Cancel:
    """Stop a queued job before it starts, or ask the worker of a running one to stop it."""
    before_start = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.QUEUED)
        .values(status=JobStatus.DONE, cancel_requested_at=now, finished_at=now)
        .execution_options(**_NO_SYNC)
    )
    if _count(before_start):
        return Cancel.BEFORE_START
    asked = session.execute(
        update(Job)
        .where(
            Job.id == job_id,
            Job.status == JobStatus.RUNNING,
            Job.cancel_requested_at.is_(None),
        )
        .values(cancel_requested_at=now)
        .execution_options(**_NO_SYNC)
    )
    return Cancel.REQUESTED if _count(asked) else Cancel.NOTHING


def finish(session: Session, job_id: int, worker: str, now: datetime) -> bool:
    """The worker is done with its job; False if the job was no longer its own."""
    done = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.RUNNING, Job.worker == worker)
        .values(status=JobStatus.DONE, finished_at=now)
        .execution_options(**_NO_SYNC)
    )
    return _count(done) == 1


def fail(
    session: Session, job_id: int, error: str, now: datetime, *, worker: str | None = None
) -> bool:
    """Mark a job that has not ended as failed; ``error`` must hold no personal data."""
    query = update(Job).where(
        Job.id == job_id, Job.status.in_((JobStatus.QUEUED, JobStatus.RUNNING))
    )
    if worker is not None:
        query = query.where(Job.worker == worker)
    failed = session.execute(
        query.values(status=JobStatus.FAILED, error=error[:200], finished_at=now).execution_options(
            **_NO_SYNC
        )
    )
    return _count(failed) == 1


def requeue(session: Session, job_id: int, worker: str, *, failed: bool = False) -> bool:
    """A worker that stops before its job is done hands it back for another to take.

    A job handed back because its worker is stopping gets its attempt back; one handed back
    after an error (``failed``, for a resumable job) keeps it, so an error that comes back
    every time ends in a failed job after ``MAX_ATTEMPTS``.
    """
    back = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.RUNNING, Job.worker == worker)
        .values(
            status=JobStatus.QUEUED,
            worker=None,
            started_at=None,
            heartbeat_at=None,
            attempts=Job.attempts if failed else Job.attempts - 1,
        )
        .execution_options(**_NO_SYNC)
    )
    return _count(back) == 1


def may_retry(job: Job) -> bool:
    """Whether a job that ended in an error may be queued again to go on where it stopped."""
    return job.kind in RESUMABLE and job.attempts < MAX_ATTEMPTS


def reap(session: Session, now: datetime, stale_after: timedelta) -> list[Reaped]:
    """Running jobs whose heartbeat is older than ``stale_after`` are marked failed, or
    queued again if they can go on where they stopped and have attempts left."""
    stale = (
        Job.status == JobStatus.RUNNING,
        or_(Job.heartbeat_at.is_(None), Job.heartbeat_at <= now - stale_after),
    )
    again = session.execute(
        update(Job)
        .where(*stale, Job.kind.in_(RESUMABLE), Job.attempts < MAX_ATTEMPTS)
        .values(status=JobStatus.QUEUED, worker=None, started_at=None, heartbeat_at=None)
        .returning(Job.id, Job.run_id, Job.import_id, Job.letter_print_id)
        .execution_options(**_NO_SYNC)
    ).all()
    failed = session.execute(
        update(Job)
        .where(*stale)
        .values(status=JobStatus.FAILED, error=WORKER_LOST, finished_at=now)
        .returning(Job.id, Job.run_id, Job.import_id, Job.letter_print_id)
        .execution_options(**_NO_SYNC)
    ).all()
    return [Reaped(*row, requeued=True) for row in again] + [Reaped(*row) for row in failed]


def tidy(session: Session, now: datetime) -> None:
    """Forget workers silent for a day and finished jobs that belong to no run."""
    session.execute(
        delete(WorkerHeartbeat)
        .where(WorkerHeartbeat.heartbeat_at <= now - FORGET_WORKERS_AFTER)
        .execution_options(**_NO_SYNC)
    )
    session.execute(
        delete(Job)
        .where(
            Job.run_id.is_(None),
            Job.status.in_((JobStatus.DONE, JobStatus.FAILED)),
            Job.finished_at <= now - KEEP_FINISHED_JOBS,
        )
        .execution_options(**_NO_SYNC)
    )


def beat(session: Session, worker: str, now: datetime) -> None:
    """A worker says it is alive (for the health check), whether or not it has a job."""
    renewed = session.execute(
        update(WorkerHeartbeat)
        .where(WorkerHeartbeat.name == worker)
        .values(heartbeat_at=now)
        .execution_options(**_NO_SYNC)
    )
    if not _count(renewed):
        session.add(WorkerHeartbeat(name=worker, started_at=now, heartbeat_at=now))
        session.flush()


def forget(session: Session, worker: str) -> None:
    """A worker that stops cleanly removes its heartbeat row."""
    session.execute(
        delete(WorkerHeartbeat).where(WorkerHeartbeat.name == worker).execution_options(**_NO_SYNC)
    )
