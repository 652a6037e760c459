"""Registering on the web: double opt-in, letter codes, and links sent again (to
participants and moderators).

Nothing a visitor sees depends on whether an email address is known: registering an
address that is already registered, or asking for the link of an unknown address, looks
exactly like the normal case. The person behind a known address gets a mail instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from notifications import kinds
from notifications.identifiers import make_message_id
from notifications.messages import render_mail
from vekl.access import guesses, links, tokens
from vekl.audit import records as audit
from vekl.errors import N_, Conflict, FieldError, InvalidInput, NotFound
from vekl.mail import outbox
from vekl.mail.recipients import (
    language_of,
    moderator_recipient,
    participant_recipient,
    programme,
)
from vekl.registration import letter_codes
from vekl.registration import service as registrations
from vekl.retention import service as retention
from vekl.settings import Settings
from vekl.store.models import (
    AuditEntry,
    Moderator,
    OutboxMail,
    Participant,
    RegistrationStatus,
    Role,
    Round,
    RoundStatus,
)
from vekl.validation import RegistrationInput, normalise_email

ACTOR = "web"
PENDING_LIFETIME = timedelta(days=7)
# A second mail of the same kind within this time is not sent: a double click or a
# stranger repeating a form must not fill someone's inbox.
MAIL_PAUSE = timedelta(minutes=5)

ROUND_CLOSED = N_("Registration for this round has closed.")
EMAIL_INVALID = N_("Please enter a valid email address, such as name@example.org.")


SELF_WITHDRAWAL = "registration.withdraw"
"""The audit action of a withdrawal; by :data:`ACTOR`, the person did it themselves."""
WITHDRAWALS = (SELF_WITHDRAWAL, "registration.drop_out")


class RegistrationClosed(Conflict):
    pass


def is_open(round: Round, now: datetime) -> bool:
    """Registration is open while the organisers keep it open and the deadline has not
    passed. A round is public only once it has a deadline and evenings to choose from;
    forming groups does not close it."""
    deadline = round.registration_deadline
    return (
        round.status is RoundStatus.OPEN
        and deadline is not None
        and now < deadline
        and any(series.evenings for series in round.series)
    )


def open_rounds(session: Session, now: datetime | None = None) -> list[Round]:
    """Rounds taking registrations now, in the order they were created."""
    moment = now or datetime.now(UTC)
    candidates = session.scalars(
        select(Round).where(Round.status == RoundStatus.OPEN).order_by(Round.id)
    )
    return [r for r in candidates if is_open(r, moment)]


def open_round(session: Session, slug: str, now: datetime | None = None) -> Round:
    found = session.scalar(select(Round).where(Round.slug == slug))
    if found is None:
        raise NotFound(N_("no round '%(round)s'"), round=slug)
    if not is_open(found, now or datetime.now(UTC)):
        raise RegistrationClosed(ROUND_CLOSED)
    return found


@dataclass(frozen=True)
class Withdrawal:
    """How a withdrawn person came to be withdrawn, from the audit log."""

    by_themselves: bool
    previous_status: RegistrationStatus


def last_withdrawal(session: Session, person: Participant) -> Withdrawal | None:
    """The person's latest withdrawal: who did it and the status they had before."""
    entry = session.scalar(
        select(AuditEntry)
        .where(
            AuditEntry.subject == f"participant:{person.id}",
            AuditEntry.action.in_(WITHDRAWALS),
        )
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(1)
    )
    if entry is None:
        return None
    try:
        previous = RegistrationStatus(str(entry.details.get("previous_status")))
    except ValueError:
        previous = RegistrationStatus.CONFIRMED
    return Withdrawal(
        by_themselves=entry.action == SELF_WITHDRAWAL and entry.actor == ACTOR,
        previous_status=previous,
    )


def may_rejoin(session: Session, person: Participant, now: datetime) -> Withdrawal | None:
    """The withdrawal the person may undo now (their own, while registration is open)."""
    if person.status is not RegistrationStatus.WITHDRAWN or not is_open(person.round, now):
        return None
    withdrawal = last_withdrawal(session, person)
    return withdrawal if withdrawal is not None and withdrawal.by_themselves else None


