"""The organisers' feedback page and ``vekl feedback``: one service, counts only."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.feedback.conftest import Finished, mails, survey_token
from tests.organiser.conftest import LoggedIn
from vekl.cli import app as cli
from vekl.cli import feedback as feedback_commands
from vekl.feedback import service as feedback
from vekl.settings import Settings
from vekl.store.models import AuditEntry


def test_the_page_sends_the_due_invitations_once_and_shows_counts_not_names(
    db: Session, finished: Finished, settings: Settings, client: TestClient, team: LoggedIn
) -> None:
    slug = finished.round.slug
    page = client.get(f"/organiser/rounds/{slug}/feedback?lang=de")
    assert page.status_code == 200
    assert "9 Personen hatten ihren letzten Abend" in page.text
    sent = client.post(f"/organiser/rounds/{slug}/feedback/send", data={"csrf_token": team.csrf})
    assert sent.status_code == 303
    assert len(mails(db, "survey")) == 9
    again = client.post(f"/organiser/rounds/{slug}/feedback/send", data={"csrf_token": team.csrf})
    assert again.status_code == 303 and len(mails(db, "survey")) == 9
    assert db.scalar(select(AuditEntry).where(AuditEntry.action == "feedback.send"))
    person = finished.members[3]
    row = next(r for r in mails(db, "survey") if r.participant_id == person.id)
    feedback.answer(
        db,
        survey_token(row),
        {
            "satisfaction": "5",
            "met_someone_new": "yes",
            "would_recommend": "yes",
            "stay_in_touch": "no",
            "comment": "Sehr schön",
        },
        settings,
        datetime.now(UTC),
    )
    db.commit()
    shown = client.get(f"/organiser/rounds/{slug}/feedback?lang=de").text
    assert "Sehr schön" in shown
    answered = re.search(r"Bürger:innen</th><td>(\d+)</td><td>(\d+)</td>", shown)
    assert answered and answered.groups() == ("4", "1")
    assert person.first_name not in shown and person.email not in shown


def test_the_page_needs_a_login(client: TestClient, finished: Finished) -> None:
    response = client.get(f"/organiser/rounds/{finished.round.slug}/feedback")
    assert response.status_code in (303, 401)


def test_the_command_sends_and_reports_through_the_same_service(
    db: Session, finished: Finished, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    @contextmanager
    def in_the_test_transaction() -> Iterator[Session]:
        yield db
        db.commit()

    monkeypatch.setattr(feedback_commands, "unit_of_work", in_the_test_transaction)
    monkeypatch.setattr(feedback_commands, "settings", lambda: settings)
    runner = CliRunner()
    status = runner.invoke(cli, ["feedback", "status", finished.round.slug])
    assert status.exit_code == 0, status.output
    assert "9 due" in status.output
    sent = runner.invoke(cli, ["feedback", "send", finished.round.slug])
    assert sent.exit_code == 0, sent.output
    assert "8 participants and 1 moderators invited" in sent.output
    assert len(mails(db, "survey")) == 9
    figures = runner.invoke(cli, ["feedback", "status", finished.round.slug, "--json"])
    assert json.loads(figures.output)["answers"] == 0
