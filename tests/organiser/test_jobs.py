"""Matching as a job: the request queues it and returns, a worker solves it, it can be stopped.

These tests use a database file of their own: the worker's transactions must see what the
request committed, which the rolled-back test transaction of the other tests would hide. The
worker here is the real loop, in a thread of the test process (tests/jobs runs it as a
process of its own).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from api import create_app
from tests.organiser.conftest import EMAIL, EXAMPLE, PASSWORD, csrf_of, login_token
from vekl.access import organisers
from vekl.jobs import service as jobs
from vekl.jobs.worker import Worker
from vekl.mail import sealing
from vekl.registration import csv_import
from vekl.rounds import service as rounds
from vekl.settings import Settings
from vekl.store import migrate
from vekl.store.db import make_engine, make_sessionmaker, transaction
from vekl.store.models import (
    AuditEntry,
    Job,
    JobKind,
    JobStatus,
    MailStatus,
    MatchingRun,
    OutboxMail,
    RunStatus,
)

Live = tuple[TestClient, str, sessionmaker[Session]]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        environment="test",
        database_url=f"sqlite:///{tmp_path / 'jobs.sqlite3'}",
        secret_key="j" * 32,
        mail_dir=tmp_path / "mail",
        worker_poll_interval=0.1,
        worker_stale_after=30,
    )


@pytest.fixture
def live(settings: Settings) -> Iterator[Live]:
    migrate.upgrade(settings.database_url)
    sessions = make_sessionmaker(make_engine(settings.database_url))
    with transaction(sessions) as session:
        spec = rounds.load_round_file(EXAMPLE / "round.toml")
        round = rounds.create_round(session, spec, ZoneInfo("Europe/Berlin"), "test")
        csv_import.import_moderators(session, round, (EXAMPLE / "moderators.csv").read_bytes(), "t")
        csv_import.import_registrations(
            session, round, (EXAMPLE / "registrations.csv").read_bytes(), "t"
        )
        organisers.create_user(session, EMAIL, PASSWORD, actor="test")
    app = create_app(settings)
    with TestClient(app, follow_redirects=False) as client:
        client.post(
            "/organiser/login",
            data={"email": EMAIL, "password": PASSWORD, "form_token": login_token(client)},
        )
        csrf = csrf_of(client.get("/organiser/").text)
        yield client, csrf, sessions


@pytest.fixture
def worker(live: Live, settings: Settings) -> Iterator[Worker]:
    """The worker loop in a thread, stopped (and waited for) at the end of the test."""
    loop = Worker(live[2], settings, name="test-worker")
    thread = threading.Thread(target=loop.run, daemon=True)
    thread.start()
    yield loop
    loop.stop()
    thread.join(timeout=30)
    assert not thread.is_alive()


def _wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _run_status(sessions: sessionmaker[Session], run_id: int) -> RunStatus:
    with transaction(sessions) as session:
        return session.get_one(MatchingRun, run_id).status


def _job(sessions: sessionmaker[Session], run_id: int) -> Job:
    with transaction(sessions) as session:
        job = session.scalars(select(Job).where(Job.run_id == run_id)).one()
        session.expunge(job)
        return job


def _cancels(sessions: sessionmaker[Session]) -> int:
    with transaction(sessions) as session:
        query = select(func.count()).where(AuditEntry.action == "run.cancel")
        return int(session.scalar(query) or 0)


def _running_run(sessions: sessionmaker[Session], **fields: object) -> int:
    """A run marked as running, as a solving process leaves it in the database."""
    with transaction(sessions) as session:
        round = rounds.get_round(session, "konstanz-mai")
        run = MatchingRun(
            round_id=round.id, status=RunStatus.RUNNING, problem={}, time_limit=10, **fields
        )
        session.add(run)
        session.flush()
        return run.id


def _start(client: TestClient, csrf: str, time_limit: str) -> int:
    started = client.post(
        "/organiser/rounds/konstanz-mai/matching",
        data={"csrf_token": csrf, "time_limit": time_limit},
    )
    assert started.status_code == 303
    found = re.search(r"/runs/(\d+)", started.headers["location"])
    assert found, started.headers["location"]
    return int(found.group(1))


def test_matching_runs_in_a_worker_and_can_be_cancelled(live: Live, worker: Worker) -> None:
    client, csrf, sessions = live
    run_id = _start(client, csrf, "60")
    _wait_for(lambda: _job(sessions, run_id).status is JobStatus.RUNNING)
    page = client.get(f"/organiser/rounds/konstanz-mai/runs/{run_id}")
    # The request came back while the solver still had most of its minute to go.
    assert 'http-equiv="refresh"' in page.text
    assert f"/runs/{run_id}/cancel" in page.text
    progress = client.get(f"/organiser/rounds/konstanz-mai/runs/{run_id}/progress.json").json()
    assert progress["status"] == "running" and progress["abandoned"] is False
    assert progress["job"] == "running"
    cancelled = client.post(
        f"/organiser/rounds/konstanz-mai/runs/{run_id}/cancel", data={"csrf_token": csrf}
    )
    assert cancelled.status_code == 303
    # Asked twice: the audit log records one cancel, and the page says it is under way.
    client.post(f"/organiser/rounds/konstanz-mai/runs/{run_id}/cancel", data={"csrf_token": csrf})
    assert _cancels(sessions) == 1
    # (The worker may already have stopped the run by the time the page is read.)
    page = client.get(f"/organiser/rounds/konstanz-mai/runs/{run_id}?lang=en")
    if _run_status(sessions, run_id) is RunStatus.RUNNING:
        assert "Cancel requested" in page.text
    started = time.monotonic()
    _wait_for(lambda: _run_status(sessions, run_id) is RunStatus.CANCELLED)
    assert time.monotonic() - started < 15
    with transaction(sessions) as session:
        run = session.get_one(MatchingRun, run_id)
        # The best grouping found before the stop is kept with the cancelled run.
        assert run.solution is not None and run.groups
    # The worker marks its job done once the run's result is stored, in the next transaction.
    _wait_for(lambda: _job(sessions, run_id).status is JobStatus.DONE, timeout=10)
    # Nothing left to cancel: refused, and no second entry in the audit log.
    again = client.post(
        f"/organiser/rounds/konstanz-mai/runs/{run_id}/cancel", data={"csrf_token": csrf}
    )
    assert again.status_code == 409
    assert _cancels(sessions) == 1


def test_a_finished_job_leaves_a_draft(live: Live, worker: Worker) -> None:
    client, csrf, sessions = live
    run_id = _start(client, csrf, "1")
    _wait_for(lambda: _run_status(sessions, run_id) is not RunStatus.RUNNING)
    page = client.get(f"/organiser/rounds/konstanz-mai/runs/{run_id}")
    assert 'http-equiv="refresh"' not in page.text
    assert 'id="publish"' in page.text
    assert _run_status(sessions, run_id) is RunStatus.DRAFT
    _wait_for(lambda: _job(sessions, run_id).status is JobStatus.DONE)


def test_a_queued_run_says_so_and_is_cancelled_before_it_starts(live: Live) -> None:
    client, csrf, sessions = live
    run_id = _start(client, csrf, "30")
    page = client.get(f"/organiser/rounds/konstanz-mai/runs/{run_id}").text
    assert "Wartet darauf, dass der Hintergrundprozess diesen Lauf startet." in page
    english = client.get(f"/organiser/rounds/konstanz-mai/runs/{run_id}?lang=en").text
    assert "Waiting for the background worker to start this run." in english
    client.post(f"/organiser/rounds/konstanz-mai/runs/{run_id}/cancel", data={"csrf_token": csrf})
    assert _run_status(sessions, run_id) is RunStatus.CANCELLED
    job = _job(sessions, run_id)
    assert job.status is JobStatus.DONE and job.cancel_requested_at is not None
    assert _cancels(sessions) == 1


def test_a_run_left_running_by_a_dead_process_can_be_marked_failed(live: Live) -> None:
    client, csrf, sessions = live
    run_id = _running_run(sessions, created_at=datetime.now(UTC) - timedelta(hours=1))
    page = client.get(f"/organiser/rounds/konstanz-mai/runs/{run_id}")
    assert f"/runs/{run_id}/fail" in page.text
    marked = client.post(
        f"/organiser/rounds/konstanz-mai/runs/{run_id}/fail", data={"csrf_token": csrf}
    )
    assert marked.status_code == 303
    assert _run_status(sessions, run_id) is RunStatus.FAILED
    again = client.post(
        f"/organiser/rounds/konstanz-mai/runs/{run_id}/fail", data={"csrf_token": csrf}
    )
    assert again.status_code == 409


def test_a_run_whose_worker_died_is_failed_and_the_page_says_so(
    live: Live, settings: Settings
) -> None:
    client, csrf, sessions = live
    run_id = _start(client, csrf, "30")
    long_ago = datetime.now(UTC) - timedelta(seconds=settings.worker_stale_after + 1)
    with transaction(sessions) as session:
        claimed = jobs.claim(session, "a worker that dies", long_ago)
        assert claimed is not None and claimed.run_id == run_id
    # Before any worker notices, the page offers to mark it failed.
    page = client.get(f"/organiser/rounds/konstanz-mai/runs/{run_id}")
    assert f"/runs/{run_id}/fail" in page.text
    # A worker that starts reaps it.
    reaped = Worker(sessions, settings, name="another worker").reap()
    assert [r.run_id for r in reaped] == [run_id]
    assert _run_status(sessions, run_id) is RunStatus.FAILED
    job = _job(sessions, run_id)
    assert job.status is JobStatus.FAILED and job.error == jobs.WORKER_LOST
    page = client.get(f"/organiser/rounds/konstanz-mai/runs/{run_id}").text
    assert "Der Hintergrundprozess, der diesen Lauf rechnete, ist ausgefallen" in page
    english = client.get(f"/organiser/rounds/konstanz-mai/runs/{run_id}?lang=en").text
    assert "The background worker computing this run stopped" in english
    with transaction(sessions) as session:
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert actions[-1] == "run.abandoned"


def test_send_now_is_a_job_the_worker_runs(live: Live, settings: Settings) -> None:
    client, csrf, sessions = live
    with transaction(sessions) as session:
        round = rounds.get_round(session, "konstanz-mai")
        session.add(
            OutboxMail(
                message_id="<send-now@vekl.test>",
                kind="test",
                round_id=round.id,
                recipient="team@konstanz.example",
                payload=sealing.seal(
                    settings.secret_key,
                    b"From: vekl@konstanz.example\r\nTo: team@konstanz.example\r\n"
                    b"Message-ID: <send-now@vekl.test>\r\nDate: Mon, 30 Nov 2026 10:00:00 +0000"
                    b"\r\nSubject: Test\r\n\r\nHallo\r\n",
                ),
            )
        )
    for _ in range(2):
        sent = client.post("/organiser/rounds/konstanz-mai/mail/send", data={"csrf_token": csrf})
        assert sent.status_code == 303
    with transaction(sessions) as session:
        kinds = session.scalars(select(Job.kind).where(Job.status == JobStatus.QUEUED)).all()
        assert kinds == [JobKind.MAIL]  # asked twice, queued once
    page = client.get("/organiser/rounds/konstanz-mai/mail?lang=en").text
    assert "Sending is under way." in page
    loop = Worker(sessions, settings, name="test-worker")
    loop._next_mail = float("inf")  # only the job may send
    assert loop.run_once() is True
    with transaction(sessions) as session:
        assert session.scalars(select(OutboxMail.status)).all() == [MailStatus.SENT]
        assert session.scalars(select(Job.status)).all() == [JobStatus.DONE]
    assert list((settings.mail_dir).glob("*.eml"))
    page = client.get("/organiser/rounds/konstanz-mai/mail?lang=en").text
    assert "Sending is under way." not in page


def test_the_run_page_names_the_solver_phase_in_german(live: Live) -> None:
    client, _csrf, sessions = live
    run_id = _running_run(sessions, progress={"phase": "balance", "elapsed": 4.0, "placed": 40})
    page = client.get(f"/organiser/rounds/konstanz-mai/runs/{run_id}").text
    assert "Gruppen ausgewogen mischen" in page
    assert ">balance<" not in page
    english = client.get(f"/organiser/rounds/konstanz-mai/runs/{run_id}?lang=en").text
    assert "balancing the groups" in english
