"""The SMTP transport against real SMTP servers on loopback."""

from __future__ import annotations

import base64
import logging
import ssl
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import quote

import pytest
from icalendar import Calendar
from pydantic import ValidationError

from notifications.delivery import DeliveryStatus
from notifications.identifiers import make_message_id
from notifications.kinds import GroupInvitation, Mail
from notifications.messages import render_mail
from notifications.models import Recipient
from notifications.smtp import SmtpSecurity, SmtpSettings, SmtpTransport
from tests.notifications.samples import NOW, PROGRAMME, RECIPIENTS, all_mails, group
from tests.notifications.smtp_server import PASSWORD, USERNAME, RecordingHandler

StartServer = Callable[..., tuple[RecordingHandler, int]]


def message_to(address: str, lang: str = "de", index: int = 2) -> EmailMessage:
    """A rendered mail of the given kind (default: invitation) addressed to ``address``."""
    person = RECIPIENTS[lang].model_copy(update={"email": address})
    mail: Mail = all_mails(person)[index]
    return render_mail(mail, PROGRAMME, message_id=make_message_id(PROGRAMME.domain), now=NOW)


def settings_for(url: str) -> SmtpSettings:
    """Settings with a short timeout, so that a test that goes wrong fails fast."""
    return SmtpSettings.from_url(url, timeout=5)


def starttls_url(port: int) -> str:
    return f"smtp+starttls://{USERNAME}:{quote(PASSWORD, safe='')}@127.0.0.1:{port}"


def test_a_batch_goes_over_one_starttls_connection_with_auth(
    start_server: StartServer, server_tls: ssl.SSLContext, client_tls: ssl.SSLContext
) -> None:
    handler, port = start_server(tls=server_tls, auth=True)
    transport = SmtpTransport(settings_for(starttls_url(port)), tls_context=client_tls)
    messages = [
        message_to("anna@example.org", "de"),
        message_to("layla@example.org", "ar", index=4),
        message_to("olena@example.org", "uk", index=0),
    ]
    outcomes = transport.send_sync(messages)

    assert [o.status for o in outcomes] == [DeliveryStatus.DELIVERED] * 3
    assert [o.message_id for o in outcomes] == [m["Message-ID"] for m in messages]
    assert all(o.smtp_code == 250 for o in outcomes)
    assert handler.connections == 1
    assert [r.rcpt_tos for r in handler.received] == [
        ("anna@example.org",),
        ("layla@example.org",),
        ("olena@example.org",),
    ]
    for received in handler.received:
        assert received.tls
        assert received.authenticated_as == USERNAME
        assert received.mail_from == "vekl@konstanz.example"

    invitation = handler.received[0].message
    assert invitation["Message-ID"] == messages[0]["Message-ID"]
    assert invitation.get_content_type() == "multipart/mixed"
    alternative = next(invitation.iter_parts())
    kinds = [part.get_content_type() for part in alternative.iter_parts()]
    assert kinds == ["text/plain", "text/html", "text/calendar"]
    calendar_part = list(alternative.iter_parts())[2]
    assert calendar_part.get_param("method") == "REQUEST"
    ics = calendar_part.get_payload(decode=True)
    assert isinstance(ics, bytes)
    assert Calendar.from_ical(ics)["METHOD"] == "REQUEST"
    text = next(alternative.iter_parts()).get_content()
    assert text.startswith("Hallo Anna,")

    cancellation = handler.received[1].message
    cancellation_parts = list(next(cancellation.iter_parts()).iter_parts())
    assert cancellation_parts[2].get_param("method") == "CANCEL"
    assert handler.received[1].message["Content-Language"] == "ar"
    confirmation = handler.received[2].message
    assert confirmation.get_content_type() == "multipart/alternative"


