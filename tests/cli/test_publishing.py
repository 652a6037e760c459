"""Publishing from the command line and from the organiser page has the same effects.

One draft, two copies of the database: ``vekl match --publish`` on one, the organiser page's
publish button on the other. Both must queue the same mails to the same people and write
the same audit entries (apart from who did it).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from api import create_app
from tests.cli.test_matching_commands import EXAMPLE, run
from tests.organiser.conftest import log_in
from vekl.access import organisers
from vekl.settings import Settings
from vekl.store.db import make_engine, make_sessionmaker, transaction
from vekl.store.models import AuditEntry, OutboxMail

EMAIL = "team@konstanz.example"
PASSWORD = "lange-genug-und-geheim"


def _effects(database: Path, after_audit_id: int) -> tuple[list[Any], list[Any]]:
    engine = make_engine(f"sqlite:///{database}")
    try:
        with transaction(make_sessionmaker(engine)) as session:
            mails = sorted(
                (m.kind, m.recipient, m.participant_id, m.moderator_id, m.status.value)
                for m in session.scalars(select(OutboxMail))
            )
            entries = [
                (e.action, e.subject, e.round_id, e.details)
                for e in session.scalars(
                    select(AuditEntry)
                    .where(AuditEntry.id > after_audit_id, AuditEntry.action.like("run.%"))
                    .order_by(AuditEntry.id)
                )
            ]
    finally:
        engine.dispose()
    return mails, entries


def _last_audit_id(database: Path) -> int:
    engine = make_engine(f"sqlite:///{database}")
    try:
        with transaction(make_sessionmaker(engine)) as session:
            return max(session.scalars(select(AuditEntry.id)))
    finally:
        engine.dispose()


def test_the_command_and_the_page_publish_alike(runner: CliRunner, cli_env: Path) -> None:
    run(runner, "db", "upgrade")
    run(runner, "round", "create", str(EXAMPLE / "round.toml"))
    run(runner, "import", "moderators", str(EXAMPLE / "moderators.csv"), "-r", "konstanz-mai")
    run(runner, "import", "registrations", str(EXAMPLE / "registrations.csv"), "-r", "konstanz-mai")
    run(runner, "match", "-r", "konstanz-mai", "-t", "2")
    command_db = cli_env / "cli.sqlite3"
    page_db = cli_env / "page.sqlite3"
    # The database is in WAL mode: a copy of the file alone may miss the last commits.
    source, copy = sqlite3.connect(command_db), sqlite3.connect(page_db)
    source.backup(copy)
    source.close()
    copy.close()
    before = _last_audit_id(command_db)

    published = run(runner, "match", "-r", "konstanz-mai", "--publish")
    assert "Run 1 published" in published

    settings = Settings(
        environment="test",
        database_url=f"sqlite:///{page_db}",
        base_url="https://vekl.example",
        secret_key="publishing-test-secret-0123456789",
        mail_from="VEKL Konstanz <vekl@konstanz.example>",
        mail_dir=cli_env / "page-mail",
    )
    app = create_app(settings)
    with transaction(app.state.sessions) as session:
        organisers.create_user(session, EMAIL, PASSWORD, actor="test")
    with TestClient(app, base_url="https://vekl.example", follow_redirects=False) as client:
        csrf = log_in(client, EMAIL, PASSWORD)
        response = client.post(
            "/organiser/rounds/konstanz-mai/runs/1/publish", data={"csrf_token": csrf}
        )
    assert response.status_code == 303, response.text

    command_mails, command_audit = _effects(command_db, before)
    page_mails, page_audit = _effects(page_db, before)
    assert len(command_mails) >= 60
    assert f"queued={len(page_mails)}" in response.headers["location"]
    assert page_mails == command_mails
    assert [entry[0] for entry in command_audit] == ["run.publish"]
    assert page_audit == command_audit
