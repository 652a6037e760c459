"""Calendar files: invitations and updates, cancellations, and the subscription feed.

Times are written with the programme's zone as ``TZID`` (``Europe/Berlin`` unless the
deployment sets another) plus a generated VTIMEZONE, so clients show 18:00 in Konstanz whatever
their own zone or tz database, and an evening after the switch to winter time still lands right.
The texts come from the same catalogs as the mails and show times in the same zone. Nothing that
grants access (self-service or confirmation links) is ever written into a calendar file, because
calendar entries get synced, shared and exported far beyond the recipient's inbox.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Final
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vCalAddress, vDuration

from notifications.i18n import normalise_language
from notifications.models import Evening, GroupInfo, Programme, Recipient
from notifications.templating import render

PRODID: Final = "-//Stadt Konstanz//Von-Einander-Kennen-Lernen//DE"

FEED_REFRESH: Final = timedelta(hours=6)
"""How often subscribed clients should refetch the feed; changes are rare but should arrive."""


class CalendarMethod(StrEnum):
    """The iTIP method of a calendar sent by mail (RFC 5546)."""

    REQUEST = "REQUEST"
    CANCEL = "CANCEL"


@dataclass(frozen=True)
class CalendarFile:
    """A rendered ``.ics`` together with what a mail part needs to describe it."""

    content: bytes
    method: CalendarMethod | None
    filename: str


def _calendar(method: CalendarMethod | None) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method is not None:
        calendar.add("method", method.value)
    return calendar


def _finish(calendar: Calendar, evenings: Sequence[Evening], zone: ZoneInfo) -> bytes:
    if evenings:
        years = [evening.start.astimezone(zone).year for evening in evenings]
        years += [evening.end.astimezone(zone).year for evening in evenings]
        # A window around the evenings keeps the VTIMEZONE a few lines long instead of
        # listing every transition since 1970.
        calendar.add_missing_timezones(
            first_date=date(min(years) - 1, 1, 1), last_date=date(max(years) + 2, 1, 1)
        )
    content: bytes = calendar.to_ical()
    return content


def _stamp(dtstamp: datetime | None) -> datetime:
    if dtstamp is None:
        return datetime.now(UTC).replace(microsecond=0)
    if dtstamp.tzinfo is None:
        raise ValueError("dtstamp must carry a time zone")
    return dtstamp.astimezone(UTC).replace(microsecond=0)


def _check_sequence(sequence: int) -> None:
    if sequence < 0:
        raise ValueError("SEQUENCE must not be negative")


def _event(
    programme: Programme,
    group: GroupInfo,
    evening: Evening,
    lang: str,
    *,
    sequence: int,
    dtstamp: datetime,
    status: str,
    as_moderator: bool = False,
) -> Event:
    try:
        number: int | None = group.position(evening)
    except ValueError:  # a cancelled evening the group no longer lists
        number = None
    context = {
        "programme": programme,
        "group": group,
        "evening": evening,
        "number": number,
        "total": len(group.evenings),
        "as_moderator": as_moderator,
        "cancelled": status == "CANCELLED",
    }
    zone = programme.zone
    event = Event()
    event.add("uid", evening.uid)
    event.add("dtstamp", dtstamp)
    event.add("dtstart", evening.start.astimezone(zone))
    event.add("dtend", evening.end.astimezone(zone))
    event.add("sequence", sequence)
    event.add("summary", render(lang, zone, "calendar/summary.txt", **context).strip())
    description = render(lang, zone, "calendar/description.txt", **context)
    # Calendar apps show the description in a small box: one fact per line, no blank lines.
    event.add("description", "\n".join(line for line in description.split("\n") if line))
    event.add("location", evening.location)
    event.add("status", status)
    event.add("transp", "OPAQUE")
    return event


def _organizer(programme: Programme) -> vCalAddress:
    organizer = vCalAddress(f"mailto:{programme.email}")
    organizer.params["CN"] = programme.name
    return organizer


def _attendee(recipient: Recipient, *, as_moderator: bool) -> vCalAddress:
    attendee = vCalAddress(f"mailto:{recipient.email}")
    if recipient.name:
        attendee.params["CN"] = recipient.name
    attendee.params["CUTYPE"] = "INDIVIDUAL"
    attendee.params["ROLE"] = "CHAIR" if as_moderator else "REQ-PARTICIPANT"
    attendee.params["PARTSTAT"] = "NEEDS-ACTION"
    attendee.params["RSVP"] = "FALSE"
    return attendee


def _scheduling_calendar(
    method: CalendarMethod,
    programme: Programme,
    attendee: Recipient,
    group: GroupInfo,
    evening: Evening,
    *,
    sequence: int,
    as_moderator: bool,
    dtstamp: datetime | None,
) -> bytes:
    """An iTIP message (REQUEST or CANCEL) from the programme to one attendee.

    It holds exactly one VEVENT, so one UID: mail programs act on the first event of a
    scheduling message only (Outlook, Gmail), or treat several as a plain import
    (Thunderbird). Each evening therefore travels in a message of its own; see
    ``docs/adr/0010-one-evening-per-invitation.md``.
    """
    _check_sequence(sequence)
    lang = normalise_language(attendee.language)
    status = "CANCELLED" if method is CalendarMethod.CANCEL else "CONFIRMED"
    calendar = _calendar(method)
    event = _event(
        programme,
        group,
        evening,
        lang,
        sequence=sequence,
        dtstamp=_stamp(dtstamp),
        status=status,
        as_moderator=as_moderator,
    )
    event.add("organizer", _organizer(programme))
    event.add("attendee", _attendee(attendee, as_moderator=as_moderator))
    calendar.add_component(event)
    return _finish(calendar, [evening], programme.zone)


def request_calendar(
    programme: Programme,
    attendee: Recipient,
    group: GroupInfo,
    evening: Evening,
    *,
    sequence: int,
    as_moderator: bool = False,
    dtstamp: datetime | None = None,
) -> bytes:
    """An invitation (or, with a higher ``sequence``, an update) to one evening of ``group``.

    ``METHOD:REQUEST`` with the programme as ORGANIZER and ``attendee`` as the only ATTENDEE,
    and ``evening`` as the only event. Texts are in the attendee's language. Pass
    ``as_moderator`` for the moderator's copy.
    """
    return _scheduling_calendar(
        CalendarMethod.REQUEST,
        programme,
        attendee,
        group,
        evening,
        sequence=sequence,
        as_moderator=as_moderator,
        dtstamp=dtstamp,
    )


def cancel_calendar(
    programme: Programme,
    attendee: Recipient,
    group: GroupInfo,
    evening: Evening,
    *,
    sequence: int,
    as_moderator: bool = False,
    dtstamp: datetime | None = None,
) -> bytes:
    """Removes ``evening`` from the attendee's calendar: ``METHOD:CANCEL``, ``STATUS:CANCELLED``.

    The evening must carry the UID it was invited with, and ``sequence`` must be higher than the
    last one sent, or clients ignore the cancellation as outdated.
    """
    return _scheduling_calendar(
        CalendarMethod.CANCEL,
        programme,
        attendee,
        group,
        evening,
        sequence=sequence,
        as_moderator=as_moderator,
        dtstamp=dtstamp,
    )


def feed_calendar(
    programme: Programme,
    groups: Sequence[GroupInfo],
    *,
    language: str,
    sequence: int = 0,
    dtstamp: datetime | None = None,
) -> bytes:
    """A plain calendar of a person's current evenings, for a webcal feed or a .ics download.

    No METHOD, ORGANIZER or ATTENDEE: a subscribed calendar is a read-only view, and iTIP
    properties would make some clients treat each entry as a meeting to answer. Evenings that no
    longer take place are simply left out; clients drop them on the next refresh. An empty
    ``groups`` gives a valid empty calendar, so a feed URL never breaks.
    """
    _check_sequence(sequence)
    lang = normalise_language(language)
    stamp = _stamp(dtstamp)
    calendar = _calendar(None)
    name = render(lang, programme.zone, "calendar/feed_name.txt", programme=programme).strip()
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", programme.timezone)
    calendar.add("refresh-interval", FEED_REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(FEED_REFRESH))
    evenings: list[Evening] = []
    for group in groups:
        for evening in group.evenings:
            calendar.add_component(
                _event(
                    programme,
                    group,
                    evening,
                    lang,
                    sequence=sequence,
                    dtstamp=stamp,
                    status="CONFIRMED",
                )
            )
            evenings.append(evening)
    return _finish(calendar, evenings, programme.zone)
