"""What a person can do with their personal link: see, change, withdraw, take away, delete.

Every function takes the raw token from the link; a wrong, revoked or expired token is
simply "not found", whatever the reason, so a link reveals nothing about other people.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete as sql_delete
from sqlalchemy import select
from sqlalchemy.orm import Session

from vekl.access import tokens
from vekl.audit import records as audit
from vekl.calendars.personal import (
    GroupEvenings,
    active_group,
    describe,
    participant_calendar,
)
from vekl.errors import N_, Conflict, FieldError, InvalidInput
from vekl.registration import letter_codes, online
from vekl.registration import service as registrations
from vekl.registration.online import (
    ACTOR,
    is_open,
    last_withdrawal,
    may_rejoin,
    retention_until,
)
from vekl.runs.placements import published_run, waitlist_reason
from vekl.settings import Settings
from vekl.store.models import (
    AuditEntry,
    CalendarEntry,
    DropoutCategory,
    Group,
    GroupMember,
    InvitationCode,
    OutboxMail,
    Participant,
    RegistrationStatus,
    WaitlistEntry,
)
from vekl.validation import RegistrationInput, invalid_input

SERIES_REQUIRED = N_("Please choose at least one series of evenings you can attend.")
CHANGES_CLOSED = N_("Registration has closed, so the evenings can no longer be changed here.")
ALREADY_WITHDRAWN = N_("You have withdrawn from this round.")
REJOIN_CLOSED = N_(
    "Registration has closed, so you can no longer take part after all here. "
    "Please contact the organisers."
)
REJOIN_BY_ORGANISERS = N_(
    "The organisers have taken you off this round. "
    "If you would like to take part after all, please contact them."
)


class Standing(StrEnum):
    """Where a person stands, in the words of their page."""

    PENDING = "pending"
    REGISTERED = "registered"
    WAITLISTED = "waitlisted"
    PLACED = "placed"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class Status:
    """Where the person of a link stands, and what they may still change.

    ``can_rejoin``: they withdrew themselves and registration is still open, so they may undo
    it; ``had_place`` says they had a group then, which they do not get back by undoing.
    """

    participant: Participant
    standing: Standing
    group: GroupEvenings | None
    can_change_series: bool
    can_change_details: bool
    retention_until: datetime | None
    feed_token: str
    can_rejoin: bool = False
    had_place: bool = False


def _standing(session: Session, person: Participant) -> tuple[Standing, Group | None]:
    group = active_group(session, person)
    if person.status is RegistrationStatus.WITHDRAWN:
        return Standing.WITHDRAWN, group
    if person.status is RegistrationStatus.PENDING:
        return Standing.PENDING, group
    if group is not None:
        return Standing.PLACED, group
    if (
        person.status is RegistrationStatus.WAITLISTED
        or waitlist_reason(session, person) is not None
    ):
        return Standing.WAITLISTED, group
    return Standing.REGISTERED, group


def status(session: Session, token: str, *, secret_key: str, now: datetime | None = None) -> Status:
    person = tokens.participant_for(session, token)
    moment = now or datetime.now(UTC)
    standing, group = _standing(session, person)
    rejoin = may_rejoin(session, person, moment) if standing is Standing.WITHDRAWN else None
    return Status(
        participant=person,
        standing=standing,
        group=describe(group) if group is not None else None,
        can_change_series=standing is not Standing.WITHDRAWN and is_open(person.round, moment),
        can_change_details=may_change_details(standing, is_open(person.round, moment)),
        retention_until=retention_until(person.round),
        feed_token=tokens.feed_token(person, secret_key),
        can_rejoin=rejoin is not None,
        had_place=rejoin is not None and rejoin.previous_status is RegistrationStatus.PLACED,
    )


def calendar(session: Session, settings: Settings, token: str) -> bytes:
    """The person's current evenings (none after withdrawing), to download from their page."""
    return participant_calendar(session, settings, tokens.participant_for(session, token))