def _recently_mailed(
    session: Session, person: Participant | Moderator, kind: str, now: datetime
) -> bool:
    holder = (
        OutboxMail.participant_id == person.id
        if isinstance(person, Participant)
        else OutboxMail.moderator_id == person.id
    )
    return (
        session.scalar(
            select(OutboxMail.id)
            .where(
                holder,
                OutboxMail.kind == kind,
                OutboxMail.created_at > now - MAIL_PAUSE,
            )
            .limit(1)
        )
        is not None
    )


def _queue(
    session: Session,
    settings: Settings,
    holder: Participant | Moderator,
    mail: kinds.Mail,
    now: datetime,
) -> None:
    sender = programme(settings)
    message = render_mail(mail, sender, message_id=make_message_id(sender.domain), now=now)
    who: dict[str, Any] = (
        {"participant": holder} if isinstance(holder, Participant) else {"moderator": holder}
    )
    outbox.queue(
        session,
        message,
        secret_key=settings.secret_key,
        kind=mail.kind,
        round=holder.round,
        **who,
    )


def send_confirmation(
    session: Session, settings: Settings, person: Participant, now: datetime
) -> None:
    """Ask the person to confirm their address, through their personal link."""
    token = tokens.link_token(person, settings.secret_key)
    mail = kinds.RegistrationConfirmation(
        recipient=participant_recipient(person),
        confirm_url=links.confirm_url(settings, token),
        confirm_before=person.created_at + PENDING_LIFETIME,
    )
    _queue(session, settings, person, mail, now)


def send_link(session: Session, settings: Settings, person: Participant, now: datetime) -> None:
    """Mail the person's link again: the same one, so earlier mails and bookmarks keep working.

    Someone who has withdrawn is told so, and how they can take part after all.
    """
    token = tokens.link_token(person, settings.secret_key)
    withdrawn = person.status is RegistrationStatus.WITHDRAWN
    can_rejoin = withdrawn and may_rejoin(session, person, now) is not None
    mail = kinds.SelfServiceLink(
        recipient=participant_recipient(person),
        self_service_url=links.self_service_url(settings, token),
        withdrawn=withdrawn,
        can_rejoin=can_rejoin,
        rejoin_before=person.round.registration_deadline if can_rejoin else None,
    )
    _queue(session, settings, person, mail, now)


def send_moderator_link(
    session: Session, settings: Settings, moderator: Moderator, now: datetime
) -> None:
    """Mail a moderator the link to their page: the same one, until an organiser replaces it."""
    if _recently_mailed(session, moderator, "moderator_link", now):
        return
    token = tokens.link_token(moderator, settings.secret_key)
    mail = kinds.ModeratorLink(
        recipient=moderator_recipient(moderator),
        round_name=moderator.round.name_in(language_of(moderator)),
        moderator_url=links.moderator_url(settings, token),
    )
    _queue(session, settings, moderator, mail, now)


def send_withdrawal_confirmation(
    session: Session, settings: Settings, person: Participant, now: datetime
) -> None:
    """Confirm a withdrawal to someone who had no group (who had one gets the cancellation)."""
    mail = kinds.WithdrawalConfirmed(
        recipient=participant_recipient(person),
        round_name=person.round.name_in(language_of(person)),
        self_service_url=links.self_service_url(
            settings, tokens.link_token(person, settings.secret_key)
        ),
    )
    _queue(session, settings, person, mail, now)


def _remind(session: Session, settings: Settings, person: Participant, now: datetime) -> None:
    """What a known address gets instead of a second registration."""
    kind = (
        "registration_confirmation"
        if person.status is RegistrationStatus.PENDING
        else "self_service_link"
    )
    if _recently_mailed(session, person, kind, now):
        return
    if kind == "registration_confirmation":
        send_confirmation(session, settings, person, now)
    else:
        send_link(session, settings, person, now)


