"""Calendar UIDs: one per person and evening, stable for the life of the round.

They are keyed hashes of internal ids, so a UID reveals nobody and cannot be guessed;
invitations, updates, cancellations and the subscription feed all use the same one,
which is what lets calendar clients replace an entry instead of adding a second one.
"""

from __future__ import annotations

from notifications.identifiers import event_uid


def participant_evening_uid(
    participant_id: int, session_id: int, *, domain: str, secret: str
) -> str:
    return event_uid(
        "participant", participant_id, "session", session_id, domain=domain, secret=secret.encode()
    )


def moderator_evening_uid(moderator_id: int, session_id: int, *, domain: str, secret: str) -> str:
    return event_uid(
        "moderator", moderator_id, "session", session_id, domain=domain, secret=secret.encode()
    )