def feed(session: Session, settings: Settings, feed_token: str) -> bytes:
    """The same calendar for a calendar app's subscription, under the feed's own token."""
    return participant_calendar(session, settings, tokens.participant_for_feed(session, feed_token))


def replace_link(
    session: Session, settings: Settings, token: str, now: datetime | None = None
) -> str:
    """The person asks for a new link: the old one, and the old feed, stop working.

    The new link is mailed too, so the person has it outside this browser.
    """
    person = tokens.participant_for(session, token)
    tokens.replace(person, settings.secret_key)
    session.flush()
    online.send_link(session, settings, person, now or datetime.now(UTC))
    audit.record(
        session,
        ACTOR,
        "registration.link_replaced",
        round=person.round,
        subject=f"participant:{person.id}",
    )
    return tokens.link_token(person, settings.secret_key)


# What people may correct themselves on their page, while registration is open and
# before they have a group (a group was formed for the languages they gave).
SELF_DETAILS = (
    "first_name",
    "last_name",
    "preferred_language",
    "languages",
    "needs",
    "needs_other",
)
DETAILS_FIXED = N_(
    "You have a place in a group now, so your details can no longer be changed here. "
    "Please write to the organisers."
)


def may_change_details(standing: Standing, open_now: bool) -> bool:
    return open_now and standing in (Standing.PENDING, Standing.REGISTERED, Standing.WAITLISTED)


def change_details(
    session: Session, token: str, details: dict[str, Any], now: datetime | None = None
) -> list[str]:
    """Correct one's name, languages, needs or mail language; returns the fields changed.

    Checked exactly as a registration is: the stored registration with the changes must
    pass ``RegistrationInput``, so nothing can be saved here that the form would refuse.
    """
    person = tokens.participant_for(session, token)
    standing, _ = _standing(session, person)
    if standing is Standing.WITHDRAWN:
        raise Conflict(ALREADY_WITHDRAWN)
    if standing is Standing.PLACED:
        raise Conflict(DETAILS_FIXED)
    if not is_open(person.round, now or datetime.now(UTC)):
        raise Conflict(CHANGES_CLOSED)
    wanted = {field: details[field] for field in SELF_DETAILS if field in details}
    try:
        checked = RegistrationInput.model_validate({**registrations.as_input(person), **wanted})
    except ValidationError as exc:
        raise invalid_input(exc) from None
    changed = []
    for field in wanted:
        value = getattr(checked, field)
        if field in ("needs_other",):
            value = value or None
        if getattr(person, field) != value:
            setattr(person, field, list(value) if isinstance(value, list) else value)
            changed.append(field)
    if changed:
        session.flush()
        # Which fields, not their values: the log must not hold what the person wrote.
        audit.record(
            session,
            ACTOR,
            "registration.details",
            round=person.round,
            subject=f"participant:{person.id}",
            fields=changed,
        )
    return changed


def change_series(
    session: Session, token: str, keys: list[str], now: datetime | None = None
) -> Participant:
    """Change which series the person can attend, while the round takes registrations."""
    person = tokens.participant_for(session, token)
    if person.status is RegistrationStatus.WITHDRAWN:
        raise Conflict(ALREADY_WITHDRAWN)
    if not is_open(person.round, now or datetime.now(UTC)):
        raise Conflict(CHANGES_CLOSED)
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        raise InvalidInput([FieldError("series", SERIES_REQUIRED)])
    person.series = registrations.resolve_series(person.round, wanted)
    session.flush()
    audit.record(
        session,
        ACTOR,
        "registration.series",
        round=person.round,
        subject=f"participant:{person.id}",
        series=wanted,
    )
    return person


def self_category(value: str | None) -> DropoutCategory:
    """The reason a person chose when withdrawing. Giving one is optional, and a withdrawal
    never fails on it: nothing chosen, or a value that is not on their list, is "not
    given" (``docs/adr/0027-dropout-categories.md``)."""
    try:
        chosen = DropoutCategory((value or "").strip())
    except ValueError:
        return DropoutCategory.NOT_GIVEN
    return chosen if chosen in registrations.SELF_CATEGORIES else DropoutCategory.NOT_GIVEN


