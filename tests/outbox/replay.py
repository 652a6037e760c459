"""A calendar that takes iTIP files the way calendar clients do.

Entries are keyed by UID; a REQUEST with a SEQUENCE not lower than the stored one
replaces the entry, a CANCEL with such a SEQUENCE removes it, anything older is ignored.
Like Outlook and Gmail, it acts on the first event of a file only, and it reads the
``text/calendar`` part a mail program treats as the invitation (a mail with several is
refused). A mail without one that carries calendar files (a person moved to another group)
is read as its reader opening each attached file in turn.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy

from icalendar import Calendar


@dataclass(frozen=True)
class Entry:
    uid: str
    sequence: int
    start: datetime
    end: datetime
    location: str
    summary: str


def calendar_part(payload: bytes) -> bytes | None:
    message = message_from_bytes(payload, policy=policy.default)
    parts = [part for part in message.walk() if part.get_content_type() == "text/calendar"]
    assert len(parts) <= 1, "a mail has at most one invitation part"
    for part in parts:
        data = part.get_payload(decode=True)
        assert isinstance(data, bytes)
        return data
    return None


def attached_calendars(payload: bytes) -> list[bytes]:
    """The ``.ics`` files a mail carries as attachments, in order."""
    message = message_from_bytes(payload, policy=policy.default)
    found = []
    for part in message.walk():
        if part.get_content_type() == "application/ics":
            data = part.get_payload(decode=True)
            assert isinstance(data, bytes)
            found.append(data)
    return found


def calendar_files(payload: bytes) -> list[bytes]:
    """What a calendar takes from a mail: its invitation part, or else every attached file."""
    inline = calendar_part(payload)
    return [inline] if inline is not None else attached_calendars(payload)


class ClientCalendar:
    def __init__(self) -> None:
        self.entries: dict[str, Entry] = {}
        self.cancelled: dict[str, int] = {}

    def apply(self, ics: bytes) -> str:
        calendar = Calendar.from_ical(ics)
        method = str(calendar.get("METHOD", ""))
        for event in calendar.walk("VEVENT")[:1]:
            uid = str(event["UID"])
            sequence = int(event.get("SEQUENCE", 0))
            known = max(
                self.entries[uid].sequence if uid in self.entries else -1,
                self.cancelled.get(uid, -1),
            )
            if sequence < known:
                continue
            if method == "CANCEL":
                assert str(event["STATUS"]) == "CANCELLED"
                self.entries.pop(uid, None)
                self.cancelled[uid] = sequence
            else:
                self.cancelled.pop(uid, None)
                self.entries[uid] = Entry(
                    uid=uid,
                    sequence=sequence,
                    start=event.decoded("DTSTART"),
                    end=event.decoded("DTEND"),
                    location=str(event.get("LOCATION", "")),
                    summary=str(event.get("SUMMARY", "")),
                )
        return method

    def replay(self, payloads: list[bytes]) -> list[str]:
        methods = []
        for payload in payloads:
            for ics in calendar_files(payload):
                methods.append(self.apply(ics))
        return methods

    def evenings(self) -> set[tuple[datetime, datetime, str]]:
        return {(e.start, e.end, e.location) for e in self.entries.values()}
