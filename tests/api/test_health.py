"""``GET /health``: 200 when the database answers, a worker is alive and mail moves; else 503."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api import create_app
from vekl.jobs import service as jobs
from vekl.settings import Settings
from vekl.store.models import MailStatus, OutboxMail

from .conftest import SECRET


def _mail(db: Session, recipient: str, **fields: object) -> None:
    db.add(
        OutboxMail(
            message_id=f"<{recipient}.{len(fields)}@vekl.test>",
            kind="test",
            recipient=recipient,
            payload=b"",
            **fields,
        )
    )
    db.flush()


def test_healthy_with_a_live_worker_and_moving_mail(client: TestClient, db: Session) -> None:
    now = datetime.now(UTC)
    jobs.beat(db, "web-1:123", now - timedelta(seconds=5))
    # Due a moment ago, and one waiting for its retry: both normal.
    _mail(db, "olena.melnyk@example.org", next_attempt_at=now - timedelta(minutes=1))
    _mail(db, "amal@example.org", next_attempt_at=now + timedelta(hours=1), attempts=3)
    answer = client.get("/health")
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "ok" and body["failing"] == []
    assert body["checks"]["worker"]["ok"] is True
    assert 4 <= body["checks"]["worker"]["detail"]["heartbeat_age_seconds"] < 60
    assert answer.headers["cache-control"] == "no-store"
    assert "example.org" not in answer.text and "web-1" not in answer.text


def test_no_worker_or_a_silent_one_fails(client: TestClient, db: Session, settings) -> None:  # type: ignore[no-untyped-def]
    answer = client.get("/health")
    assert answer.status_code == 503
    assert answer.json()["failing"] == ["worker"]
    silent = timedelta(seconds=settings.worker_stale_after + 1)
    jobs.beat(db, "w", datetime.now(UTC) - silent)
    answer = client.get("/health")
    assert answer.status_code == 503 and answer.json()["failing"] == ["worker"]


def test_mail_due_for_too_long_fails(client: TestClient, db: Session, settings) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    jobs.beat(db, "w", now)
    late = timedelta(seconds=settings.outbox_stuck_after + 60)
    _mail(db, "late@example.org", next_attempt_at=now - late)
    answer = client.get("/health")
    assert answer.status_code == 503
    body = answer.json()
    assert body["failing"] == ["outbox"] and body["checks"]["outbox"]["detail"] == {
        "overdue_mails": 1
    }
    assert "late@example.org" not in answer.text


def test_a_mail_claimed_by_a_sender_that_vanished_fails(client: TestClient, db: Session) -> None:
    now = datetime.now(UTC)
    jobs.beat(db, "w", now)
    _mail(db, "lost@example.org", status=MailStatus.SENDING, claimed_at=now - timedelta(hours=2))
    assert client.get("/health").json()["failing"] == ["outbox"]


def test_an_unreachable_database_fails_and_names_it() -> None:
    settings = Settings(
        environment="test",
        # Nothing listens on port 1 of the loopback address.
        database_url="postgresql+psycopg://vekl@127.0.0.1:1/vekl",
        secret_key=SECRET,
    )
    with TestClient(create_app(settings)) as client:
        answer = client.get("/health")
    assert answer.status_code == 503
    body = answer.json()
    assert body["status"] == "failing" and body["failing"] == ["database"]
    assert body["checks"]["database"]["ok"] is False
    assert body["checks"]["worker"]["ok"] is None  # not known