def withdraw(
    session: Session,
    settings: Settings,
    token: str,
    now: datetime | None = None,
    category: DropoutCategory = DropoutCategory.NOT_GIVEN,
) -> Participant:
    """Take the person out of the round; at the next rematch their place is free again.

    ``category`` is the reason they chose, if any (see :func:`self_category`).

    A placed person's calendar gets its cancellations through the same planner that sent
    the invitations; anyone else gets a mail that confirms the withdrawal.
    """
    person = tokens.participant_for(session, token)
    if person.status is RegistrationStatus.WITHDRAWN:
        return person
    moment = now or datetime.now(UTC)
    had_group = active_group(session, person) is not None
    registrations.withdraw(
        session,
        person.round,
        person,
        "withdrawn by the participant",
        ACTOR,
        category=category,
        now=moment,
        was_placed=had_group,
    )
    if had_group:
        # Imported here: the planner pulls in the matching machinery, which pages never need.
        from vekl.mail import planner as notify

        # The cancellation of their evenings confirms the withdrawal.
        notify.resync_round(session, person.round, settings=settings, now=moment)
    else:
        online.send_withdrawal_confirmation(session, settings, person, moment)
    return person


def rejoin(
    session: Session, settings: Settings, token: str, now: datetime | None = None
) -> Participant:
    """Undo the person's own withdrawal while registration is open.

    They get back the status they had before, except a place in a group: whoever had one is
    registered again (confirmed), and leaves the published grouping, so no later mail or
    calendar gives the place back by itself; the organisers' next rematch may place them.
    Someone on the waiting list of the published grouping is on it again. The moderators of
    the group they leave get their roster as it now is.
    """
    person = tokens.participant_for(session, token)
    if person.status is not RegistrationStatus.WITHDRAWN:
        return person
    moment = now or datetime.now(UTC)
    if not is_open(person.round, moment):
        raise Conflict(REJOIN_CLOSED)
    withdrawal = last_withdrawal(session, person)
    if withdrawal is None or not withdrawal.by_themselves:
        raise Conflict(REJOIN_BY_ORGANISERS)
    restored = withdrawal.previous_status
    run = published_run(session, person.round)
    left_group = False
    if run is not None:
        result = session.execute(
            sql_delete(GroupMember).where(
                GroupMember.run_id == run.id, GroupMember.participant_id == person.id
            )
        )
        left_group = getattr(result, "rowcount", 0) > 0
    if restored is RegistrationStatus.PLACED or (
        restored is RegistrationStatus.WAITLISTED and waitlist_reason(session, person) is None
    ):
        restored = RegistrationStatus.CONFIRMED
    person.status = restored
    person.withdrawn_at = None
    person.withdrawn_reason = None
    person.dropout_category = None
    session.flush()
    audit.record(
        session,
        ACTOR,
        "registration.rejoin",
        round=person.round,
        subject=f"participant:{person.id}",
        previous_status=withdrawal.previous_status.value,
        status=restored.value,
    )
    if left_group:
        # Imported here: the planner pulls in the matching machinery, which pages never need.
        from vekl.mail import planner as notify

        session.expire_all()
        notify.resync_round(session, person.round, settings=settings, now=moment)
    return person


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def export(session: Session, token: str) -> dict[str, Any]:
    """Everything stored about the person, as they can take it away (Art. 15 and 20 GDPR)."""
    person = tokens.participant_for(session, token)
    subject = f"participant:{person.id}"
    code = session.scalar(select(InvitationCode).where(InvitationCode.participant_id == person.id))
    memberships = session.scalars(
        select(GroupMember).where(GroupMember.participant_id == person.id)
    ).all()
    waitlist = session.scalars(
        select(WaitlistEntry).where(WaitlistEntry.participant_id == person.id)
    ).all()
    mails = session.scalars(
        select(OutboxMail).where(OutboxMail.participant_id == person.id).order_by(OutboxMail.id)
    ).all()
    entries = session.scalars(
        select(CalendarEntry).where(CalendarEntry.participant_id == person.id)
    ).all()
    log = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.subject == subject)
        .order_by(AuditEntry.at, AuditEntry.id)
    ).all()
    return {
        "round": {"slug": person.round.slug, "name": person.round.name},
        "registration": {
            "role": person.role.value,
            "first_name": person.first_name,
            "last_name": person.last_name,
            "email": person.email,
            "phone": person.phone,
            "preferred_language": person.preferred_language,
            "languages": list(person.languages),
            "series": [s.key for s in person.series],
            "gender": person.gender,
            "age_band": person.age_band,
            "district": person.district,
            "origin": person.origin,
            "needs": list(person.needs),
            "needs_other": person.needs_other,
            "companion_email": person.companion_email,
            "partner_code": person.partner_code,
            "source": person.source,
            "status": person.status.value,
            "registered_at": _iso(person.created_at),
            "consent_given_at": _iso(person.consent_given_at),
            "email_confirmed_at": _iso(person.email_confirmed_at),
            "withdrawn_at": _iso(person.withdrawn_at),
            "dropout_category": (
                person.dropout_category.value if person.dropout_category else None
            ),
            "letter_code_used_at": _iso(code.used_at) if code is not None else None,
        },
        "groups": [
            {"matching_run": m.run_id, "group": m.group.key, "series": m.group.series.key}
            for m in memberships
        ],
        "waiting_list": [{"matching_run": w.run_id, "reason": w.reason} for w in waitlist],
        "calendar_entries": [
            {
                "uid": e.uid,
                "evening": e.evening_id,
                "sequence": e.sequence,
                "cancelled": e.cancelled,
            }
            for e in entries
        ],
        "mails": [
            {
                "kind": m.kind,
                "queued_at": _iso(m.created_at),
                "sent_at": _iso(m.sent_at),
                "status": m.status.value,
            }
            for m in mails
        ],
        "history": [{"at": _iso(e.at), "action": e.action, "by": e.actor} for e in log],
        "feedback": _feedback_data(session, person),
    }


