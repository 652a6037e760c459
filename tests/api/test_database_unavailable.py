"""A database that cannot be used: pages answer 503 with a plain message, ``/health`` says so.

The log names the database (password masked) and the reason in one line, with the traceback
but without any exception's message.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from api import create_app
from tests.databases import PG_URL, fresh_postgres
from vekl.settings import Settings
from vekl.store import migrate

from .conftest import SECRET

PASSWORD = "Geheim-Pass-42"
PAGES = ["/?lang=en", "/privacy?lang=en", "/rounds/konstanz-mai?lang=en", f"/me/{'T' * 43}?lang=en"]


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port on 127.0.0.1 that is taken but not listening: connecting there is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", 0))
        yield int(holder.getsockname()[1])


def _settings(url: str) -> Settings:
    return Settings(environment="test", database_url=url, secret_key=SECRET)


def _app_log(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(caplog.handler.format(r) for r in caplog.records if r.name.startswith("vekl"))


def test_pages_answer_503_when_the_database_does_not_answer(
    closed_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"postgresql+psycopg://vekl:{PASSWORD}@127.0.0.1:{closed_port}/vekl"
    with TestClient(create_app(_settings(url))) as client, caplog.at_level(logging.INFO):
        for page in PAGES:
            answer = client.get(page, follow_redirects=False)
            assert answer.status_code == 503, (page, answer.text[:300])
            assert "This service is not available at the moment" in answer.text
            assert answer.headers["retry-after"] == "30"
        german = client.get("/?lang=de")
        assert german.status_code == 503
        assert "Dieser Dienst ist gerade nicht erreichbar" in german.text
        api = client.get("/api/v1/rounds?lang=en")
        assert api.status_code == 503
        assert api.json() == {
            "errors": [
                {
                    "field": None,
                    "message": "This service is not available at the moment. Please try again "
                    "in a few minutes.",
                }
            ]
        }
        health = client.get("/health")
        assert health.status_code == 503 and health.json()["failing"] == ["database"]
    logged = _app_log(caplog)
    masked = f"postgresql+psycopg://vekl:***@127.0.0.1:{closed_port}/vekl"
    assert f"GET /: cannot reach the database at {masked}: connection refused" in logged
    assert f"health: cannot reach the database at {masked}: connection refused" in logged
    assert "Traceback (most recent call last)" in logged
    assert "OperationalError (message withheld)" in logged
    assert PASSWORD not in logged
    assert "Something went wrong" not in logged


def test_pages_answer_503_once_the_database_goes_away(caplog: pytest.LogCaptureFixture) -> None:
    with fresh_postgres("vekl_goes_away") as url:
        migrate.upgrade(url)
        app = create_app(_settings(url))
        with TestClient(app) as client, caplog.at_level(logging.INFO):
            assert client.get("/privacy?lang=en").status_code == 200
            admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
            try:
                with admin.connect() as connection:
                    name = make_url(url).database
                    connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            finally:
                admin.dispose()
            gone = client.get("/privacy?lang=en")
            assert gone.status_code == 503
            assert "This service is not available at the moment" in gone.text
            health = client.get("/health")
            assert health.status_code == 503 and health.json()["failing"] == ["database"]
    assert "does not exist" in _app_log(caplog)


ADDRESS = "anna@example.org"


def _duplicate() -> None:
    raise IntegrityError("INSERT INTO people", {}, Exception(f"duplicate key: {ADDRESS}"))


def test_other_database_errors_stay_unexpected(
    closed_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    """A statement the database refuses is a fault of ours (500), not an outage (503)."""
    url = f"postgresql+psycopg://vekl:{PASSWORD}@127.0.0.1:{closed_port}/vekl"
    app = create_app(_settings(url))
    app.add_api_route("/broken", _duplicate)
    with TestClient(app, raise_server_exceptions=False) as client, caplog.at_level(logging.INFO):
        answer = client.get("/broken?lang=en")
    assert answer.status_code == 500
    assert "Something went wrong on our side" in answer.text
    logged = _app_log(caplog)
    assert "unexpected sqlalchemy.exc.IntegrityError in GET /broken" in logged
    assert ADDRESS not in logged
