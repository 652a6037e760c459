"""Job rows through their life, on SQLite and PostgreSQL: every change is conditional."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, delete, select, text
from sqlalchemy.orm import Session

from vekl.jobs import queries
from vekl.jobs import service as jobs
from vekl.jobs.worker import traceback_text
from vekl.registration import csv_import
from vekl.rounds import service as rounds
from vekl.runs import service as matching_runs
from vekl.store.models import (
    Job,
    JobKind,
    JobStatus,
    MatchingRun,
    Round,
    RunStatus,
    WorkerHeartbeat,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "konstanz-mai"
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
STALE = timedelta(seconds=120)


@pytest.fixture
def round(db: Session) -> Round:
    spec = rounds.load_round_file(EXAMPLE / "round.toml")
    found = rounds.create_round(db, spec, ZoneInfo("Europe/Berlin"), "test")
    csv_import.import_moderators(db, found, (EXAMPLE / "moderators.csv").read_bytes(), "test")
    csv_import.import_registrations(db, found, (EXAMPLE / "registrations.csv").read_bytes(), "t")
    return found


def _matching_job(db: Session, round: Round) -> Job:
    run = matching_runs.start_run(db, round, actor="test", time_limit=1.0)
    return jobs.enqueue(db, JobKind.MATCHING, run_id=run.id)


def test_the_oldest_queued_job_is_claimed_once(db: Session, round: Round) -> None:
    first = _matching_job(db, round)
    second = jobs.enqueue(db, JobKind.MAIL)
    claimed = jobs.claim(db, "w1", NOW)
    assert claimed is not None and claimed.id == first.id
    assert claimed.status is JobStatus.RUNNING and claimed.worker == "w1"
    assert claimed.started_at == NOW and claimed.heartbeat_at == NOW
    other = jobs.claim(db, "w2", NOW)
    assert other is not None and other.id == second.id
    assert jobs.claim(db, "w3", NOW) is None


def test_the_heartbeat_carries_a_cancel_request_to_the_worker(db: Session, round: Round) -> None:
    job = _matching_job(db, round)
    jobs.claim(db, "w1", NOW)
    assert jobs.heartbeat(db, job.id, "w1", NOW + timedelta(seconds=1)) is jobs.Beat.CARRY_ON
    assert jobs.heartbeat(db, job.id, "someone else", NOW) is jobs.Beat.LOST
    assert jobs.request_cancel(db, job.id, NOW) is jobs.Cancel.REQUESTED
    # A second request changes nothing (and the caller records no second cancel).
    assert jobs.request_cancel(db, job.id, NOW) is jobs.Cancel.NOTHING
    assert jobs.heartbeat(db, job.id, "w1", NOW + timedelta(seconds=2)) is jobs.Beat.CANCEL
    assert jobs.finish(db, job.id, "w1", NOW) is True
    assert jobs.heartbeat(db, job.id, "w1", NOW) is jobs.Beat.LOST
    assert jobs.request_cancel(db, job.id, NOW) is jobs.Cancel.NOTHING


def test_a_queued_job_is_cancelled_before_it_starts(db: Session, round: Round) -> None:
    job = _matching_job(db, round)
    assert jobs.request_cancel(db, job.id, NOW) is jobs.Cancel.BEFORE_START
    db.refresh(job)
    assert job.status is JobStatus.DONE and job.cancel_requested_at == NOW
    assert jobs.claim(db, "w1", NOW) is None


def test_only_the_claiming_worker_finishes_or_hands_back(db: Session, round: Round) -> None:
    job = _matching_job(db, round)
    jobs.claim(db, "w1", NOW)
    assert jobs.finish(db, job.id, "w2", NOW) is False
    assert jobs.requeue(db, job.id, "w2") is False
    assert jobs.requeue(db, job.id, "w1") is True
    db.refresh(job)
    assert job.status is JobStatus.QUEUED and job.worker is None
    jobs.claim(db, "w2", NOW)
    assert jobs.fail(db, job.id, "InvalidSolution", NOW, worker="w1") is False
    assert jobs.fail(db, job.id, "InvalidSolution" * 20, NOW, worker="w2") is True
    db.refresh(job)
    assert job.status is JobStatus.FAILED and len(job.error or "") == 200  # type: ignore[comparison-overlap]
    assert jobs.finish(db, job.id, "w2", NOW) is False


def test_reaping_fails_stale_jobs_only(db: Session, round: Round) -> None:
    stale = _matching_job(db, round)
    fresh = jobs.enqueue(db, JobKind.MAIL)
    waiting = jobs.enqueue(db, JobKind.MAIL)
    jobs.claim(db, "dead", NOW - STALE - timedelta(seconds=1))
    jobs.claim(db, "alive", NOW - STALE + timedelta(seconds=5))
    assert queries.is_stale(db.get_one(Job, stale.id), NOW, STALE)
    reaped = jobs.reap(db, NOW, STALE)
    assert reaped == [jobs.Reaped(stale.id, stale.run_id)]
    statuses = {j.id: (j.status, j.error) for j in db.scalars(select(Job))}
    for job in (stale, fresh, waiting):
        db.refresh(job)
    assert stale.status is JobStatus.FAILED and stale.error == jobs.WORKER_LOST
    assert fresh.status is JobStatus.RUNNING and waiting.status is JobStatus.QUEUED
    assert len(statuses) == 3
    # Its run is failed by the worker that reaped it, and that only once.
    assert stale.run_id is not None
    assert matching_runs.abandon(db, stale.run_id, "system") is True
    assert matching_runs.abandon(db, stale.run_id, "system") is False
    run = db.get_one(MatchingRun, stale.run_id)
    db.refresh(run)
    assert run.status is RunStatus.FAILED and run.error == matching_runs.ABANDONED


def test_a_send_now_request_is_queued_once(db: Session) -> None:
    first = jobs.enqueue_mail(db)
    assert jobs.enqueue_mail(db).id == first.id
    jobs.claim(db, "w1", NOW)
    assert jobs.enqueue_mail(db).id == first.id  # still under way
    jobs.finish(db, first.id, "w1", NOW)
    assert jobs.enqueue_mail(db).id != first.id


def test_worker_heartbeats_are_renewed_and_forgotten(db: Session) -> None:
    assert queries.newest_worker_heartbeat(db) is None
    jobs.beat(db, "w1", NOW - timedelta(days=2))
    jobs.beat(db, "w2", NOW - timedelta(minutes=1))
    jobs.beat(db, "w2", NOW)
    assert queries.newest_worker_heartbeat(db) == NOW
    old_mail = jobs.enqueue(db, JobKind.MAIL)
    jobs.claim(db, "w2", NOW - timedelta(days=8))
    jobs.finish(db, old_mail.id, "w2", NOW - timedelta(days=8))
    jobs.tidy(db, NOW)
    assert db.scalars(select(WorkerHeartbeat.name)).all() == ["w2"]
    assert db.scalars(select(Job)).all() == []
    jobs.forget(db, "w2")
    assert queries.newest_worker_heartbeat(db) is None


def test_a_run_cancelled_or_failed_meanwhile_keeps_its_state(db: Session, round: Round) -> None:
    run = matching_runs.start_run(db, round, actor="test", time_limit=1.0)
    solution, report = matching_runs.solve_problem(run.problem, time_limit=1.0)
    run.status = RunStatus.FAILED
    run.error = "abandoned"
    db.flush()
    assert matching_runs.store_solution(db, run, solution, report) is False
    assert run.status is RunStatus.FAILED and run.error == "abandoned"
    assert run.groups == [] and run.solution is None
    fresh = matching_runs.start_run(db, round, actor="test", time_limit=1.0)
    kept = matching_runs.store_solution(db, fresh, solution, report, status=RunStatus.CANCELLED)
    assert kept is True and fresh.status is RunStatus.CANCELLED and fresh.groups


@pytest.fixture
def committed_mail_jobs(engine: Engine) -> Iterator[list[int]]:
    with Session(engine) as session:
        ids = [jobs.enqueue(session, JobKind.MAIL).id for _ in range(2)]
        session.commit()
    yield ids
    with Session(engine) as session:
        session.execute(delete(Job).where(Job.id.in_(ids)))
        session.commit()


def test_two_workers_claim_different_jobs_without_waiting(
    engine: Engine, committed_mail_jobs: list[int]
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers; FOR UPDATE SKIP LOCKED is PostgreSQL's")
    with Session(engine) as first, Session(engine) as second:
        mine = jobs.claim(first, "w1", NOW)  # its transaction stays open, the row locked
        # Waiting for the first worker's lock would fail here instead of hanging.
        second.execute(text("SET LOCAL lock_timeout = '2s'"))
        theirs = jobs.claim(second, "w2", NOW)
        assert mine is not None and theirs is not None
        assert {mine.id, theirs.id} == set(committed_mail_jobs)
        first.commit()
        second.commit()


def test_a_logged_traceback_names_places_and_types_but_not_messages() -> None:
    person = {"name": "Olena Melnyk", "email": "olena.melnyk@example.org"}
    empty: dict[str, str] = {}

    def fail() -> None:
        try:
            empty[person["name"]]
        except KeyError as exc:
            raise ValueError(f"{person['email']} is not valid") from exc

    try:
        fail()
    except ValueError as exc:
        text_ = traceback_text(exc)
    assert "in fail" in text_ and "ValueError" in text_ and "KeyError" in text_
    assert "Olena" not in text_ and "example.org" not in text_
