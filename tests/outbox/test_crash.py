"""A dispatcher killed in the middle of a batch sends at most one mail twice.

``vekl mail send`` runs as a real process against a real SMTP server on loopback. The
server kills it with SIGKILL while it takes the fifth mail, after the mail has arrived and
before the dispatcher hears the answer: the worst moment. Then other dispatchers take
over, as they would later on.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from notifications.identifiers import make_message_id
from notifications.smtp import SmtpSettings, SmtpTransport
from tests.databases import fresh_database
from tests.notifications.smtp_server import RecordingHandler
from vekl.mail import dispatch as mail_dispatch
from vekl.mail import outbox
from vekl.store import migrate
from vekl.store.db import make_engine, make_sessionmaker
from vekl.store.models import MailStatus, OutboxMail, Round

SECRET = "crash-test-secret-key-0123456789"
BATCH = 20
FATAL = 5  # the dispatcher dies while the server takes this mail


class KillingHandler(RecordingHandler):
    """Records mails; kills the dispatcher once the ``FATAL``-th has arrived."""

    victim: subprocess.Popen[bytes] | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        answer = await super().handle_DATA(server, session, envelope)
        if len(self.received) == FATAL and self.victim is not None:
            os.kill(self.victim.pid, signal.SIGKILL)
            self.victim.wait(30)
        return answer


def _queue(url: str, count: int) -> list[str]:
    engine = make_engine(url)
    ids = []
    with Session(engine) as session:
        round = Round(slug="crash", name="Crash test")
        session.add(round)
        session.flush()
        for i in range(count):
            message = EmailMessage()
            message["From"] = "VEKL <vekl@konstanz.example>"
            message["To"] = f"person{i}@example.org"
            message["Subject"] = "Test"
            message["Message-ID"] = make_message_id("konstanz.example")
            message.set_content("Hallo")
            outbox.queue(session, message, secret_key=SECRET, kind="test", round=round)
            ids.append(str(message["Message-ID"]))
        session.commit()
    engine.dispose()
    return ids


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_killed_dispatcher_sends_at_most_one_mail_twice(
    kind: str, tmp_path: Path, start_server: Any
) -> None:
    handler = KillingHandler()
    _, port = start_server(handler=handler)
    with fresh_database(kind, tmp_path, "vekl_crash") as url:
        migrate.upgrade(url)
        ids = _queue(url, BATCH)
        env = {
            **os.environ,
            "VEKL_DATABASE_URL": url,
            "VEKL_ENVIRONMENT": "test",
            "VEKL_SECRET_KEY": SECRET,
            "VEKL_SMTP_URL": f"smtp://127.0.0.1:{port}",
        }
        vekl = Path(sys.executable).parent / "vekl"
        handler.victim = subprocess.Popen(
            [str(vekl), "mail", "send", "--batch-size", str(BATCH)],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while handler.victim.poll() is None:
            assert time.monotonic() < deadline, "the dispatcher was not killed"
            time.sleep(0.05)
        assert handler.victim.returncode == -signal.SIGKILL
        assert len(handler.received) == FATAL

        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        transport = SmtpTransport(SmtpSettings.from_url(f"smtp://127.0.0.1:{port}", timeout=5))
        with sessions() as session:
            counts = dict(
                session.execute(
                    select(OutboxMail.status, func.count()).group_by(OutboxMail.status)
                ).all()
            )
            started = session.scalar(
                select(func.count()).where(
                    OutboxMail.status == MailStatus.SENDING, OutboxMail.started_at.is_not(None)
                )
            )
        # Four were recorded as sent; the fifth had begun; the rest were only claimed.
        assert counts == {MailStatus.SENT: FATAL - 1, MailStatus.SENDING: BATCH - FATAL + 1}
        assert started == 1

        def dispatch(after: timedelta) -> None:
            mail_dispatch.dispatch_all(sessions, transport, secret_key=SECRET)
            later = datetime.now(UTC) + after
            while mail_dispatch.dispatch_once(
                sessions, transport, secret_key=SECRET, now=later
            ).claimed:
                pass

        # Straight away another dispatcher leaves everything alone: the claim still holds.
        dispatch(timedelta(0))
        assert len(handler.received) == FATAL
        # Once the claim has lapsed, mails that never began go out, once each; the one in
        # flight waits, since it may have arrived.
        dispatch(mail_dispatch.CLAIM_LEASE + timedelta(seconds=1))
        assert len(handler.received) == BATCH
        # Much later it is sent again, with the same Message-ID.
        dispatch(mail_dispatch.STALE_AFTER + timedelta(seconds=1))
        received = Counter(str(r.message["Message-ID"]) for r in handler.received)
        assert set(received) == set(ids)
        assert sorted(received.values()) == [1] * (BATCH - 1) + [2]
        assert received[ids[FATAL - 1]] == 2
        with sessions() as session:
            rows = session.scalars(select(OutboxMail)).all()
            assert {row.status for row in rows} == {MailStatus.SENT}
            assert {row.payload for row in rows} == {None}
        engine.dispose()
