"""The dispatcher against a real SMTP server on loopback, with committed transactions.

Dispatchers commit as they go, so these tests use their own round and remove it after.
"""

from __future__ import annotations

import ssl
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, sessionmaker

from notifications import kinds
from notifications.identifiers import make_message_id
from notifications.messages import render_mail
from notifications.models import Recipient
from notifications.smtp import SmtpSettings, SmtpTransport
from tests.notifications.smtp_server import RecordingHandler
from vekl.mail import dispatch as mail_dispatch
from vekl.mail import outbox, sealing
from vekl.mail import recipients as sender
from vekl.settings import Settings
from vekl.store.db import make_sessionmaker
from vekl.store.models import MailStatus, OutboxMail, Round

StartServer = Callable[..., tuple[RecordingHandler, int]]
Smtp = tuple[RecordingHandler, SmtpTransport]


@pytest.fixture
def sessions(engine: Engine) -> Iterator[sessionmaker[Session]]:
    factory = make_sessionmaker(engine)
    with factory() as session:
        round = Round(slug=f"dispatch-{uuid.uuid4().hex[:8]}", name="Dispatch test")
        session.add(round)
        session.commit()
        round_id = round.id
    factory.round_id = round_id  # type: ignore[attr-defined]
    yield factory
    with factory() as session:
        session.execute(delete(Round).where(Round.id == round_id))
        session.commit()


def _message(settings: Settings, email: str, name: str = "Anna Weber") -> EmailMessage:
    programme = sender.programme(settings)
    mail = kinds.SelfServiceLink(
        recipient=Recipient(name=name, first_name=name.split()[0], email=email, language="de"),
        self_service_url="https://vekl.konstanz.example/me/secret-token",
    )
    return render_mail(mail, programme, message_id=make_message_id(programme.domain))


def queue(
    sessions: sessionmaker[Session],
    settings: Settings,
    emails: list[str],
    *,
    not_after: datetime | None = None,
) -> list[str]:
    ids = []
    with sessions() as session:
        round = session.get_one(Round, sessions.round_id)  # type: ignore[attr-defined]
        for email in emails:
            message = _message(settings, email)
            outbox.queue(
                session,
                message,
                secret_key=settings.secret_key,
                kind="self_service_link",
                round=round,
                not_after=not_after,
            )
            ids.append(str(message["Message-ID"]))
        session.commit()
    return ids


def statuses(sessions: sessionmaker[Session]) -> dict[str, MailStatus]:
    with sessions() as session:
        rows = session.scalars(
            select(OutboxMail).where(OutboxMail.round_id == sessions.round_id)  # type: ignore[attr-defined]
        )
        return {row.recipient: row.status for row in rows}


@pytest.fixture
def smtp(start_server: StartServer, server_tls: ssl.SSLContext, client_tls: ssl.SSLContext) -> Smtp:
    handler, port = start_server(tls=server_tls)
    transport = SmtpTransport(
        SmtpSettings.from_url(f"smtp+starttls://localhost:{port}", timeout=5),
        tls_context=client_tls,
    )
    return handler, transport


def received_ids(handler: RecordingHandler) -> list[str]:
    return [str(r.message["Message-ID"]) for r in handler.received]


def test_delivers_over_starttls_and_marks_sent(
    sessions: sessionmaker[Session], settings: Settings, smtp: Smtp
) -> None:
    handler, transport = smtp
    ids = queue(sessions, settings, [f"p{i}@example.org" for i in range(5)])
    result = mail_dispatch.dispatch_all(sessions, transport, secret_key=settings.secret_key)
    assert (result.sent, result.failed, result.retrying) == (5, 0, 0)
    assert sorted(received_ids(handler)) == sorted(ids)
    assert all(r.tls for r in handler.received)
    assert handler.connections == 1
    assert set(statuses(sessions).values()) == {MailStatus.SENT}
    # Nothing is sent twice.
    assert (
        mail_dispatch.dispatch_all(sessions, transport, secret_key=settings.secret_key).claimed == 0
    )
    assert len(handler.received) == 5


