"""The migrations build exactly the schema the models describe, and can be undone."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from vekl.store import migrate
from vekl.store.base import Base
from vekl.store.db import make_engine


def test_upgrade_downgrade_upgrade_on_an_empty_database(database_url: str, tmp_path) -> None:
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
    else:
        # A database of its own: the shared one must keep its schema for the other tests.
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text('DROP DATABASE IF EXISTS "vekl_migration_check" WITH (FORCE)'))
            conn.execute(text('CREATE DATABASE "vekl_migration_check"'))
        url = make_url(database_url).set(database="vekl_migration_check").render_as_string(False)
    try:
        migrate.upgrade(url)
        engine = make_engine(url)
        with engine.connect() as conn:
            assert migrate.current_revision(conn) == migrate.head_revision()
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
            assert diff == [], f"models and migrations differ: {diff}"
        engine.dispose()

        migrate.downgrade(url, "base")
        engine = make_engine(url)
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        engine.dispose()

        migrate.upgrade(url)
        engine = make_engine(url)
        assert "participants" in inspect(engine).get_table_names()
        engine.dispose()
    finally:
        if not database_url.startswith("sqlite"):
            with admin.connect() as conn:
                conn.execute(text('DROP DATABASE IF EXISTS "vekl_migration_check" WITH (FORCE)'))
            admin.dispose()


@pytest.mark.parametrize("revision", ["head"])
def test_upgrading_twice_is_harmless(tmp_path, revision: str) -> None:
    url = f"sqlite:///{tmp_path / 'twice.sqlite3'}"
    migrate.upgrade(url, revision)
    migrate.upgrade(url, revision)
