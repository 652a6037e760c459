"""Calendar files, checked with icalendar's parser, byte by byte, and with ical.js."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from icalendar import Calendar

from notifications.ics import PRODID, cancel_calendar, feed_calendar, request_calendar
from notifications.identifiers import event_uid
from notifications.kinds import EveningsCancelled, GroupChanged, GroupInvitation, ModeratorRoster
from notifications.messages import render_parts
from tests.notifications.samples import (
    ARABIC_NOTE,
    MODERATOR,
    NOW,
    PROGRAMME,
    RECIPIENTS,
    SECRETS,
    UKRAINIAN_LABEL,
    all_mails,
    group,
)

ParseWithIcalJs = Callable[[bytes], dict[str, Any]]


def invitation(lang: str = "de", number: int = 1, **group_changes: object) -> bytes:
    the_group = group("p-17", **group_changes)
    evening = the_group.evenings[number - 1]
    return request_calendar(
        PROGRAMME, RECIPIENTS[lang], the_group, evening, sequence=0, dtstamp=NOW
    )


def update(lang: str = "de", number: int = 1) -> bytes:
    the_group = group()
    evening = the_group.evenings[number - 1]
    return request_calendar(
        PROGRAMME, RECIPIENTS[lang], the_group, evening, sequence=1, dtstamp=NOW
    )


def cancellation(lang: str = "de", number: int = 1) -> bytes:
    the_group = group()
    evening = the_group.evenings[number - 1]
    return cancel_calendar(PROGRAMME, RECIPIENTS[lang], the_group, evening, sequence=2, dtstamp=NOW)


def feed(lang: str = "de") -> bytes:
    return feed_calendar(PROGRAMME, [group()], language=lang, sequence=1, dtstamp=NOW)


def events(ics: bytes) -> list[Any]:
    return list(Calendar.from_ical(ics).walk("VEVENT"))


def test_an_invitation_holds_one_evening_with_the_itip_properties() -> None:
    # Mail programs act on the first event of an invitation only (Outlook, Gmail): one
    # evening, so one UID, per file.
    for number, evening in enumerate(group().evenings, start=1):
        calendar = Calendar.from_ical(invitation(number=number))
        assert calendar["METHOD"] == "REQUEST"
        assert calendar["PRODID"] == PRODID
        assert calendar["VERSION"] == "2.0"
        assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]
        found = events(invitation(number=number))
        assert [str(e["UID"]) for e in found] == [evening.uid]
        (event,) = found
        assert event["SEQUENCE"] == 0
        assert event["STATUS"] == "CONFIRMED"
        assert str(event["ORGANIZER"]) == "mailto:vekl@konstanz.example"
        attendees = event.get("ATTENDEE")
        assert not isinstance(attendees, list), "exactly one ATTENDEE"
        assert str(attendees) == "mailto:anna@example.org"
        assert attendees.params["RSVP"] == "FALSE"
        assert attendees.params["PARTSTAT"] == "NEEDS-ACTION"
        assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
        assert "Seerhein" in event["SUMMARY"]
        assert f"{number} von 4" in event["SUMMARY"]
        description = str(event["DESCRIPTION"])
        for expected in ("Seerhein", "Georg-Elser-Platz 1", "Miriam", "Mitbringen"):
            assert expected in description
        assert (
            str(event["LOCATION"]) == "Treffpunkt Petershausen, Georg-Elser-Platz 1, 78467 Konstanz"
        )


def test_times_are_written_in_berlin_time_and_dtstamp_in_utc() -> None:
    text = invitation().decode()
    assert "DTSTART;TZID=Europe/Berlin:20260516T180000\r\n" in text
    assert "DTEND;TZID=Europe/Berlin:20260516T211500\r\n" in text
    assert "DTSTAMP:20260502T093000Z\r\n" in text
    assert "DTSTART;TZID=Europe/Berlin:20261118T180000\r\n" in invitation(number=4).decode()
    first = events(invitation())[0]
    assert first.decoded("DTSTART").utcoffset().total_seconds() == 2 * 3600
    winter = events(invitation(number=4))[0]
    assert winter.decoded("DTSTART").utcoffset().total_seconds() == 3600


def test_organizer_is_the_programme_never_the_recipient() -> None:
    for lang in RECIPIENTS:
        for event in events(invitation(lang)):
            assert str(event["ORGANIZER"]) == f"mailto:{PROGRAMME.email}"
            assert str(event["ATTENDEE"]) == f"mailto:{RECIPIENTS[lang].email}"


def test_cancellation_keeps_the_uid_raises_sequence_and_cancels() -> None:
    for number in (1, 4):
        calendar = Calendar.from_ical(cancellation(number=number))
        assert calendar["METHOD"] == "CANCEL"
        (invited,) = events(invitation(number=number))
        (event,) = events(cancellation(number=number))
        assert str(event["UID"]) == str(invited["UID"])
        assert event["STATUS"] == "CANCELLED"
        assert event["SEQUENCE"] > invited["SEQUENCE"]
        assert str(event["ORGANIZER"]) == f"mailto:{PROGRAMME.email}"
        assert str(event["ATTENDEE"]) == "mailto:anna@example.org"


def test_moderator_copy_marks_the_moderator_as_chair() -> None:
    the_group = group()
    ics = request_calendar(
        PROGRAMME, MODERATOR, the_group, the_group.evenings[0], sequence=0, as_moderator=True
    )
    (event,) = events(ics)
    assert event["ATTENDEE"].params["ROLE"] == "CHAIR"
    assert "Sie moderieren diese Gruppe." in str(event["DESCRIPTION"])


def test_feed_is_a_plain_calendar_without_itip_properties() -> None:
    calendar = Calendar.from_ical(feed("uk"))
    assert "METHOD" not in calendar
    assert calendar["X-WR-CALNAME"] == "Von/Einander/Kennen/Lernen: мої вечори"
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT6H\r\n" in feed().decode()
    found = events(feed())
    assert len(found) == 4
    for event in found:
        assert "ORGANIZER" not in event
        assert "ATTENDEE" not in event
        assert event["STATUS"] == "CONFIRMED"


def test_an_empty_feed_is_still_a_valid_calendar() -> None:
    ics = feed_calendar(PROGRAMME, [], language="de", dtstamp=NOW)
    calendar = Calendar.from_ical(ics)
    assert calendar["PRODID"] == PRODID
    assert events(ics) == []


def physical_lines(ics: bytes) -> list[bytes]:
    assert ics.endswith(b"\r\n")
    return ics[:-2].split(b"\r\n")


@pytest.mark.parametrize("kind", ["invitation", "update", "cancellation", "feed"])
@pytest.mark.parametrize("lang", ["ar", "uk", "de"])
def test_lines_end_in_crlf_and_fold_at_75_octets_without_splitting_characters(
    kind: str, lang: str
) -> None:
    long_texts = {"what_to_bring": ARABIC_NOTE * 3, "label": UKRAINIAN_LABEL * 2}
    the_group = group(**long_texts)
    ics = {
        "invitation": request_calendar(
            PROGRAMME, RECIPIENTS[lang], the_group, the_group.evenings[0], sequence=0, dtstamp=NOW
        ),
        "update": request_calendar(
            PROGRAMME, RECIPIENTS[lang], the_group, the_group.evenings[1], sequence=5
        ),
        "cancellation": cancel_calendar(
            PROGRAMME, RECIPIENTS[lang], the_group, the_group.evenings[2], sequence=6
        ),
        "feed": feed_calendar(PROGRAMME, [the_group], language=lang),
    }[kind]
    assert b"\r" not in ics.replace(b"\r\n", b"")
    assert b"\n" not in ics.replace(b"\r\n", b"")
    lines = physical_lines(ics)
    folded = [line for line in lines if line.startswith(b" ")]
    assert folded, "the long texts must have been folded"
    for line in lines:
        assert len(line) <= 75, line
        line.decode("utf-8")  # raises if a fold split a multi-byte character
    unfolded = Calendar.from_ical(ics)
    event = next(iter(unfolded.walk("VEVENT")))
    assert ARABIC_NOTE * 3 in str(event["DESCRIPTION"])
    assert UKRAINIAN_LABEL * 2 in str(event["SUMMARY"])


def test_calendars_hold_no_links_or_tokens() -> None:
    for lang in RECIPIENTS:
        for mail in all_mails(RECIPIENTS[lang]):
            calendar = render_parts(mail, PROGRAMME, now=NOW).calendar
            if calendar is None:
                continue
            text = calendar.content.decode()
            assert "http" not in text
            assert "webcal" not in text
            for secret in SECRETS:
                assert secret not in text


def test_uids_are_stable_opaque_and_depend_on_the_secret() -> None:
    uid = event_uid(17, "series-3", 2, domain="konstanz.example")
    assert uid == event_uid(17, "series-3", 2, domain="konstanz.example")
    assert uid != event_uid(17, "series-3", 3, domain="konstanz.example")
    local, domain = uid.split("@")
    assert domain == "konstanz.example"
    assert len(local) == 32
    assert set(local) <= set("0123456789abcdef")  # a hash, not the ids in clear
    assert "series" not in uid
    keyed = event_uid(17, "series-3", 2, domain="konstanz.example", secret=b"k1")
    assert keyed != uid
    assert keyed != event_uid(17, "series-3", 2, domain="konstanz.example", secret=b"k2")
    for lang, person in RECIPIENTS.items():
        for event in events(invitation(lang)):
            assert person.email.split("@")[0] not in str(event["UID"])
            assert person.first_name is not None
            assert person.first_name.lower() not in str(event["UID"])


def test_bad_input_is_refused() -> None:
    first = group().evenings[0]
    with pytest.raises(ValueError, match="SEQUENCE"):
        request_calendar(PROGRAMME, RECIPIENTS["de"], group(), first, sequence=-1)
    with pytest.raises(ValueError, match="time zone"):
        request_calendar(
            PROGRAMME, RECIPIENTS["de"], group(), first, sequence=0, dtstamp=datetime(2026, 5, 1)
        )
    with pytest.raises(ValueError, match="plain DNS domain"):
        event_uid(1, domain="bad domain")


# -- an independent parser: ical.js, as used by Thunderbird ----------------------------------


@pytest.mark.parametrize("lang", ["ar", "uk"])
def test_icaljs_reads_the_invitation_with_the_right_utc_times(
    ical_js: ParseWithIcalJs, lang: str
) -> None:
    changes = {"what_to_bring": ARABIC_NOTE, "label": UKRAINIAN_LABEL}
    spring_file = ical_js(invitation(lang, 1, **changes))
    winter_file = ical_js(invitation(lang, 4, **changes))
    for parsed in (spring_file, winter_file):
        assert parsed["method"] == "REQUEST"
        assert parsed["prodid"] == PRODID
        assert parsed["timezones"] == ["Europe/Berlin"]
        assert len(parsed["events"]) == 1, "one evening, one UID per invitation"
    (spring,) = spring_file["events"]
    (winter,) = winter_file["events"]
    assert (spring["start"], spring["end"]) == (
        "2026-05-16T16:00:00.000Z",
        "2026-05-16T19:15:00.000Z",
    )
    assert spring["startZone"] == "Europe/Berlin"
    assert (winter["start"], winter["end"]) == (
        "2026-11-18T17:00:00.000Z",
        "2026-11-18T20:15:00.000Z",
    )
    for event, expected in zip(
        (spring, winter), (group().evenings[0], group().evenings[3]), strict=True
    ):
        assert event["uid"] == expected.uid
        assert event["sequence"] == 0
        assert event["status"] == "CONFIRMED"
        assert event["organizer"]["value"] == "mailto:vekl@konstanz.example"
        assert event["attendees"] == [
            {
                "value": f"mailto:{RECIPIENTS[lang].email}",
                "cn": RECIPIENTS[lang].name,
                "rsvp": "FALSE",
                "partstat": "NEEDS-ACTION",
                "role": "REQ-PARTICIPANT",
            }
        ]
        assert ARABIC_NOTE in event["description"]
        assert UKRAINIAN_LABEL in event["summary"]
        assert event["dtstamp"] == "2026-05-02T09:30:00Z"


def test_icaljs_reads_the_update_with_a_higher_sequence(ical_js: ParseWithIcalJs) -> None:
    parsed = ical_js(update("uk", 2))
    assert parsed["method"] == "REQUEST"
    assert [e["sequence"] for e in parsed["events"]] == [1]
    assert [e["uid"] for e in parsed["events"]] == [group().evenings[1].uid]
    assert parsed["events"][0]["summary"] == (
        "Von/Einander/Kennen/Lernen: вечір 2 з 4, група Seerhein"
    )


def test_icaljs_reads_the_cancellation(ical_js: ParseWithIcalJs) -> None:
    parsed = ical_js(cancellation("ar"))
    assert parsed["method"] == "CANCEL"
    (event,) = parsed["events"]
    assert event["uid"] == group().evenings[0].uid
    assert event["status"] == "CANCELLED"
    assert event["sequence"] == 2
    assert event["attendees"][0]["value"] == "mailto:layla@example.org"
    assert event["description"].startswith("أُلغيت هذه الأمسية.")
    assert event["start"] == "2026-05-16T16:00:00.000Z"


def test_icaljs_reads_the_feed(ical_js: ParseWithIcalJs) -> None:
    parsed = ical_js(feed("ar"))
    assert parsed["method"] is None
    assert parsed["name"] == "Von/Einander/Kennen/Lernen: أمسياتي"
    assert [e["start"] for e in parsed["events"]] == [
        "2026-05-16T16:00:00.000Z",
        "2026-05-23T16:00:00.000Z",
        "2026-05-30T16:00:00.000Z",
        "2026-11-18T17:00:00.000Z",
    ]
    for event in parsed["events"]:
        assert event["organizer"] is None
        assert event["attendees"] == []
        assert event["summary"].startswith("Von/Einander/Kennen/Lernen: الأمسية")


def test_icaljs_reads_the_calendar_part_of_a_rendered_mail(ical_js: ParseWithIcalJs) -> None:
    mail = all_mails(RECIPIENTS["uk"])[2]
    calendar = render_parts(mail, PROGRAMME, now=NOW).calendar
    assert calendar is not None
    parsed = ical_js(calendar.content)
    assert parsed["method"] == "REQUEST"
    assert len(parsed["events"]) == 1
    assert parsed["events"][0]["attendees"][0]["cn"] == "Олена Шевченко"


@pytest.mark.parametrize("lang", ["de", "ar"])
def test_icaljs_finds_one_uid_in_every_mailed_calendar(ical_js: ParseWithIcalJs, lang: str) -> None:
    """Whatever a mail's kind, its calendar carries one evening, and it is the one named."""
    for mail in all_mails(RECIPIENTS[lang]):
        calendar = render_parts(mail, PROGRAMME, now=NOW).calendar
        if calendar is None:
            continue
        assert isinstance(
            mail, GroupInvitation | GroupChanged | EveningsCancelled | ModeratorRoster
        )
        parsed = ical_js(calendar.content)
        assert parsed["method"] == calendar.method
        assert [e["uid"] for e in parsed["events"]] == [mail.calendar_evening.uid], mail.kind