def register_online(
    session: Session,
    settings: Settings,
    slug: str,
    data: RegistrationInput,
    *,
    letter_code: str | None,
    client: str,
    now: datetime | None = None,
) -> None:
    """Register from the web form or the API; returns nothing the visitor may not know.

    Citizens need an unused code from their letter, which is used up in the same
    transaction; newcomers need none. The registration stays pending until the link in
    the confirmation mail is opened. Every registration may send a mail, so they are
    limited per client and per address (:mod:`vekl.access.guesses`).
    """
    moment = now or datetime.now(UTC)
    round = open_round(session, slug, moment)
    address = guesses.address_key(data.email, settings.secret_key)
    guesses.check(session, "registration", client, moment)
    guesses.check(session, "registration_address", address, moment)
    guesses.count(session, "registration", client, moment)
    guesses.count(session, "registration_address", address, moment)
    registrations.resolve_series(round, data.series)
    code = None
    if data.role is Role.CITIZEN:
        checked = letter_codes.check(
            session,
            round,
            letter_code,
            email=data.email,
            client=client,
            secret=settings.secret_key,
            now=moment,
        )
        code = checked.row
    # An address already registered in this round is answered with a mail, not a second row.
    try:
        outcome = registrations.register(
            session,
            round,
            data.model_copy(update={"consent_given_at": moment, "priority": 0}),
            source="web",
            actor=ACTOR,
        )
    except registrations.RegistrationInProgress:
        # The request registering this address right now sends the confirmation mail.
        return
    if not outcome.created:
        _remind(session, settings, outcome.participant, moment)
        return
    person = outcome.participant
    if code is not None:
        letter_codes.consume(session, code, person, moment)
    send_confirmation(session, settings, person, moment)


def confirm(session: Session, token: str, now: datetime | None = None) -> Participant:
    """Opening the link from the confirmation mail confirms the address; again is harmless."""
    person = tokens.participant_for(session, token)
    if person.status is RegistrationStatus.PENDING:
        person.status = RegistrationStatus.CONFIRMED
        person.email_confirmed_at = now or datetime.now(UTC)
        session.flush()
        audit.record(
            session,
            ACTOR,
            "registration.confirm",
            round=person.round,
            subject=f"participant:{person.id}",
        )
    return person


def send_link_again(
    session: Session,
    settings: Settings,
    email: str,
    *,
    client: str,
    now: datetime | None = None,
) -> None:
    """Mail the personal link of every registration and every moderator under ``email``
    (rounds whose data is not yet removed); say nothing either way."""
    moment = now or datetime.now(UTC)
    try:
        address = normalise_email(email)
    except ValueError:
        raise InvalidInput([FieldError("email", EMAIL_INVALID)]) from None
    guesses.check(session, "link_request", client, moment)
    guesses.count(session, "link_request", client, moment)
    people = session.scalars(
        select(Participant)
        .join(Round, Round.id == Participant.round_id)
        .where(Participant.email == address, Round.purged_at.is_(None))
        .order_by(Participant.id)
    )
    for person in people:
        _remind(session, settings, person, moment)
    moderators = session.scalars(
        select(Moderator)
        .join(Round, Round.id == Moderator.round_id)
        .where(Moderator.email == address, Round.purged_at.is_(None))
        .order_by(Moderator.id)
    )
    for moderator in moderators:
        send_moderator_link(session, settings, moderator, moment)


def purge_pending(session: Session, now: datetime | None = None) -> int:
    """Delete registrations never confirmed within a week; their letter codes work again."""
    moment = now or datetime.now(UTC)
    stale = list(
        session.scalars(
            select(Participant).where(
                Participant.status == RegistrationStatus.PENDING,
                Participant.created_at < moment - PENDING_LIFETIME,
            )
        )
    )
    letter_codes.release_codes_of(session, [p.id for p in stale])
    by_round: dict[int, int] = {}
    for person in stale:
        by_round[person.round_id] = by_round.get(person.round_id, 0) + 1
        session.delete(person)
    session.flush()
    for round_id, removed in by_round.items():
        audit.record(
            session,
            "system",
            "registrations.purge_pending",
            round=session.get(Round, round_id),
            removed=removed,
        )
    guesses.purge_expired(session, moment)
    return len(stale)


def privacy_terms(
    session: Session, slug: str | None = None, now: datetime | None = None
) -> list[tuple[Round, datetime | None]]:
    """Rounds the privacy notice speaks about, each with the day its data is removed.

    Data is kept for the round's retention period after its last evening.
    """
    if slug is not None:
        found = session.scalar(select(Round).where(Round.slug == slug))
        chosen = [found] if found is not None else []
    else:
        chosen = open_rounds(session, now)
    return [(round, retention_until(round)) for round in chosen]


def retention_until(round: Round) -> datetime | None:
    last = max((e.ends_at for s in round.series for e in s.evenings), default=None)
    return retention.removal_date(last, round.retention_days)
