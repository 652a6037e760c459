"""Mails and calendar files show an evening in the programme's zone, not in Konstanz time.

The evening here starts at 23:00 UTC: 19:00 on Saturday in New York, but 01:00 on Sunday in
Berlin, so a date or time shown in the wrong zone cannot pass by luck.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from pydantic import ValidationError

from notifications.ics import feed_calendar, request_calendar
from notifications.identifiers import event_uid, make_message_id
from notifications.kinds import EveningReminder, GroupInvitation
from notifications.messages import render_mail, render_parts
from notifications.models import Evening, GroupInfo, Programme
from tests.notifications.samples import (
    FEED_URL,
    NOW,
    PROGRAMME,
    RECIPIENTS,
    SELF_SERVICE_URL,
)

NEW_YORK = ZoneInfo("America/New_York")
ELSEWHERE = Programme.model_validate({**PROGRAMME.model_dump(), "timezone": "America/New_York"})
START = datetime(2026, 5, 23, 23, 0, tzinfo=UTC)


def late_group() -> GroupInfo:
    return GroupInfo(
        label="Hudson",
        series_label="Spring 2026",
        moderator_first_name="Miriam",
        evenings=(
            Evening(
                uid=event_uid("p-17", "series-9", 1, domain=PROGRAMME.domain),
                start=START,
                end=datetime(2026, 5, 24, 1, 30, tzinfo=UTC),
                venue_name="Library",
                venue_address="476 5th Ave, New York",
            ),
        ),
    )


def invitation(lang: str) -> GroupInvitation:
    return GroupInvitation(
        recipient=RECIPIENTS[lang],
        group=late_group(),
        sequence=0,
        self_service_url=SELF_SERVICE_URL,
        feed_url=FEED_URL,
    )


def test_a_mail_shows_the_evening_in_the_programmes_zone() -> None:
    german = render_parts(invitation("de"), ELSEWHERE, now=NOW)
    assert "Samstag, 23. Mai 2026" in german.text and "19:00–21:30 Uhr" in german.text
    assert "Samstag, 23. Mai 2026" in german.html and "19:00–21:30 Uhr" in german.html
    assert "Sonntag" not in german.text and "01:00" not in german.text
    english = render_parts(invitation("en"), ELSEWHERE, now=NOW)
    assert "Saturday, 23 May 2026" in english.text and "19:00–21:30" in english.text
    # The same mail for a programme in Konstanz shows Konstanz time.
    berlin = render_parts(invitation("de"), PROGRAMME, now=NOW)
    assert "Sonntag, 24. Mai 2026" in berlin.text and "01:00–03:30 Uhr" in berlin.text


def test_a_reminders_subject_and_date_header_follow_the_zone() -> None:
    the_group = late_group()
    reminder = EveningReminder(
        recipient=RECIPIENTS["en"],
        group=the_group,
        evening=the_group.evenings[0],
        self_service_url=SELF_SERVICE_URL,
    )
    message = render_mail(
        reminder, ELSEWHERE, message_id=make_message_id(ELSEWHERE.domain), now=NOW
    )
    assert message["Subject"] == "Reminder: your evening on Saturday, 23 May 2026"
    assert str(message["Date"]).endswith("-0400")  # NOW in New York summer time


def test_a_calendar_file_is_written_in_the_programmes_zone() -> None:
    the_group = late_group()
    ics = request_calendar(
        ELSEWHERE, RECIPIENTS["uk"], the_group, the_group.evenings[0], sequence=0, dtstamp=NOW
    )
    assert b"DTSTART;TZID=America/New_York:20260523T190000" in ics
    assert b"DTEND;TZID=America/New_York:20260523T213000" in ics
    assert b"Europe/Berlin" not in ics
    calendar = Calendar.from_ical(ics)
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["America/New_York"]
    [event] = calendar.walk("VEVENT")
    assert event.decoded("DTSTART") == START.astimezone(NEW_YORK)
    assert event.decoded("DTSTART").utcoffset() == NEW_YORK.utcoffset(datetime(2026, 5, 23))


def test_the_feed_names_the_programmes_zone() -> None:
    ics = feed_calendar(ELSEWHERE, [late_group()], language="de", dtstamp=NOW)
    calendar = Calendar.from_ical(ics)
    assert calendar["X-WR-TIMEZONE"] == "America/New_York"
    assert b"DTSTART;TZID=America/New_York:20260523T190000" in ics


def test_an_unknown_zone_is_refused() -> None:
    with pytest.raises(ValidationError, match="unknown time zone"):
        Programme.model_validate({**PROGRAMME.model_dump(), "timezone": "Mars/Olympus"})
