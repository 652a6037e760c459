"""Alembic environment: runs against the connection or URL handed in by ``vekl.store.migrate``."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection

from vekl.store import models  # noqa: F401  (registers every table on the metadata)
from vekl.store.base import Base, UTCDateTime
from vekl.store.db import make_engine

config = context.config
target_metadata = Base.metadata


def _render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Render the app's column types as plain SQLAlchemy ones so migrations stand alone."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _foreign_keys(connection: Connection, enforced: bool) -> None:
    """SQLite: batch migrations copy a table and drop the old one. With foreign keys
    enforced, dropping a table deletes every row that refers to it (ON DELETE CASCADE), so
    they are switched off while migrating and checked afterwards. The PRAGMA has no effect
    inside a transaction, so it goes straight to the driver before one begins."""
    if connection.dialect.name != "sqlite":
        return
    if connection.in_transaction():
        raise RuntimeError("SQLite migrations must start and end outside a transaction")
    driver = connection.connection.driver_connection
    assert driver is not None
    driver.execute(f"PRAGMA foreign_keys={'ON' if enforced else 'OFF'}")


def _check_foreign_keys(connection: Connection) -> None:
    if connection.dialect.name != "sqlite":
        return
    driver = connection.connection.driver_connection
    assert driver is not None
    broken = driver.execute("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"the migration left rows that refer to nothing: {broken[:5]}")


def _run(connection: Connection) -> None:
    _foreign_keys(connection, enforced=False)
    try:
        _configure_and_migrate(connection)
        # SQLite's DDL is not transactional for Alembic: the connection began a transaction
        # of its own, which ends here so that the check and the PRAGMA take effect.
        if connection.in_transaction():
            connection.commit()
        _check_foreign_keys(connection)
    finally:
        if connection.in_transaction():
            connection.rollback()
        _foreign_keys(connection, enforced=True)


def _configure_and_migrate(connection: Connection) -> None:
    context.configure(
        render_item=_render_item,
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        _run(conn)
        conn.commit()
    engine.dispose()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
