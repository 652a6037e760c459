"""Reading job rows: a run's job, whether mail is being sent, the newest worker heartbeat."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vekl.store.models import Job, JobKind, JobStatus, WorkerHeartbeat

ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)


def job_for_run(session: Session, run_id: int) -> Job | None:
    return session.scalar(select(Job).where(Job.run_id == run_id))


def active_mail_job(session: Session) -> Job | None:
    """A "send now" job that is still waiting or under way, if there is one."""
    return session.scalar(
        select(Job)
        .where(Job.kind == JobKind.MAIL, Job.status.in_(ACTIVE))
        .order_by(Job.id)
        .limit(1)
    )


def is_stale(job: Job, now: datetime, stale_after: timedelta) -> bool:
    """A running job whose worker has not renewed its heartbeat in time."""
    beat = job.heartbeat_at or job.started_at
    return job.status is JobStatus.RUNNING and (beat is None or beat <= now - stale_after)


def newest_worker_heartbeat(session: Session) -> datetime | None:
    beat: datetime | None = session.scalar(select(func.max(WorkerHeartbeat.heartbeat_at)))
    return beat
