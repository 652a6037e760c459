"""Identifiers the application fixes before it renders anything.

The outbox stores a Message-ID before the first delivery attempt, so a retry sends the very same
message and a receiving server or the file sink can recognise a duplicate. Calendar UIDs must
stay stable across invitation, update and cancellation, and they travel in plain text to the
recipient's calendar provider, so they are derived from opaque ids and carry nothing personal.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from uuid import UUID

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*")
_MESSAGE_ID = re.compile(r"<[\x21-\x3b\x3d\x3f-\x7e]+@([\x21-\x3b\x3d\x3f-\x7e]+)>")


def _checked_domain(domain: str) -> str:
    if not _DOMAIN.fullmatch(domain):
        raise ValueError(f"not a plain DNS domain: {domain!r}")
    return domain.lower()


def make_message_id(domain: str) -> str:
    """A new, random Message-ID such as ``<3f2c...@vekl.example.org>``.

    Random rather than derived from the recipient, so it reveals nothing about who got the mail.
    """
    return f"<{uuid.uuid4().hex}@{_checked_domain(domain)}>"


def check_message_id(message_id: str, domain: str) -> str:
    """Return ``message_id`` if it is a well-formed id on ``domain``; raise ``ValueError`` if not.

    Ids on foreign domains are refused because they could collide with another sender's.
    """
    match = _MESSAGE_ID.fullmatch(message_id)
    if match is None:
        raise ValueError(f"not a Message-ID of the form <unique@domain>: {message_id!r}")
    if match.group(1).lower() != _checked_domain(domain):
        raise ValueError(f"Message-ID {message_id!r} is not on the programme's domain {domain!r}")
    return message_id


def event_uid(*opaque_ids: str | int | UUID, domain: str, secret: bytes | None = None) -> str:
    """A stable calendar UID derived from opaque ids, e.g. ``event_uid(person_id, evening_id)``.

    The ids are hashed so the UID shows neither them nor their order of creation. If the ids are
    guessable (small integers), pass a ``secret`` kept in the settings: the hash becomes an HMAC
    and nobody can map a UID back to a person by trying ids.

    Which ids to combine is the caller's choice. Per person and evening *slot* (person, series,
    position) means a move to another group updates the existing calendar entries in place;
    per person and concrete evening means a move needs a cancellation plus a new invitation.
    """
    if not opaque_ids:
        raise ValueError("event_uid needs at least one id")
    material = "\x1f".join(str(part) for part in opaque_ids).encode()
    if secret is None:
        digest = hashlib.sha256(material).hexdigest()
    else:
        digest = hmac.new(secret, material, hashlib.sha256).hexdigest()
    return f"{digest[:32]}@{_checked_domain(domain)}"