def _feedback_data(session: Session, person: Participant) -> dict[str, object]:
    # Imported here: feedback builds on the runs and mail packages, which pages load lazily.
    from vekl.feedback import contacts

    return contacts.personal_data(session, person)


def delete(session: Session, settings: Settings, token: str, now: datetime | None = None) -> None:
    """Delete the registration and everything that hangs off it; the log keeps only the fact.

    Nothing about the person stays with others either: whoever named their address as a
    companion forgets it, and their moderators' unsent rosters and calendar entries drop
    them (the moderators of future evenings get their roster as it now is).
    """
    person = tokens.participant_for(session, token)
    round = person.round
    subject = f"participant:{person.id}"
    moderator_ids = {
        moderator.id
        for member in session.scalars(
            select(GroupMember).where(GroupMember.participant_id == person.id)
        )
        for moderator in member.group.moderators
    }
    # Imported here: the planner pulls in the matching machinery, which pages never need.
    from vekl.mail import planner as notify

    member = notify.roster_member(person)
    registrations.forget_companion(session, round, person.email)
    # The code from their letter works again: its row keeps no trace of the person.
    letter_codes.release_codes_of(session, [person.id])
    # Asking for news about later rounds was theirs too; contact choices and the survey
    # invitation go with the registration (the anonymous answer stays: it is nobody's).
    from vekl.feedback import news

    news.unsubscribe(session, person.email)
    session.delete(person)
    session.flush()
    notify.forget_member(
        session,
        round,
        member=member,
        moderator_ids=moderator_ids,
        settings=settings,
        now=now or datetime.now(UTC),
    )
    audit.record(session, ACTOR, "registration.delete", round=round, subject=subject)
