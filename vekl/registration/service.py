"""Registrations: creating, updating and listing the people of a round.

The unique constraint on (round, email) is the only guard that holds under concurrent
requests, so registering relies on it: the insert runs in a savepoint and a collision
returns the registration that won instead of failing.

A collision with a registration that is not committed yet makes PostgreSQL wait for the
other transaction. A burst of requests for one address would then hold one pooled connection
each while waiting, and fill the pool for everyone else; so that insert waits at most
``INSERT_LOCK_TIMEOUT`` and is then reported as :class:`RegistrationInProgress`: the address
is being registered right now, by the request that holds the lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy import update as sql_update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, selectinload

from vekl.audit import records as audit
from vekl.errors import N_, Conflict, FieldError, InvalidInput, NotFound
from vekl.rounds.service import series_by_key
from vekl.store.models import (
    DropoutCategory,
    Participant,
    RegistrationStatus,
    Role,
    Round,
    Series,
)
from vekl.validation import RegistrationInput

# Registrations the solver considers; pending ones have not confirmed their email yet.
MATCHABLE = (
    RegistrationStatus.CONFIRMED,
    RegistrationStatus.PLACED,
    RegistrationStatus.WAITLISTED,
)

# How long a new registration waits for a concurrent one of the same address (PostgreSQL).
INSERT_LOCK_TIMEOUT = "2s"
LOCK_NOT_AVAILABLE = "55P03"


class RegistrationInProgress(Conflict):
    """Another transaction is registering the same address at this moment."""

    def __init__(self) -> None:
        super().__init__(N_("this email address is being registered at this moment"))


@dataclass(frozen=True)
class RegistrationOutcome:
    participant: Participant
    created: bool


def resolve_series(round: Round, keys: list[str], field: str = "series") -> list[Series]:
    known = series_by_key(round)
    unknown = [key for key in keys if key not in known]
    if unknown:
        raise InvalidInput(
            [
                FieldError(
                    field,
                    N_("unknown series '%(value)s' (this round has: %(known)s)"),
                    params={"value": key, "known": ", ".join(known) or "-"},
                )
                for key in unknown
            ]
        )
    return [known[key] for key in keys]


def _apply(participant: Participant, data: RegistrationInput, series: list[Series]) -> None:
    participant.role = data.role
    participant.first_name = data.first_name
    participant.last_name = data.last_name
    participant.email = data.email
    participant.phone = data.phone or None
    participant.preferred_language = data.preferred_language
    participant.languages = list(data.languages)
    participant.gender = data.gender
    participant.age_band = data.age_band
    participant.district = data.district
    # Country of origin is asked of newcomers only; a citizen's is not collected.
    participant.origin = data.origin if data.role is Role.NEWCOMER else None
    participant.needs = list(data.needs)
    participant.needs_other = data.needs_other or None
    participant.companion_email = data.companion_email
    participant.priority = data.priority
    participant.partner_code = data.partner_code or None
    participant.series = series


def forget_companion(session: Session, round: Round, email: str) -> None:
    """Whoever named ``email`` as the person they come with forgets it."""
    session.execute(
        sql_update(Participant)
        .where(
            Participant.round_id == round.id,
            func.lower(Participant.companion_email) == email.lower(),
        )
        .values(companion_email=None)
    )


def find_by_email(session: Session, round: Round, email: str) -> Participant | None:
    return session.scalar(
        select(Participant).where(Participant.round_id == round.id, Participant.email == email)
    )


def register(
    session: Session,
    round: Round,
    data: RegistrationInput,
    *,
    source: str,
    actor: str,
    confirmed: bool = False,
) -> RegistrationOutcome:
    """Store a new registration, or hand back the one this email already has."""
    series = resolve_series(round, data.series)
    existing = find_by_email(session, round, data.email)
    if existing is not None:
        return RegistrationOutcome(existing, created=False)

    participant = _new(round, data, series, source=source, confirmed=confirmed)
    try:
        with session.begin_nested():
            _insert_without_waiting(session, participant)
    except OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) == LOCK_NOT_AVAILABLE:
            raise RegistrationInProgress() from None
        raise
    except IntegrityError:
        winner = find_by_email(session, round, data.email)
        if winner is None:
            raise
        return RegistrationOutcome(winner, created=False)
    audit.record(
        session,
        actor,
        "registration.create",
        round=round,
        subject=f"participant:{participant.id}",
        source=source,
    )
    return RegistrationOutcome(participant, created=True)


def _new(
    round: Round, data: RegistrationInput, series: list[Series], *, source: str, confirmed: bool
) -> Participant:
    participant = Participant(
        round_id=round.id,
        source=source,
        consent_given_at=data.consent_given_at or datetime.now(UTC),
        status=RegistrationStatus.CONFIRMED if confirmed else RegistrationStatus.PENDING,
    )
    _apply(participant, data, series)
    return participant


def find_by_emails(session: Session, round: Round, emails: list[str]) -> dict[str, Participant]:
    """The registrations of these addresses that exist, by address, in one query."""
    found = session.scalars(
        select(Participant)
        .where(Participant.round_id == round.id, Participant.email.in_(emails))
        .options(selectinload(Participant.series))
    )
    return {person.email: person for person in found}


def register_many(
    session: Session,
    round: Round,
    items: list[RegistrationInput],
    *,
    source: str,
    actor: str,
    confirmed: bool = False,
) -> list[RegistrationOutcome]:
    """Store registrations of addresses the caller found unregistered, in one flush.

    One statement per table instead of several per person, for imports of thousands. If
    one of the addresses was registered meanwhile (by a concurrent request), the flush fails
    inside its savepoint and each item goes through :func:`register` on its own, which hands
    back the registration that won.
    """
    if not items:
        return []
    people = [
        _new(round, data, resolve_series(round, data.series), source=source, confirmed=confirmed)
        for data in items
    ]
    try:
        with session.begin_nested():
            session.add_all(people)
            session.flush()
    except IntegrityError:
        return [
            register(session, round, data, source=source, actor=actor, confirmed=confirmed)
            for data in items
        ]
    audit.record_many(
        session,
        actor,
        "registration.create",
        round=round,
        subjects=[f"participant:{person.id}" for person in people],
        source=source,
    )
    return [RegistrationOutcome(person, created=True) for person in people]


def _insert_without_waiting(session: Session, participant: Participant) -> None:
    """Flush the new row; on PostgreSQL, wait for a concurrent one at most briefly.

    ``set_config(..., true)`` is local to the transaction (and undone with the savepoint on
    failure); the previous value is put back after the insert.
    """
    if session.get_bind().dialect.name != "postgresql":
        session.add(participant)
        session.flush()
        return
    previous = session.scalar(text("SELECT current_setting('lock_timeout')"))
    session.execute(
        text("SELECT set_config('lock_timeout', :value, true)"), {"value": INSERT_LOCK_TIMEOUT}
    )
    session.add(participant)
    session.flush()
    session.execute(text("SELECT set_config('lock_timeout', :value, true)"), {"value": previous})


def as_input(participant: Participant) -> dict[str, Any]:
    """What is stored about the person, as the fields of ``RegistrationInput``."""
    return {
        "role": participant.role,
        "first_name": participant.first_name,
        "last_name": participant.last_name,
        "email": participant.email,
        "phone": participant.phone,
        "preferred_language": participant.preferred_language,
        "languages": list(participant.languages),
        "series": [s.key for s in participant.series],
        "gender": participant.gender,
        "age_band": participant.age_band,
        "district": participant.district,
        "origin": participant.origin,
        "needs": list(participant.needs),
        "needs_other": participant.needs_other,
        "companion_email": participant.companion_email,
        "priority": participant.priority,
        "partner_code": participant.partner_code,
        "consent": True,
    }


def differs(participant: Participant, data: RegistrationInput) -> bool:
    """Whether applying ``data`` would change anything the person told us."""
    current = (
        participant.role,
        participant.first_name,
        participant.last_name,
        participant.phone,
        participant.preferred_language,
        list(participant.languages),
        [s.key for s in participant.series],
        participant.gender,
        participant.age_band,
        participant.district,
        participant.origin,
        list(participant.needs),
        participant.needs_other,
        participant.companion_email,
        participant.priority,
    )
    wanted = (
        data.role,
        data.first_name,
        data.last_name,
        data.phone or None,
        data.preferred_language,
        list(data.languages),
        list(data.series),
        data.gender,
        data.age_band,
        data.district,
        data.origin if data.role is Role.NEWCOMER else None,
        list(data.needs),
        data.needs_other or None,
        data.companion_email,
        data.priority,
    )
    return current != wanted


def update(
    session: Session, round: Round, participant: Participant, data: RegistrationInput, actor: str
) -> None:
    series = resolve_series(round, data.series)
    _apply(participant, data, series)
    session.flush()
    audit.record(
        session,
        actor,
        "registration.update",
        round=round,
        subject=f"participant:{participant.id}",
    )


def list_registrations(
    session: Session,
    round: Round,
    *,
    status: RegistrationStatus | None = None,
    role: Role | None = None,
    series_key: str | None = None,
) -> list[Participant]:
    query = (
        select(Participant)
        .where(Participant.round_id == round.id)
        .options(selectinload(Participant.series))
        .order_by(Participant.id)
    )
    if status is not None:
        query = query.where(Participant.status == status)
    if role is not None:
        query = query.where(Participant.role == role)
    if series_key is not None:
        query = query.join(Participant.series).where(Series.key == series_key)
    return list(session.scalars(query))


def get_participant(session: Session, round: Round, participant_id: int) -> Participant:
    found = session.get(Participant, participant_id)
    if found is None or found.round_id != round.id:
        raise NotFound(
            N_("no registration %(id)s in round '%(round)s'"), id=participant_id, round=round.slug
        )
    return found


# What a person may say on their own page (not having come is the organisers' finding).
SELF_CATEGORIES = tuple(c for c in DropoutCategory if c is not DropoutCategory.NO_SHOW)
CATEGORY_REQUIRED = N_("please choose why the person drops out")
UNKNOWN_CATEGORY = N_("unknown reason '%(value)s' (one of: %(known)s)")


def parse_category(value: str | None, field: str = "category") -> DropoutCategory:
    """An organiser's choice of dropout category: required, and one of the list."""
    text = (value or "").strip()
    if not text:
        raise InvalidInput([FieldError(field, CATEGORY_REQUIRED)])
    try:
        return DropoutCategory(text)
    except ValueError:
        known = ", ".join(c.value for c in DropoutCategory)
        raise InvalidInput(
            [FieldError(field, UNKNOWN_CATEGORY, params={"value": text[:40], "known": known})]
        ) from None