def test_busy_server_is_retried_and_delivers_once(
    sessions: sessionmaker[Session], settings: Settings, smtp: Smtp
) -> None:
    handler, transport = smtp
    queue(sessions, settings, ["busy@example.org", "ok@example.org"])
    first = mail_dispatch.dispatch_once(sessions, transport, secret_key=settings.secret_key)
    assert (first.sent, first.retrying) == (1, 1)
    assert statuses(sessions)["busy@example.org"] is MailStatus.QUEUED
    # Not due yet: the backoff holds it back.
    assert (
        mail_dispatch.dispatch_once(sessions, transport, secret_key=settings.secret_key).claimed
        == 0
    )
    later = datetime.now(UTC) + mail_dispatch.STALE_AFTER
    second = mail_dispatch.dispatch_once(
        sessions, transport, secret_key=settings.secret_key, now=later
    )
    assert second.sent == 1
    assert [r.rcpt_tos for r in handler.received].count(("busy@example.org",)) == 1


def test_rejected_recipient_fails_and_is_not_retried(
    sessions: sessionmaker[Session], settings: Settings, smtp: Smtp
) -> None:
    _handler, transport = smtp
    queue(sessions, settings, ["reject@example.org"])
    result = mail_dispatch.dispatch_once(sessions, transport, secret_key=settings.secret_key)
    assert result.failed == 1 and "550" in result.errors[0]
    assert statuses(sessions)["reject@example.org"] is MailStatus.FAILED
    far = datetime.now(UTC) + timedelta(days=3)
    assert (
        mail_dispatch.dispatch_once(
            sessions, transport, secret_key=settings.secret_key, now=far
        ).claimed
        == 0
    )
    with sessions() as session:
        problems = mail_dispatch.problem_mails(session, sessions.round_id)  # type: ignore[attr-defined]
        assert [p.recipient for p in problems] == ["reject@example.org"]
        assert "550" in (problems[0].last_error or "")


def test_connection_dropped_mid_message_is_retried(
    sessions: sessionmaker[Session], settings: Settings, smtp: Smtp
) -> None:
    _handler, transport = smtp
    queue(sessions, settings, ["drop@example.org", "after@example.org"])
    result = mail_dispatch.dispatch_once(sessions, transport, secret_key=settings.secret_key)
    assert result.retrying == 1 and result.sent == 1
    assert statuses(sessions) == {
        "drop@example.org": MailStatus.QUEUED,
        "after@example.org": MailStatus.SENT,
    }


def test_mail_for_an_evening_that_began_is_not_sent(
    sessions: sessionmaker[Session], settings: Settings, smtp: Smtp
) -> None:
    handler, transport = smtp
    queue(
        sessions, settings, ["late@example.org"], not_after=datetime.now(UTC) - timedelta(minutes=1)
    )
    result = mail_dispatch.dispatch_once(sessions, transport, secret_key=settings.secret_key)
    assert result.expired == 1 and result.claimed == 0
    assert handler.received == []
    assert statuses(sessions)["late@example.org"] is MailStatus.EXPIRED


def test_a_later_mail_never_overtakes_an_earlier_one_to_the_same_person(
    sessions: sessionmaker[Session], settings: Settings, smtp: Smtp
) -> None:
    handler, transport = smtp
    first, second = queue(sessions, settings, ["busy@example.org", "busy@example.org"])
    step = mail_dispatch.dispatch_once(sessions, transport, secret_key=settings.secret_key)
    assert step.claimed == 1  # the second waits for the first
    assert received_ids(handler) == []
    later = datetime.now(UTC) + mail_dispatch.STALE_AFTER
    mail_dispatch.dispatch_all(sessions, transport, secret_key=settings.secret_key, batch_size=10)
    mail_dispatch.dispatch_once(sessions, transport, secret_key=settings.secret_key, now=later)
    mail_dispatch.dispatch_once(sessions, transport, secret_key=settings.secret_key, now=later)
    assert received_ids(handler) == [first, second]


