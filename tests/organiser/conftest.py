"""Fixtures for the organiser pages: an app in the test's transaction, accounts, a round.

Requests of the test client run inside the test's rolled-back transaction (as in tests/api),
on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api import create_app
from api.database import request_session, unit_of_work
from tests.dates import open_for_a_month
from tests.event_loop import database_off_the_loop
from tests.lottery.conftest import draw_wave
from vekl.access import organisers
from vekl.registration import csv_import
from vekl.rounds import service as rounds
from vekl.runs import service as matching_runs
from vekl.settings import Settings
from vekl.store.models import MatchingRun, Round

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "konstanz-mai"
BERLIN = ZoneInfo("Europe/Berlin")
SECRET = "organiser-test-secret-0123456789"
EMAIL = "team@konstanz.example"
PASSWORD = "lange-genug-und-geheim"


@pytest.fixture(autouse=True)
def quick_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 at its real cost takes half a second per hash here; the tests hash a lot."""
    quick = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(organisers, "_hasher", quick)
    monkeypatch.setattr(organisers, "_DUMMY_HASH", quick.hash("dummy password"))


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        environment="test",
        database_url=database_url,
        base_url="https://vekl.example",
        secret_key=SECRET,
        mail_from="VEKL Konstanz <vekl@konstanz.example>",
        mail_dir=tmp_path / "mail",
    )


@pytest.fixture
def app(settings: Settings, db: Session) -> Iterator[FastAPI]:
    """The app; a statement sent from its event loop fails the request and the test."""
    app = create_app(settings)

    def session_in_test_transaction() -> Iterator[Session]:
        yield from unit_of_work(db)

    app.dependency_overrides[request_session] = session_in_test_transaction
    with database_off_the_loop(db.get_bind()):
        yield app


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="https://vekl.example", follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def organiser(db: Session) -> str:
    organisers.create_user(db, EMAIL, PASSWORD, actor="test")
    db.commit()
    return EMAIL


def login_token(client: TestClient) -> str:
    page = client.get("/organiser/login")
    found = re.search(r'name="form_token" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


def log_in(client: TestClient, email: str = EMAIL, password: str = PASSWORD) -> str:
    """Log the client in; returns the session's CSRF token for forms."""
    response = client.post(
        "/organiser/login",
        data={"email": email, "password": password, "form_token": login_token(client)},
    )
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/organiser/").text)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


@dataclass
class LoggedIn:
    client: TestClient
    csrf: str

    def post(self, path: str, data: dict[str, object] | None = None, **kwargs: object):  # type: ignore[no-untyped-def]
        return self.client.post(path, data={"csrf_token": self.csrf, **(data or {})}, **kwargs)


@pytest.fixture
def team(client: TestClient, organiser: str) -> LoggedIn:
    return LoggedIn(client, log_in(client))


@pytest.fixture
def example_round(db: Session) -> Round:
    spec = rounds.load_round_file(EXAMPLE / "round.toml")
    spec = spec.model_copy(update={"registration_deadline": open_for_a_month()})
    round = rounds.create_round(db, spec, BERLIN, "test")
    csv_import.import_moderators(db, round, (EXAMPLE / "moderators.csv").read_bytes(), "test")
    csv_import.import_registrations(db, round, (EXAMPLE / "registrations.csv").read_bytes(), "test")
    db.commit()
    return round


@pytest.fixture
def drawn(db: Session, example_round: Round) -> Round:
    """The example round with its first wave drawn: four letters, extract kept."""
    draw_wave(db, example_round, secret=SECRET)
    db.commit()
    return example_round


def solved_draft(db: Session, round: Round, *, rematch: bool = False) -> MatchingRun:
    """A draft run solved in the test's own transaction (the web app does this in a thread)."""
    run = matching_runs.start_run(db, round, actor="test", time_limit=1.0, rematch=rematch)
    solution, report = matching_runs.solve_problem(run.problem, time_limit=1.0)
    matching_runs.store_solution(db, run, solution, report)
    db.commit()
    return run
