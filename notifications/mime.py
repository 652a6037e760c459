"""Assembles rendered parts into one ``EmailMessage``.

The layout is what calendar-aware clients (Outlook, Gmail, Apple Mail, Thunderbird) expect of an
invitation: ``multipart/mixed`` holding ``multipart/alternative`` with text, HTML and the
``text/calendar`` part whose ``method`` matches the file, followed by the same file as an
attachment for clients that only offer to import attachments. A mail that carries several
calendar changes (a person moved to another group) has them as attachments only, one file per
evening. Mails without a calendar are just the alternative of text and HTML.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from notifications.headers import check_header_value
from notifications.ics import CalendarFile


@dataclass(frozen=True)
class Attachment:
    """A file attached to a mail; ``filename`` must be plain ASCII for old clients."""

    filename: str
    content: bytes
    maintype: str
    subtype: str
    charset: str | None = None

    def __post_init__(self) -> None:
        check_header_value("attachment filename", self.filename)
        if not self.filename.isascii() or '"' in self.filename or "/" in self.filename:
            raise ValueError(f"attachment file names must be plain ASCII: {self.filename!r}")


@dataclass(frozen=True)
class Mailbox:
    """A display name and address for the From, To and Reply-To headers."""

    name: str
    address: str

    def header(self) -> Address:
        check_header_value("display name", self.name)
        check_header_value("address", self.address)
        return Address(display_name=self.name, addr_spec=self.address)


def build_message(
    *,
    sender: Mailbox,
    to: Mailbox,
    subject: str,
    text: str,
    html: str,
    language: str,
    message_id: str,
    date: datetime,
    reply_to: Mailbox | None = None,
    calendar: CalendarFile | None = None,
    attachments: Sequence[Attachment] = (),
    calendar_files: Sequence[CalendarFile] = (),
) -> EmailMessage:
    """Build the message; raises :class:`UnsafeHeaderError` before building anything unsafe."""
    for field, value in (
        ("Subject", subject),
        ("Message-ID", message_id),
        ("Content-Language", language),
    ):
        check_header_value(field, value)
    from_header, to_header = sender.header(), to.header()
    reply_header = reply_to.header() if reply_to is not None else None
    if date.tzinfo is None:
        raise ValueError("the Date header needs a time zone")

    message = EmailMessage(policy=policy.SMTP)
    message["From"] = from_header
    message["To"] = to_header
    if reply_header is not None:
        message["Reply-To"] = reply_header
    message["Subject"] = subject
    message["Date"] = format_datetime(date)
    message["Message-ID"] = message_id
    # Keeps vacation responders and "out of office" replies from answering automated mail.
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"

    message.set_content(text, subtype="plain", charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    if calendar is not None:
        if calendar.method is None:
            raise ValueError("a calendar sent by mail needs a METHOD (REQUEST or CANCEL)")
        # base64 keeps the CRLF line ends and the 75-octet folding of the file byte for byte.
        message.add_alternative(
            calendar.content,
            maintype="text",
            subtype="calendar",
            cte="base64",
            params={"method": calendar.method.value, "charset": "utf-8"},
        )
        message.add_attachment(
            calendar.content, maintype="application", subtype="ics", filename=calendar.filename
        )
    # Several calendar changes in one mail (a move): each file is an attachment of its own,
    # with no inline part, since a mail program acts on one text/calendar part only.
    for extra in calendar_files:
        if extra.method is None:
            raise ValueError("a calendar sent by mail needs a METHOD (REQUEST or CANCEL)")
        message.add_attachment(
            extra.content, maintype="application", subtype="ics", filename=extra.filename
        )
    for attachment in attachments:
        params = {"charset": attachment.charset} if attachment.charset else None
        message.add_attachment(
            attachment.content,
            maintype=attachment.maintype,
            subtype=attachment.subtype,
            filename=attachment.filename,
            params=params,
        )
    # Set last: turning the message into a multipart moves every Content-* header set before
    # into the first body part.
    message["Content-Language"] = language
    _derive_boundaries(message, message_id)
    return message


def _derive_boundaries(message: EmailMessage, message_id: str) -> None:
    # The email package picks random boundaries; deriving them from the Message-ID makes the
    # same input give the same bytes. "=_" never occurs in base64 or quoted-printable bodies.
    multiparts = [part for part in message.walk() if part.is_multipart()]
    for number, part in enumerate(multiparts):
        seed = f"{message_id}/{number}".encode()
        part.set_boundary(f"=_{hashlib.sha256(seed).hexdigest()[:32]}")
