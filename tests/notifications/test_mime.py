"""The MIME structure and headers of rendered mails."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage, MIMEPart

import pytest
from icalendar import Calendar

from notifications.headers import UnsafeHeaderError
from notifications.identifiers import check_message_id, make_message_id
from notifications.kinds import GroupMoved
from notifications.messages import render_mail
from notifications.mime import Attachment, Mailbox, build_message
from notifications.models import Programme
from tests.notifications.samples import (
    NOW,
    PROGRAMME,
    RECIPIENTS,
    all_mails,
    moved,
)


def rendered(index: int, lang: str = "de") -> tuple[EmailMessage, str]:
    message_id = make_message_id(PROGRAMME.domain)
    message = render_mail(all_mails(RECIPIENTS[lang])[index], PROGRAMME, message_id=message_id)
    # What the receiving side sees: the message parsed back from the bytes on the wire.
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed, message_id


def structure(message: MIMEPart) -> list[object]:
    if message.is_multipart():
        return [message.get_content_type(), [structure(part) for part in message.iter_parts()]]
    return [message.get_content_type()]


@pytest.mark.parametrize(
    ("index", "method", "filename"),
    [
        (2, "REQUEST", "vekl-2026-05-16-invitation.ics"),
        (3, "REQUEST", "vekl-2026-05-23-update.ics"),
        (4, "CANCEL", "vekl-2026-05-30-cancellation.ics"),
    ],
)
def test_calendar_mails_are_mixed_with_an_alternative_and_the_ics(
    index: int, method: str, filename: str
) -> None:
    message, _ = rendered(index, "uk")
    assert structure(message) == [
        "multipart/mixed",
        [
            ["multipart/alternative", [["text/plain"], ["text/html"], ["text/calendar"]]],
            ["application/ics"],
        ],
    ]
    alternative, attachment = message.iter_parts()
    calendar_part = list(alternative.iter_parts())[2]
    assert calendar_part.get_param("method") == method
    assert calendar_part.get_content_charset() == "utf-8"
    assert calendar_part.get_content_disposition() is None
    content = calendar_part.get_payload(decode=True)
    assert isinstance(content, bytes)
    assert Calendar.from_ical(content)["METHOD"] == method
    assert attachment.get_filename() == filename
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_payload(decode=True) == content
    assert b"\r\n" in content and b"\n" not in content.replace(b"\r\n", b"")


@pytest.mark.parametrize("lang", ["de", "ar"])
def test_the_file_name_and_the_inline_part_say_what_the_calendar_does(lang: str) -> None:
    """One calendar part per mail, one evening in it; its ``method``, the file's METHOD and
    the attachment's name agree, and the name carries the evening's date."""
    for index, mail in enumerate(all_mails(RECIPIENTS[lang])):
        if isinstance(mail, GroupMoved):
            continue  # several files, no inline part: test_a_move_attaches_every_change
        message, _ = rendered(index, lang)
        calendars = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
        files = [p for p in message.walk() if p.get_content_type() == "application/ics"]
        if not calendars:
            assert files == [], mail.kind
            continue
        (inline,) = calendars
        (attached,) = files
        content = inline.get_payload(decode=True)
        assert isinstance(content, bytes)
        calendar = Calendar.from_ical(content)
        method = inline.get_param("method")
        assert calendar["METHOD"] == method
        (event,) = calendar.walk("VEVENT")
        assert attached.get_payload(decode=True) == content
        filename = attached.get_filename()
        assert filename is not None and filename.endswith(".ics")
        assert filename.endswith("-cancellation.ics") == (method == "CANCEL"), filename
        day = event.decoded("DTSTART").date().isoformat()
        assert filename.startswith(f"vekl-{day}-"), filename


@pytest.mark.parametrize("same_series", [False, True])
def test_a_move_attaches_every_change_as_a_file_of_its_own(same_series: bool) -> None:
    """One mail for a moved person: a file per evening, one event each, cancellations first;
    no inline ``text/calendar`` part, since a mail program acts on one only."""
    mail = moved(RECIPIENTS["ar"], same_series=same_series)
    message_id = make_message_id(PROGRAMME.domain)
    parsed = message_from_bytes(
        render_mail(mail, PROGRAMME, message_id=message_id, now=NOW).as_bytes(),
        policy=policy.default,
    )
    files = len(mail.cancelled) + len(mail.requested)
    assert structure(parsed) == [
        "multipart/mixed",
        [["multipart/alternative", [["text/plain"], ["text/html"]]]]
        + [["application/ics"]] * files,
    ]
    assert [p for p in parsed.walk() if p.get_content_type() == "text/calendar"] == []
    seen = []
    for part in parsed.walk():
        if part.get_content_type() != "application/ics":
            continue
        assert part.get_content_disposition() == "attachment"
        content = part.get_payload(decode=True)
        assert isinstance(content, bytes)
        calendar = Calendar.from_ical(content)
        (event,) = calendar.walk("VEVENT")
        filename = part.get_filename()
        assert filename is not None
        day = event.decoded("DTSTART").date().isoformat()
        action = {"CANCEL": "cancellation"}.get(str(calendar["METHOD"]))
        if action is None:
            action = "update" if same_series else "invitation"
        assert filename == f"vekl-{day}-{action}.ics"
        assert event["SEQUENCE"] == mail.sequence
        seen.append((str(calendar["METHOD"]), str(event["UID"])))
    assert seen == [("CANCEL", uid) for uid in mail.cancelled] + [
        ("REQUEST", uid) for uid in mail.requested
    ]


@pytest.mark.parametrize("index", [0, 1, 5, 7, 8])
def test_mails_without_calendar_are_text_and_html_only(index: int) -> None:
    message, _ = rendered(index, "ar")
    assert structure(message) == ["multipart/alternative", [["text/plain"], ["text/html"]]]
    text, html = message.iter_parts()
    assert text.get_content_charset() == "utf-8"
    html_content = html.get_content()
    assert isinstance(html_content, str)
    assert '<html lang="ar" dir="rtl">' in html_content


def test_roster_mail_carries_the_evenings_and_the_csv() -> None:
    message, _ = rendered(6, "de")
    assert structure(message) == [
        "multipart/mixed",
        [
            ["multipart/alternative", [["text/plain"], ["text/html"], ["text/calendar"]]],
            ["application/ics"],
            ["text/csv"],
        ],
    ]
    csv_part = list(message.iter_parts())[2]
    assert csv_part.get_filename() == "vekl-participants.csv"
    data = csv_part.get_payload(decode=True)
    assert isinstance(data, bytes)
    assert data.decode("utf-8-sig").startswith("Vorname;Sprachen;Bedarf\r\n")


@pytest.mark.parametrize("lang", ["de", "en", "ar", "uk"])
def test_headers(lang: str) -> None:
    message, message_id = rendered(2, lang)
    recipient = RECIPIENTS[lang]
    assert message["Message-ID"] == message_id
    assert message_id.endswith("@konstanz.example>")
    assert len(message.get_all("To") or []) == 1
    (to,) = message["To"].addresses
    assert (to.display_name, to.addr_spec) == (recipient.name, recipient.email)
    (sender,) = message["From"].addresses
    assert (sender.display_name, sender.addr_spec) == (PROGRAMME.name, PROGRAMME.email)
    assert message["Reply-To"].addresses[0].addr_spec == "team@konstanz.example"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Content-Language"] == lang
    assert message["Date"].datetime.tzinfo is not None
    assert message["Subject"]
    assert message.get("Cc") is None and message.get("Bcc") is None


def test_non_ascii_names_and_subjects_are_encoded_for_7bit_transport() -> None:
    original = render_mail(
        all_mails(RECIPIENTS["ar"])[2], PROGRAMME, message_id=make_message_id(PROGRAMME.domain)
    )
    raw = original.as_bytes()
    header_block = raw.split(b"\r\n\r\n", 1)[0]
    header_block.decode("ascii")  # every header is plain ASCII on the wire
    assert b"=?utf-8?" in header_block
    assert raw.isascii()  # bodies are base64 or quoted-printable too
    message, _ = rendered(2, "ar")
    assert message["To"].addresses[0].display_name == "ليلى حسن"
    assert message["Subject"] == "دعوتكم إلى مجموعة «Seerhein» – 16 مايو 2026"
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))


def test_date_and_message_id_are_fixed_by_the_caller() -> None:
    message_id = "<fixed-0001@konstanz.example>"
    mail = all_mails(RECIPIENTS["de"])[0]
    first = render_mail(mail, PROGRAMME, message_id=message_id, now=NOW)
    second = render_mail(mail, PROGRAMME, message_id=message_id, now=NOW)
    assert first["Message-ID"] == message_id
    assert first["Date"] == "Sat, 02 May 2026 11:30:00 +0200"
    assert first.as_bytes() == second.as_bytes()  # a retry re-renders the very same message


def test_make_message_id() -> None:
    ids = {make_message_id("konstanz.example") for _ in range(100)}
    assert len(ids) == 100
    for message_id in ids:
        assert re.fullmatch(r"<[0-9a-f]{32}@konstanz\.example>", message_id)
        assert check_message_id(message_id, "konstanz.example") == message_id


@pytest.mark.parametrize(
    "message_id",
    [
        "<abc@elsewhere.example>",
        "abc@konstanz.example",
        "<abc@konstanz.example>\r\nBcc: x@example.org",
        "<a b@konstanz.example>",
    ],
)
def test_message_ids_off_our_domain_or_malformed_are_refused(message_id: str) -> None:
    with pytest.raises(ValueError):
        render_mail(all_mails(RECIPIENTS["de"])[0], PROGRAMME, message_id=message_id)


def _build(**overrides: object) -> EmailMessage:
    arguments: dict[str, object] = {
        "sender": Mailbox("VEKL", "vekl@konstanz.example"),
        "to": Mailbox("Anna", "anna@example.org"),
        "subject": "Hallo",
        "text": "Text",
        "html": "<p>HTML</p>",
        "language": "de",
        "message_id": "<1@konstanz.example>",
        "date": datetime(2026, 5, 2, tzinfo=UTC),
    }
    arguments.update(overrides)
    return build_message(**arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "overrides",
    [
        {"subject": "Hallo\r\nBcc: victim@example.org"},
        {"subject": "Hallo\nBcc: victim@example.org"},
        {"subject": "Hallo\x00"},
        {"subject": "Hallo\u2028Bcc: victim@example.org"},
        {"to": Mailbox("Anna\r\nBcc: victim@example.org", "anna@example.org")},
        {"to": Mailbox("Anna", "anna@example.org\r\nBcc: victim@example.org")},
        {"sender": Mailbox("VEKL\n", "vekl@konstanz.example")},
        {"message_id": "<1@konstanz.example>\nBcc: victim@example.org"},
        {"language": "de\r\nBcc: victim@example.org"},
    ],
)
def test_header_injection_is_refused_before_building(overrides: dict[str, object]) -> None:
    with pytest.raises(UnsafeHeaderError, match="single line"):
        _build(**overrides)


def test_programme_fields_are_checked_too() -> None:
    with pytest.raises(ValueError, match="single line"):
        Programme(name="VEKL\r\nBcc: victim@example.org", email="vekl@konstanz.example")


def test_attachment_names_must_be_plain_ascii() -> None:
    with pytest.raises(ValueError, match="ASCII"):
        Attachment("Teilnehmende-Übersicht.csv", b"", "text", "csv")
    with pytest.raises(ValueError, match="ASCII"):
        Attachment("../etc/passwd", b"", "text", "plain")