def withdraw(
    session: Session,
    round: Round,
    participant: Participant,
    reason: str,
    actor: str,
    *,
    category: DropoutCategory,
    action: str = "registration.withdraw",
    now: datetime | None = None,
    **details: Any,
) -> None:
    """Mark someone as dropped out; the next rematch frees their place.

    The one place a registration becomes withdrawn, whoever asks (the person, an
    organiser, the command line). The caller tells the person (``notify.resync_round``)
    in the same transaction. The reason stays on the registration, never in the log.
    """
    if participant.status is RegistrationStatus.WITHDRAWN:
        return
    previous = participant.status
    participant.status = RegistrationStatus.WITHDRAWN
    participant.withdrawn_at = now or datetime.now(UTC)
    participant.withdrawn_reason = reason[:500]
    participant.dropout_category = category
    session.flush()
    audit.record(
        session,
        actor,
        action,
        round=round,
        subject=f"participant:{participant.id}",
        previous_status=previous.value,
        **details,
    )


def drop_out_first_placed(
    session: Session, round: Round, count: int, actor: str, reason: str
) -> list[Participant]:
    """The demo's dropouts: the first ``count`` placed people, in registration order."""
    placed = list_registrations(session, round, status=RegistrationStatus.PLACED)[:count]
    for person in placed:
        withdraw(session, round, person, reason, actor, category=DropoutCategory.OTHER)
    return placed
