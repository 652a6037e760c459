"""Fixtures shared by the whole suite: a migrated database on SQLite and on PostgreSQL.

Every store test runs once per backend. PostgreSQL is taken from
VEKL_TEST_DATABASE_URL; each test run works in a database of its own that is created
and dropped here, so concurrent runs on one server cannot disturb each other.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from matching.fallback import listening
from matching.models import FallbackCause
from tests.databases import fresh_postgres
from vekl.store import migrate
from vekl.store.db import make_engine


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test run."""
    with fresh_postgres("vekl_test") as url:
        migrate.upgrade(url)
        yield url


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("db") / "vekl-test.sqlite3"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    return url


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(name))


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test.

    Services may commit savepoints of their own; ``create_savepoint`` keeps even a
    ``session.commit()`` inside the outer transaction.
    """
    connection = engine.connect()
    outer = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()


@pytest.fixture(autouse=True)
def no_fallback(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fails a test in which the solver returned its fallback grouping, unless the test is
    marked ``fallback`` (it exercises a time-out, or a rule broken on purpose). Above all,
    a searched grouping that broke a rule (which the final check mends quietly by returning
    the first grouping) is a solver bug, and fails the test that met it."""
    if request.node.get_closest_marker("fallback") is not None:
        yield
        return
    seen: list[str] = []

    def heard(cause: FallbackCause, text: str) -> None:
        seen.append(f"{cause.kind}: {text}")

    with listening(heard):
        yield
    if seen:
        pytest.fail("the solver fell back to its first grouping: " + "; ".join(seen))