def test_a_ca_file_can_replace_the_system_trust_store(
    start_server: StartServer, server_tls: ssl.SSLContext, ca_file: Path
) -> None:
    handler, port = start_server(tls=server_tls)
    transport = SmtpTransport(settings_for(f"smtp+starttls://127.0.0.1:{port}"), ca_file=ca_file)
    assert transport.send_sync([message_to("anna@example.org")])[0].delivered
    assert handler.received[0].tls


def test_an_untrusted_certificate_is_refused(
    start_server: StartServer, server_tls: ssl.SSLContext
) -> None:
    handler, port = start_server(tls=server_tls)
    # The system trust store does not know the test CA.
    transport = SmtpTransport(settings_for(f"smtp+starttls://127.0.0.1:{port}"))
    (outcome,) = transport.send_sync([message_to("anna@example.org")])
    assert outcome.status is DeliveryStatus.TEMPORARY
    assert "certificate" in outcome.detail.lower()
    assert handler.received == []


def test_implicit_tls(
    start_server: StartServer, server_tls: ssl.SSLContext, client_tls: ssl.SSLContext
) -> None:
    handler, port = start_server(tls=server_tls, implicit_tls=True, auth=True)
    url = f"smtps://{USERNAME}:{quote(PASSWORD, safe='')}@127.0.0.1:{port}"
    transport = SmtpTransport(settings_for(url), tls_context=client_tls)
    assert transport.send_sync([message_to("anna@example.org")])[0].delivered
    assert handler.received[0].tls
    assert handler.received[0].authenticated_as == USERNAME


def test_a_wrong_password_is_a_temporary_failure_for_the_batch(
    start_server: StartServer, server_tls: ssl.SSLContext, client_tls: ssl.SSLContext
) -> None:
    handler, port = start_server(tls=server_tls, auth=True)
    wrong = settings_for(f"smtp+starttls://{USERNAME}:wrong@127.0.0.1:{port}")
    outcomes = SmtpTransport(wrong, tls_context=client_tls).send_sync(
        [message_to("anna@example.org"), message_to("olena@example.org", "uk")]
    )
    assert [o.status for o in outcomes] == [DeliveryStatus.TEMPORARY] * 2
    assert "535" in outcomes[0].detail
    assert handler.received == []


def test_451_is_temporary_and_the_next_attempt_delivers(start_server: StartServer) -> None:
    handler, port = start_server()
    transport = SmtpTransport(settings_for(f"smtp://127.0.0.1:{port}"))
    message = message_to("busy@example.org")

    (first,) = transport.send_sync([message])
    assert first.status is DeliveryStatus.TEMPORARY
    assert first.retryable
    assert first.smtp_code == 451
    assert "Temporary local problem" in first.detail
    assert handler.received == []

    (second,) = transport.send_sync([message])
    assert second.delivered
    assert handler.received[0].message["Message-ID"] == message["Message-ID"]


def test_550_is_permanent_and_the_batch_goes_on_over_the_same_connection(
    start_server: StartServer,
) -> None:
    handler, port = start_server()
    transport = SmtpTransport(settings_for(f"smtp://127.0.0.1:{port}"))
    outcomes = transport.send_sync(
        [
            message_to("anna@example.org"),
            message_to("reject@example.org"),
            message_to("olena@example.org", "uk"),
        ]
    )
    assert [o.status for o in outcomes] == [
        DeliveryStatus.DELIVERED,
        DeliveryStatus.PERMANENT,
        DeliveryStatus.DELIVERED,
    ]
    assert outcomes[1].smtp_code == 550
    assert "Recipient address rejected" in outcomes[1].detail
    assert not outcomes[1].retryable
    assert handler.connections == 1
    assert [r.rcpt_tos for r in handler.received] == [("anna@example.org",), ("olena@example.org",)]


