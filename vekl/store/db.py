"""Engines and sessions.

SQLite needs foreign keys switched on per connection; without it ON DELETE CASCADE
and the integrity the services rely on would silently not exist. pysqlite's own
transaction handling also defeats SAVEPOINT, so transactions are begun explicitly, and as
``BEGIN IMMEDIATE``: a transaction that has read and then wants to write while another
connection writes is refused by SQLite at once ("database is locked"), without waiting;
one that takes the write lock when it begins waits for it instead (``busy_timeout``, 15 s).
With the worker writing heartbeats next to the web app, that wait matters. The database runs
in WAL mode: a commit appends to the log instead of rewriting the file, so writers queue
for shorter, and someone reading the file (a backup, the ``sqlite3`` shell) no longer keeps
the app from committing.

PostgreSQL's pool holds as many connections as the web app has threads for its routes
(anyio's default limiter: 40), so a route never waits for a connection that another route,
itself waiting for something, holds; a pool that is too small turns a burst of requests into
timeouts for everyone. Each web process and the worker have a pool of their own: with
``--workers N`` the server needs up to 40 x N + 40 connections (PostgreSQL allows 100 by
default).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from vekl.store import problems

# How long a SQLite transaction waits for the write lock before "database is locked".
SQLITE_BUSY_TIMEOUT_SECONDS = 15

# The web app's route threads (anyio's default) and the PostgreSQL pool that serves them.
WEB_THREADS = 40
POOL_SIZE = 10
POOL_OVERFLOW = WEB_THREADS - POOL_SIZE


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        kwargs.setdefault(
            "connect_args", {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_SECONDS}
        )
    else:
        kwargs.setdefault("pool_pre_ping", True)
        kwargs.setdefault("pool_size", POOL_SIZE)
        kwargs.setdefault("max_overflow", POOL_OVERFLOW)
    try:
        engine = create_engine(url, **kwargs)
    except (ArgumentError, NoSuchModuleError, ImportError, ValueError) as exc:
        raise problems.unusable(url, exc) from exc
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_SECONDS * 1000}")
            # Persistent in the file; an in-memory database answers "memory" and stays so.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def ensure_reachable(engine: Engine) -> None:
    """Connect once; a database that does not answer raises ``DatabaseUnavailable``."""
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except DBAPIError as exc:
        url = engine.url.render_as_string(hide_password=False)
        raise problems.unavailable(exc, url) from exc


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A unit of work: commits when the block ends, rolls back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
