"""SQLite: a transaction that reads and then writes waits for another writer, not fails."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from sqlalchemy import QueuePool, text

from vekl.store.db import make_engine


def test_a_read_then_write_waits_for_a_writer_instead_of_failing(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'locks.sqlite3'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE counter (n INTEGER)"))
        conn.execute(text("INSERT INTO counter VALUES (0)"))
    errors: list[BaseException] = []

    def read_then_write() -> None:
        try:
            with engine.begin() as conn:
                seen = conn.execute(text("SELECT n FROM counter")).scalar_one()
                conn.execute(text("UPDATE counter SET n = :n"), {"n": seen + 10})
        except BaseException as exc:
            errors.append(exc)

    with engine.begin() as writer:
        writer.execute(text("UPDATE counter SET n = n + 1"))  # holds the write lock
        other = threading.Thread(target=read_then_write)
        other.start()
        time.sleep(0.5)  # the other transaction has begun meanwhile
    other.join(30)
    assert errors == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT n FROM counter")).scalar_one() == 11
    engine.dispose()


def test_the_postgresql_pool_serves_every_web_thread() -> None:
    """A route thread must never wait for a pooled connection (see vekl.store.db)."""
    import anyio.to_thread

    async def default_threads() -> float:
        return anyio.to_thread.current_default_thread_limiter().total_tokens

    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    pool = engine.pool
    assert isinstance(pool, QueuePool)
    assert pool.size() + pool._max_overflow >= anyio.run(default_threads)
    engine.dispose()


def test_a_reader_of_the_file_does_not_keep_the_app_from_committing(tmp_path: Path) -> None:
    """WAL: an open read transaction elsewhere (a backup, the shell) and a commit coexist."""
    path = tmp_path / "wal.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE counter (n INTEGER)"))
        conn.execute(text("INSERT INTO counter VALUES (0)"))
        assert conn.execute(text("PRAGMA busy_timeout")).scalar_one() == 15000
    reader = sqlite3.connect(path, isolation_level=None, timeout=0)
    try:
        reader.execute("BEGIN")
        assert reader.execute("SELECT n FROM counter").fetchone() == (0,)
        started = time.monotonic()
        with engine.begin() as conn:
            conn.execute(text("UPDATE counter SET n = 1"))
        assert time.monotonic() - started < 2
        # The reader still sees the state it began with.
        assert reader.execute("SELECT n FROM counter").fetchone() == (0,)
    finally:
        reader.close()
    engine.dispose()