def test_header_injection_is_refused_before_anything_is_queued(
    sessions: sessionmaker[Session], settings: Settings, smtp: Smtp
) -> None:
    handler, transport = smtp
    with pytest.raises(ValueError):
        _message(settings, "anna@example.org", name="Anna\r\nBcc: victim@example.org")
    # A stored message with an injected header is refused by the transport, never sent.
    with sessions() as session:
        good = _message(settings, "anna@example.org").as_bytes()
        tampered = good.replace(b"\r\nTo: ", b"\r\nBcc: victim@example.org\r\nTo: ", 1)
        session.add(
            OutboxMail(
                message_id=make_message_id("konstanz.example"),
                kind="test",
                round_id=sessions.round_id,  # type: ignore[attr-defined]
                recipient="anna@example.org",
                payload=sealing.seal(settings.secret_key, tampered),
            )
        )
        session.commit()
    result = mail_dispatch.dispatch_all(sessions, transport, secret_key=settings.secret_key)
    assert result.failed == 1 and result.sent == 0
    assert handler.received == []


def test_two_dispatchers_at_once_send_every_mail_exactly_once(
    engine: Engine,
    sessions: sessionmaker[Session],
    settings: Settings,
    start_server: StartServer,
    server_tls: ssl.SSLContext,
    client_tls: ssl.SSLContext,
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("concurrent claims rely on PostgreSQL's FOR UPDATE SKIP LOCKED")
    handler, port = start_server(tls=server_tls)
    url = f"smtp+starttls://localhost:{port}"
    ids = queue(sessions, settings, [f"person{i}@example.org" for i in range(40)])
    errors: list[BaseException] = []

    def run() -> None:
        try:
            transport = SmtpTransport(SmtpSettings.from_url(url, timeout=5), tls_context=client_tls)
            mail_dispatch.dispatch_all(
                sessions, transport, secret_key=settings.secret_key, batch_size=5
            )
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=run) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert errors == []
    assert sorted(received_ids(handler)) == sorted(ids)
    assert len(received_ids(handler)) == len(set(received_ids(handler))) == 40
    assert set(statuses(sessions).values()) == {MailStatus.SENT}


def test_a_moved_persons_one_mail_arrives_with_every_calendar_file(
    sessions: sessionmaker[Session], settings: Settings, smtp: Smtp
) -> None:
    from icalendar import Calendar

    from tests.notifications.samples import RECIPIENTS, moved
    from tests.outbox.replay import attached_calendars

    handler, transport = smtp
    programme = sender.programme(settings)
    mail = moved(RECIPIENTS["ar"])
    message = render_mail(mail, programme, message_id=make_message_id(programme.domain))
    with sessions() as session:
        round = session.get_one(Round, sessions.round_id)  # type: ignore[attr-defined]
        outbox.queue(
            session, message, secret_key=settings.secret_key, kind="group_moved", round=round
        )
        session.commit()
    result = mail_dispatch.dispatch_all(sessions, transport, secret_key=settings.secret_key)
    assert (result.sent, result.failed) == (1, 0)
    (received,) = handler.received
    assert received.rcpt_tos == ("layla@example.org",)
    files = attached_calendars(received.content)
    # Four evenings leave the calendar and three come in, each in a file of its own.
    assert [str(Calendar.from_ical(f)["METHOD"]) for f in files] == ["CANCEL"] * 4 + ["REQUEST"] * 3
    assert all(len(Calendar.from_ical(f).walk("VEVENT")) == 1 for f in files)
    assert files == attached_calendars(message.as_bytes())
    assert not [p for p in received.message.walk() if p.get_content_type() == "text/calendar"]
