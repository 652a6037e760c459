"""Databases for tests: a new, empty one per use, so concurrent test runs on one server
(parallel workers, or two checkouts) never see each other's tables.

PostgreSQL comes from VEKL_TEST_DATABASE_URL. Outside CI a missing server skips the
PostgreSQL half; under CI (``CI=true``) it fails the run, so that a green CI always means
both databases were tested.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

IN_CI = os.environ.get("CI", "").lower() == "true"
PG_URL = os.environ.get("VEKL_TEST_DATABASE_URL", "")


def postgres_unavailable(reason: str) -> NoReturn:
    if IN_CI:
        pytest.fail(f"PostgreSQL is required under CI: {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL half skipped: {reason}")


@contextmanager
def fresh_postgres(prefix: str) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped afterwards."""
    if not PG_URL:
        postgres_unavailable("VEKL_TEST_DATABASE_URL is not set")
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # any connection failure means "no PostgreSQL here"
        admin.dispose()
        postgres_unavailable(f"cannot reach {make_url(PG_URL).render_as_string()}: {exc}")
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def fresh_database(kind: str, folder: Path, prefix: str) -> Iterator[str]:
    """A new, empty database of ``kind`` ("sqlite" in ``folder``, or "postgresql")."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / f'{prefix}.sqlite3'}"
    else:
        with fresh_postgres(prefix) as url:
            yield url