def test_a_dropped_connection_is_temporary_and_the_rest_go_over_a_new_one(
    start_server: StartServer,
) -> None:
    handler, port = start_server()
    transport = SmtpTransport(settings_for(f"smtp://127.0.0.1:{port}"))
    outcomes = transport.send_sync(
        [
            message_to("anna@example.org"),
            message_to("drop@example.org"),
            message_to("olena@example.org", "uk"),
            message_to("layla@example.org", "ar"),
        ]
    )
    assert [o.status for o in outcomes] == [
        DeliveryStatus.DELIVERED,
        DeliveryStatus.TEMPORARY,
        DeliveryStatus.DELIVERED,
        DeliveryStatus.DELIVERED,
    ]
    assert outcomes[1].smtp_code is None
    assert handler.connections == 2
    assert [r.rcpt_tos[0] for r in handler.received] == [
        "anna@example.org",
        "olena@example.org",
        "layla@example.org",
    ]


def test_a_timeout_is_temporary_and_the_rest_go_over_a_new_connection(
    start_server: StartServer,
) -> None:
    handler, port = start_server()
    settings = SmtpSettings.from_url(f"smtp://127.0.0.1:{port}", timeout=0.5)
    outcomes = SmtpTransport(settings).send_sync(
        [message_to("slow@example.org"), message_to("anna@example.org")]
    )
    assert [o.status for o in outcomes] == [DeliveryStatus.TEMPORARY, DeliveryStatus.DELIVERED]
    assert "timeout" in outcomes[0].detail.lower() or "timed out" in outcomes[0].detail.lower()
    assert handler.connections == 2


def test_an_unreachable_server_gives_temporary_failures_not_an_exception() -> None:
    from tests.notifications.conftest import free_port

    port = free_port()
    transport = SmtpTransport(SmtpSettings.from_url(f"smtp://127.0.0.1:{port}", timeout=2))
    outcomes = transport.send_sync([message_to("anna@example.org"), message_to("b@example.org")])
    assert [o.status for o in outcomes] == [DeliveryStatus.TEMPORARY] * 2
    assert f"cannot connect to smtp://127.0.0.1:{port}" in outcomes[0].detail


def test_header_injection_never_reaches_the_server(start_server: StartServer) -> None:
    handler, port = start_server()
    transport = SmtpTransport(settings_for(f"smtp://127.0.0.1:{port}"))

    # Through the models: the error comes before any message exists.
    with pytest.raises(ValidationError, match="single line"):
        Recipient(name="Eve\r\nBcc: victim@example.org", first_name="Eve", email="e@example.org")
    with pytest.raises(ValidationError, match="single line"):
        GroupInvitation(
            recipient=RECIPIENTS["de"], group=group(label="Seerhein\nBcc: victim@example.org")
        )

    # A stored message tampered with afterwards: refused by the transport, nothing is sent.
    good = message_to("anna@example.org")
    raw = good.as_bytes()
    injected_bcc = raw.replace(b"\r\nSubject:", b"\r\nBcc: victim@example.org\r\nSubject:", 1)
    bare_newline = raw.replace(b"\r\nSubject: ", b"\r\nSubject: Hi\nBcc: victim@example.org ", 1)
    bare_return = raw.replace(b"\r\nSubject: ", b"\r\nSubject: Hi\rBcc: victim@example.org ", 1)
    two_to = raw.replace(b"\r\nSubject:", b"\r\nTo: victim@example.org\r\nSubject:", 1)
    outcomes = transport.send_sync([injected_bcc, bare_newline, bare_return, two_to, good])

    assert [o.status for o in outcomes] == [DeliveryStatus.PERMANENT] * 4 + [
        DeliveryStatus.DELIVERED
    ]
    assert "Bcc is not allowed" in outcomes[0].detail
    assert "bare CR or LF" in outcomes[1].detail
    assert "bare CR or LF" in outcomes[2].detail
    assert "exactly one To" in outcomes[3].detail
    assert len(handler.received) == 1
    assert handler.received[0].rcpt_tos == ("anna@example.org",)
    assert b"victim" not in handler.received[0].content


