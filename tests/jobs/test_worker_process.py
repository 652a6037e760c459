"""``vekl worker`` and ``vekl serve`` as processes of their own, and this test as another one.

Each test works on a database of its own (a SQLite file, and a fresh PostgreSQL database),
queues work the way the organiser pages do, and watches the rows change. Waits are bounded.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.databases import fresh_database
from vekl.jobs import service as jobs
from vekl.registration import csv_import
from vekl.rounds import service as rounds
from vekl.runs import review as run_review
from vekl.settings import Settings
from vekl.store import migrate
from vekl.store.db import make_engine, make_sessionmaker, transaction
from vekl.store.models import Job, JobStatus, MatchingRun, RunStatus, WorkerHeartbeat

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "konstanz-mai"
VEKL = Path(sys.executable).parent / "vekl"
SECRET = "worker-process-secret-0123456789"


@dataclass
class Place:
    url: str
    sessions: sessionmaker[Session]
    folder: Path

    def settings(self, **changes: object) -> Settings:
        return Settings(environment="test", database_url=self.url, secret_key=SECRET, **changes)  # type: ignore[arg-type]


@pytest.fixture(params=["sqlite", "postgresql"])
def place(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Place]:
    with fresh_database(request.param, tmp_path, "vekl_worker") as url:
        migrate.upgrade(url)
        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        with transaction(sessions) as session:
            spec = rounds.load_round_file(EXAMPLE / "round.toml")
            round = rounds.create_round(session, spec, ZoneInfo("Europe/Berlin"), "test")
            csv_import.import_moderators(
                session, round, (EXAMPLE / "moderators.csv").read_bytes(), "test"
            )
            csv_import.import_registrations(
                session, round, (EXAMPLE / "registrations.csv").read_bytes(), "test"
            )
        yield Place(url, sessions, tmp_path)
        engine.dispose()


def _environment(place: Place, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "VEKL_DATABASE_URL": place.url,
        "VEKL_ENVIRONMENT": "test",
        "VEKL_SECRET_KEY": SECRET,
        "VEKL_MAIL_DIR": str(place.folder / "mail"),
        "VEKL_WORKER_POLL_INTERVAL": "0.1",
        **extra,
    }


@contextmanager
def _process(
    place: Place, log_name: str, *args: str, **extra: str
) -> Iterator[subprocess.Popen[bytes]]:
    log = (place.folder / log_name).open("wb")
    process = subprocess.Popen(
        [str(VEKL), *args],
        env=_environment(place, **extra),
        cwd=place.folder,  # no .env of the project's
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        log.close()


def _wait_for(condition: Callable[[], bool], what: str, place: Place, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            logs = {p.name: p.read_text() for p in place.folder.glob("*.log")}
            raise AssertionError(f"timed out waiting for {what}; logs: {logs}")
        time.sleep(0.05)


def _start_run(place: Place, time_limit: float) -> int:
    with transaction(place.sessions) as session:
        run = run_review.start(
            session, "konstanz-mai", time_limit=time_limit, rematch=False, actor="test"
        )
        return run.id


def _run(place: Place, run_id: int) -> MatchingRun:
    with transaction(place.sessions) as session:
        return session.get_one(MatchingRun, run_id)


def _job(place: Place, run_id: int) -> Job:
    with transaction(place.sessions) as session:
        return session.scalars(select(Job).where(Job.run_id == run_id)).one()


def _workers(place: Place) -> list[str]:
    with transaction(place.sessions) as session:
        return list(session.scalars(select(WorkerHeartbeat.name)))


def _stop(process: subprocess.Popen[bytes], timeout: float = 15) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout)


def test_a_queued_run_is_solved_by_the_worker_process(place: Place) -> None:
    run_id = _start_run(place, time_limit=1)
    with _process(place, "worker.log", "worker", "--name", "solver") as worker:
        _wait_for(lambda: _run(place, run_id).status is RunStatus.DRAFT, "a draft", place)
        _wait_for(lambda: _job(place, run_id).status is JobStatus.DONE, "the job done", place)
        assert _workers(place) == ["solver"]
        assert _stop(worker) == 0
    # A worker that stops cleanly says so: its heartbeat row is gone.
    assert _workers(place) == []
    assert _run(place, run_id).placed


def test_a_cancel_from_another_process_stops_the_worker(place: Place) -> None:
    run_id = _start_run(place, time_limit=60)
    with _process(place, "worker.log", "worker") as worker:
        _wait_for(lambda: _job(place, run_id).status is JobStatus.RUNNING, "the claim", place)
        with transaction(place.sessions) as session:
            assert run_review.cancel(session, "konstanz-mai", run_id, "test") is True
        asked = time.monotonic()
        _wait_for(
            lambda: _run(place, run_id).status is RunStatus.CANCELLED, "the cancel", place, 15
        )
        assert time.monotonic() - asked < 10
        _wait_for(lambda: _job(place, run_id).status is JobStatus.DONE, "the job done", place)
        assert _run(place, run_id).solution is not None  # the best grouping so far
        assert _stop(worker) == 0


def test_a_worker_killed_hard_is_reaped_after_the_threshold(place: Place) -> None:
    run_id = _start_run(place, time_limit=60)
    quick = {"VEKL_WORKER_STALE_AFTER": "1"}
    with _process(place, "dying.log", "worker", "--name", "dying", **quick) as dying:
        _wait_for(lambda: _job(place, run_id).status is JobStatus.RUNNING, "the claim", place)
        dying.send_signal(signal.SIGKILL)
        dying.wait(10)
    last_beat = _job(place, run_id).heartbeat_at
    assert last_beat is not None
    assert _run(place, run_id).status is RunStatus.RUNNING  # nobody knows yet
    with _process(place, "reaper.log", "worker", "--name", "reaper", **quick) as reaper:
        _wait_for(lambda: _run(place, run_id).status is RunStatus.FAILED, "the reaping", place)
        assert _stop(reaper) == 0
    job = _job(place, run_id)
    assert job.status is JobStatus.FAILED and job.error == jobs.WORKER_LOST
    assert job.finished_at is not None
    assert (job.finished_at - last_beat).total_seconds() >= 1  # not before the threshold
    with transaction(place.sessions) as session:
        view = run_review.review(session, "konstanz-mai", run_id, place.settings())
        assert view.worker_lost and not view.abandoned
    # The dead worker's heartbeat row stays until it is a day old; the reaper's is gone.
    assert _workers(place) == ["dying"]


def test_sigterm_hands_the_search_back_and_the_next_worker_solves_it(place: Place) -> None:
    run_id = _start_run(place, time_limit=2)
    with _process(place, "first.log", "worker", "--name", "first") as first:
        _wait_for(lambda: _job(place, run_id).status is JobStatus.RUNNING, "the claim", place)
        assert _stop(first) == 0
    assert "handed back to the queue" in (place.folder / "first.log").read_text()
    job = _job(place, run_id)
    assert job.status is JobStatus.QUEUED and job.worker is None
    assert _run(place, run_id).status is RunStatus.RUNNING
    with _process(place, "second.log", "worker", "--name", "second") as second:
        _wait_for(lambda: _run(place, run_id).status is RunStatus.DRAFT, "the draft", place)
        assert _stop(second) == 0
    assert _job(place, run_id).worker == "second"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _health(base: str) -> httpx.Response | None:
    try:
        return httpx.get(f"{base}/health", timeout=2)
    except httpx.HTTPError:
        return None


@pytest.mark.parametrize("place", ["sqlite"], indirect=True)
def test_serve_runs_the_worker_in_its_own_process_unless_told_not_to(place: Place) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    args = ("serve", "--host", "127.0.0.1", "--port", str(port))
    with _process(place, "serve.log", *args, "--no-worker") as serve:
        _wait_for(lambda: _health(base) is not None, "the web app", place, 60)
        answer = _health(base)
        assert answer is not None and answer.status_code == 503
        assert answer.json()["failing"] == ["worker"]
        assert _stop(serve) == 0
    run_id = _start_run(place, time_limit=1)
    with _process(place, "serve-all.log", *args) as serve:
        _wait_for(lambda: getattr(_health(base), "status_code", 0) == 200, "health", place, 60)
        _wait_for(lambda: _run(place, run_id).status is RunStatus.DRAFT, "a draft", place)
        assert _stop(serve) == 0
    assert _workers(place) == []
    assert datetime.now(UTC) >= _run(place, run_id).created_at
