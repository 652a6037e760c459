"""Renders each kind of mail into its texts, calendar and attachments, and into a message.

:func:`render_mail` is what the outbox calls; :func:`render_parts` gives the same content without
MIME, e.g. for a preview in the admin pages. Both are pure: the same input (with a fixed
``now``) gives the same output, and nothing is sent or stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

from babel.dates import format_date

from notifications.i18n import locale, normalise_language
from notifications.ics import CalendarFile, CalendarMethod, cancel_calendar, request_calendar
from notifications.identifiers import check_message_id
from notifications.kinds import (
    EveningReminder,
    EveningsCancelled,
    GroupChanged,
    GroupInvitation,
    GroupMoved,
    Mail,
    ModeratorRoster,
)
from notifications.mime import Attachment, Mailbox, build_message
from notifications.models import Programme
from notifications.roster import roster_csv
from notifications.templating import render, render_block


@dataclass(frozen=True)
class RenderedMail:
    """The content of one mail before it is put into MIME."""

    kind: str
    language: str
    subject: str
    text: str
    html: str
    calendar: CalendarFile | None
    attachments: tuple[Attachment, ...]
    calendar_files: tuple[CalendarFile, ...] = ()
    """Calendar changes attached as files of their own, one evening each, with no inline
    ``text/calendar`` part (a move: :func:`_move_calendars`)."""


def _file_prefix(programme: Programme) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", programme.short_name.lower()).strip("-")
    return slug or "calendar"


def _calendar(mail: Mail, programme: Programme, now: datetime) -> CalendarFile | None:
    """The one-evening calendar a mail carries, with a file name that says what it does.

    The name holds the evening's date and ``invitation``, ``update`` or ``cancellation``,
    matching the file's METHOD (and so the ``method`` of the inline ``text/calendar`` part).
    """
    if not isinstance(mail, GroupInvitation | GroupChanged | EveningsCancelled | ModeratorRoster):
        return None
    evening = mail.calendar_evening
    day = evening.start.astimezone(programme.zone).date().isoformat()
    stem = f"{_file_prefix(programme)}-{day}"
    if isinstance(mail, EveningsCancelled):
        content = cancel_calendar(
            programme, mail.recipient, mail.group, evening, sequence=mail.sequence, dtstamp=now
        )
        return CalendarFile(content, CalendarMethod.CANCEL, f"{stem}-cancellation.ics")
    content = request_calendar(
        programme,
        mail.recipient,
        mail.group,
        evening,
        sequence=mail.sequence,
        as_moderator=isinstance(mail, ModeratorRoster),
        dtstamp=now,
    )
    updates = isinstance(mail, GroupChanged) or (
        isinstance(mail, ModeratorRoster) and mail.sequence > 0
    )
    action = "update" if updates else "invitation"
    return CalendarFile(content, CalendarMethod.REQUEST, f"{stem}-{action}.ics")


def _move_calendars(
    mail: GroupMoved, programme: Programme, now: datetime
) -> tuple[CalendarFile, ...]:
    """A move's calendar changes: a CANCEL for each evening that leaves the calendar, then a
    REQUEST for each new or updated one, one evening per file (ADR 0010), in time order.

    A mail program acts on one ``text/calendar`` part only, and one part holds one method, so
    these are attachments only; see ``docs/adr/0016-one-mail-for-a-moved-person.md``.
    """
    prefix = _file_prefix(programme)
    zone = programme.zone
    kept = {e.uid for e in mail.previous.evenings}
    files: list[CalendarFile] = []
    for evening in mail.cancelled_evenings:
        day = evening.start.astimezone(zone).date().isoformat()
        content = cancel_calendar(
            programme, mail.recipient, mail.previous, evening, sequence=mail.sequence, dtstamp=now
        )
        files.append(
            CalendarFile(content, CalendarMethod.CANCEL, f"{prefix}-{day}-cancellation.ics")
        )
    for evening in mail.requested_evenings:
        day = evening.start.astimezone(zone).date().isoformat()
        action = "update" if evening.uid in kept else "invitation"
        content = request_calendar(
            programme, mail.recipient, mail.group, evening, sequence=mail.sequence, dtstamp=now
        )
        files.append(CalendarFile(content, CalendarMethod.REQUEST, f"{prefix}-{day}-{action}.ics"))
    return tuple(files)


def _context(mail: Mail, programme: Programme) -> dict[str, Any]:
    context: dict[str, Any] = {"mail": mail, "programme": programme, "recipient": mail.recipient}
    if isinstance(mail, GroupChanged):
        context["changes"] = {change.value for change in mail.changes}
    if isinstance(mail, EveningsCancelled | GroupMoved):
        context["reason"] = mail.reason.value
    if isinstance(mail, EveningReminder):
        context["number"] = mail.group.position(mail.evening)
        context["total"] = len(mail.group.evenings)
    if isinstance(mail, GroupInvitation | GroupChanged | EveningsCancelled | ModeratorRoster):
        context["calendar_evening"] = mail.calendar_evening
    return context


def render_parts(mail: Mail, programme: Programme, *, now: datetime | None = None) -> RenderedMail:
    """Render ``mail`` in the recipient's language (German if it has no catalog).

    Dates and times are shown in the programme's time zone (:attr:`Programme.timezone`).
    ``now`` becomes the calendar's DTSTAMP; it defaults to the current time.
    """
    moment = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    lang = normalise_language(mail.recipient.language)
    context = _context(mail, programme)
    zone = programme.zone
    subject = render_block(lang, zone, f"mail/{mail.kind}.txt", "subject", **context)
    if "calendar_evening" in context:
        # One mail per evening: the subject says which, so the mails tell apart in a list.
        start = context["calendar_evening"].start.astimezone(zone)
        subject = f"{subject.strip()} – {format_date(start, format='long', locale=locale(lang))}"
    text = render(lang, zone, f"mail/{mail.kind}.txt", **context)
    html = render(lang, zone, f"mail/{mail.kind}.html", subject=subject, **context)
    attachments: tuple[Attachment, ...] = ()
    if isinstance(mail, ModeratorRoster):
        attachments = (
            Attachment(
                filename=f"{_file_prefix(programme)}-participants.csv",
                content=roster_csv(mail.members, lang),
                maintype="text",
                subtype="csv",
                charset="utf-8",
            ),
        )
    return RenderedMail(
        kind=mail.kind,
        language=lang,
        subject=re.sub(r"[ \t\r\n]+", " ", subject).strip(),
        text=text.strip() + "\n",
        html=html,
        calendar=_calendar(mail, programme, moment),
        attachments=attachments,
        calendar_files=(
            _move_calendars(mail, programme, moment) if isinstance(mail, GroupMoved) else ()
        ),
    )


def render_mail(
    mail: Mail, programme: Programme, *, message_id: str, now: datetime | None = None
) -> EmailMessage:
    """Render ``mail`` into a message ready for a transport.

    ``message_id`` is the id the outbox fixed in advance (see
    :func:`notifications.identifiers.make_message_id`); it must be on the programme's domain.
    ``now`` sets the Date header and the calendar's DTSTAMP.
    """
    check_message_id(message_id, programme.domain)
    moment = (now or datetime.now(UTC)).replace(microsecond=0)
    parts = render_parts(mail, programme, now=moment)
    reply_to = (
        Mailbox(programme.name, programme.reply_to) if programme.reply_to is not None else None
    )
    return build_message(
        sender=Mailbox(programme.name, programme.email),
        to=Mailbox(mail.recipient.name or "", mail.recipient.email),
        reply_to=reply_to,
        subject=parts.subject,
        text=parts.text,
        html=parts.html,
        language=parts.language,
        message_id=message_id,
        date=moment.astimezone(programme.zone),
        calendar=parts.calendar,
        attachments=parts.attachments,
        calendar_files=parts.calendar_files,
    )
