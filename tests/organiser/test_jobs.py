"""Matching as a job: the request returns at once, a worker thread solves, it can be stopped.

These tests use a database file of their own: the worker's transactions must see what the
request committed, which the rolled-back test transaction of the other tests would hide.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api import create_app
from api.organiser.jobs import jobs_of
from tests.organiser.conftest import EMAIL, EXAMPLE, PASSWORD, csrf_of, login_token
from vekl.access import organisers
from vekl.registration import csv_import
from vekl.rounds import service as rounds
from vekl.settings import Settings
from vekl.store import migrate
from vekl.store.db import make_engine, make_sessionmaker, transaction
from vekl.store.models import AuditEntry, MatchingRun, RunStatus


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[TestClient, str, object]]:
    url = f"sqlite:///{tmp_path / 'jobs.sqlite3'}"
    migrate.upgrade(url)
    sessions = make_sessionmaker(make_engine(url))
    with transaction(sessions) as session:
        spec = rounds.load_round_file(EXAMPLE / "round.toml")
        round = rounds.create_round(session, spec, ZoneInfo("Europe/Berlin"), "test")
        csv_import.import_moderators(session, round, (EXAMPLE / "moderators.csv").read_bytes(), "t")
        csv_import.import_registrations(
            session, round, (EXAMPLE / "registrations.csv").read_bytes(), "t"
        )
        organisers.create_user(session, EMAIL, PASSWORD, actor="test")
    settings = Settings(
        environment="test", database_url=url, secret_key="j" * 32, mail_dir=tmp_path / "mail"
    )
    app = create_app(settings)
    with TestClient(app, follow_redirects=False) as client:
        client.post(
            "/organiser/login",
            data={"email": EMAIL, "password": PASSWORD, "form_token": login_token(client)},
        )
        csrf = csrf_of(client.get("/organiser/").text)
        yield client, csrf, sessions
        jobs_of(app.state).wait()


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


def _run_id(location: str) -> int:
    found = re.search(r"/runs/(\d+)", location)
    assert found, location
    return int(found.group(1))


def test_matching_runs_in_a_worker_and_can_be_cancelled(live) -> None:  # type: ignore[no-untyped-def]
    client, csrf, sessions = live
    started = client.post(
        "/organiser/rounds/konstanz-mai/matching", data={"csrf_token": csrf, "time_limit": "60"}
    )
    assert started.status_code == 303
    run_id = _run_id(started.headers["location"])
    page = client.get(f"/organiser/rounds/konstanz-mai/runs/{run_id}")
    # The request came back while the solver still had most of its minute to go.
    assert 'http-equiv="refresh"' in page.text
    progress = client.get(f"/organiser/rounds/konstanz-mai/runs/{run_id}/progress.json").json()
    assert progress["status"] == "running" and progress["abandoned"] is False
    cancelled = client.post(
        f"/organiser/rounds/konstanz-mai/runs/{run_id}/cancel", data={"csrf_token": csrf}
    )
    assert cancelled.status_code == 303
    jobs_of(client.app.state).wait(timeout=60)
    with transaction(sessions) as session:
        run = session.get_one(MatchingRun, run_id)
        assert run.status is RunStatus.CANCELLED
        assert session.scalar(select(AuditEntry).where(AuditEntry.action == "run.cancel"))


def test_a_finished_job_leaves_a_draft(live) -> None:  # type: ignore[no-untyped-def]
    client, csrf, sessions = live
    started = client.post(
        "/organiser/rounds/konstanz-mai/matching", data={"csrf_token": csrf, "time_limit": "1"}
    )
    run_id = _run_id(started.headers["location"])
    jobs_of(client.app.state).wait(timeout=60)
    page = client.get(f"/organiser/rounds/konstanz-mai/runs/{run_id}")
    assert 'http-equiv="refresh"' not in page.text
    assert 'id="publish"' in page.text
    with transaction(sessions) as session:
        assert session.get_one(MatchingRun, run_id).status is RunStatus.DRAFT


def test_a_run_left_running_by_a_dead_process_can_be_marked_failed(live) -> None:  # type: ignore[no-untyped-def]
    client, csrf, sessions = live
    run_id = _running_run(sessions, created_at=datetime.now(UTC) - timedelta(hours=1))
    page = client.get(f"/organiser/rounds/konstanz-mai/runs/{run_id}")
    assert f"/runs/{run_id}/fail" in page.text
    marked = client.post(
        f"/organiser/rounds/konstanz-mai/runs/{run_id}/fail", data={"csrf_token": csrf}
    )
    assert marked.status_code == 303
    with transaction(sessions) as session:
        assert session.get_one(MatchingRun, run_id).status is RunStatus.FAILED
    again = client.post(
        f"/organiser/rounds/konstanz-mai/runs/{run_id}/fail", data={"csrf_token": csrf}
    )
    assert again.status_code == 409


def test_the_run_page_names_the_solver_phase_in_german(live) -> None:  # type: ignore[no-untyped-def]
    client, _csrf, sessions = live
    run_id = _running_run(sessions, progress={"phase": "balance", "elapsed": 4.0, "placed": 40})
    page = client.get(f"/organiser/rounds/konstanz-mai/runs/{run_id}").text
    assert "Gruppen ausgewogen mischen" in page
    assert ">balance<" not in page
    english = client.get(f"/organiser/rounds/konstanz-mai/runs/{run_id}?lang=en").text
    assert "balancing the groups" in english