def test_stored_bytes_are_sent_unchanged(start_server: StartServer) -> None:
    handler, port = start_server()
    stored = message_to("anna@example.org").as_bytes()
    transport = SmtpTransport(settings_for(f"smtp://127.0.0.1:{port}"))
    assert transport.send_sync([stored])[0].delivered
    assert handler.received[0].content.replace(b"\r\n", b"\n") == stored.replace(b"\r\n", b"\n")


def test_an_envelope_sender_can_be_set_for_bounces(start_server: StartServer) -> None:
    handler, port = start_server()
    transport = SmtpTransport(
        settings_for(f"smtp://127.0.0.1:{port}"),
        envelope_sender="bounces@konstanz.example",
    )
    assert transport.send_sync([message_to("anna@example.org")])[0].delivered
    assert handler.received[0].mail_from == "bounces@konstanz.example"
    assert handler.received[0].message["From"].addresses[0].addr_spec == "vekl@konstanz.example"


def test_the_password_is_never_logged_or_shown(
    start_server: StartServer,
    server_tls: ssl.SSLContext,
    client_tls: ssl.SSLContext,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    _handler, port = start_server(tls=server_tls, auth=True)
    configured = settings_for(starttls_url(port))
    transport = SmtpTransport(configured, tls_context=client_tls)
    outcomes = transport.send_sync([message_to("anna@example.org"), message_to("drop@example.org")])
    assert outcomes[0].delivered
    plain_auth = base64.b64encode(f"\0{USERNAME}\0{PASSWORD}".encode()).decode()
    shown = " ".join(
        [caplog.text, repr(configured), repr(transport), configured.redacted_url()]
        + [o.detail for o in outcomes]
    )
    assert "mailer:***@127.0.0.1" in configured.redacted_url()
    for secret in (PASSWORD, quote(PASSWORD, safe=""), plain_auth):
        assert secret not in shown


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.konstanz.example", ("mail.konstanz.example", 25, SmtpSecurity.NONE)),
        ("smtp://127.0.0.1:2525", ("127.0.0.1", 2525, SmtpSecurity.NONE)),
        ("smtp+starttls://u:p@relay.example", ("relay.example", 587, SmtpSecurity.STARTTLS)),
        ("smtps://u:p@relay.example", ("relay.example", 465, SmtpSecurity.TLS)),
        ("SMTPS://u:p@[::1]:1465", ("::1", 1465, SmtpSecurity.TLS)),
    ],
)
def test_settings_from_url(url: str, expected: tuple[str, int, SmtpSecurity]) -> None:
    settings = SmtpSettings.from_url(url)
    assert (settings.host, settings.port, settings.security) == expected


def test_credentials_are_percent_decoded() -> None:
    settings = SmtpSettings.from_url(
        f"smtp+starttls://{quote('mailer@konstanz.example', safe='')}:{quote(PASSWORD, safe='')}"
        "@relay.example:587"
    )
    assert settings.username == "mailer@konstanz.example"
    assert settings.password == PASSWORD
    assert PASSWORD not in repr(settings)


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("http://relay.example", "unsupported SMTP URL scheme"),
        ("smtp://", "no host"),
        ("smtp://u:p@relay.example", "unencrypted"),
        ("smtp+starttls://u@relay.example", "no password"),
        ("smtp://relay.example/path", "path"),
        ("smtp://relay.example:99999", "invalid port"),
    ],
)
def test_bad_urls_are_refused_without_echoing_secrets(url: str, error: str) -> None:
    with pytest.raises(ValueError, match=error) as raised:
        SmtpSettings.from_url(url)
    assert ":p@" not in str(raised.value)


def test_credentials_over_plain_smtp_are_allowed_on_loopback_only() -> None:
    assert SmtpSettings.from_url("smtp://u:p@127.0.0.1:25").username == "u"
    assert SmtpSettings.from_url("smtp://u:p@localhost:25").username == "u"
