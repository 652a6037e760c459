"""The registrations of a round as organisers look at them: counts, charts, a filtered list.

Counting happens here, once, so the page only shows numbers; the same counts feed the
charts and their text alternatives.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from vekl.audit import records as audit
from vekl.errors import N_, Conflict, FieldError, InvalidInput
from vekl.mail import planner as notify
from vekl.registration import service as registrations
from vekl.registration.online import last_withdrawal
from vekl.rounds import service as rounds
from vekl.runs.placements import published_run, run_groups
from vekl.settings import Settings
from vekl.store.models import (
    AuditEntry,
    Group,
    GroupMember,
    Participant,
    RegistrationStatus,
    Role,
    Round,
    WaitlistEntry,
)
from vekl.validation import RegistrationInput

FILTERS = ("status", "role", "series", "language", "district", "origin", "q")


@dataclass(frozen=True)
class Overview:
    round: Round
    total: int
    by_role: list[tuple[str, int]]
    by_status: list[tuple[str, int]]
    by_series: list[tuple[str, int]]
    by_language: list[tuple[str, int]]
    by_district: list[tuple[str, int]]
    by_origin: list[tuple[str, int]]
    per_day: list[tuple[str, int]]
    # Per series: its label, citizens and newcomers who can attend it (not withdrawn).
    mix_per_series: list[tuple[str, int, int]]
    people: list[Participant]
    filters: dict[str, str] = field(default_factory=dict)


def _sorted(counter: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))


def _per_day(people: list[Participant], zone: ZoneInfo) -> list[tuple[str, int]]:
    days = Counter(p.created_at.astimezone(zone).date() for p in people)
    if not days:
        return []
    first, last = min(days), max(days)
    out: list[tuple[str, int]] = []
    day: date = first
    while day <= last:
        out.append((day.isoformat(), days.get(day, 0)))
        day += timedelta(days=1)
    return out


def _matches(person: Participant, filters: dict[str, str]) -> bool:
    wanted = {k: v for k, v in filters.items() if v}
    checks: dict[str, Callable[[str], bool]] = {
        "status": lambda v: person.status.value == v,
        "role": lambda v: person.role.value == v,
        "series": lambda v: v in {s.key for s in person.series},
        "language": lambda v: v in person.languages,
        "district": lambda v: (person.district or "") == v,
        "origin": lambda v: (person.origin or "") == v,
        "q": lambda v: (
            v.casefold() in f"{person.first_name} {person.last_name} {person.email}".casefold()
        ),
    }
    return all(checks[key](value) for key, value in wanted.items() if key in checks)


def overview(session: Session, slug: str, filters: dict[str, str], zone: ZoneInfo) -> Overview:
    round = rounds.load_round_tree(session, slug)
    people = registrations.list_registrations(session, round)
    active = [p for p in people if p.status is not RegistrationStatus.WITHDRAWN]
    languages: Counter[str] = Counter()
    series: Counter[str] = Counter()
    for person in active:
        languages.update(person.languages)
        series.update(s.key for s in person.series)
    labels = {s.key: s.label for s in round.series}
    mix = []
    for s in round.series:
        citizens = sum(
            1 for p in active if p.role is Role.CITIZEN and s.key in {x.key for x in p.series}
        )
        newcomers = sum(
            1 for p in active if p.role is Role.NEWCOMER and s.key in {x.key for x in p.series}
        )
        mix.append((s.label, citizens, newcomers))
    return Overview(
        round=round,
        total=len(people),
        by_role=_sorted(Counter(p.role.value for p in active)),
        by_status=[
            (status.value, sum(1 for p in people if p.status is status))
            for status in RegistrationStatus
        ],
        by_series=[(labels[key], series.get(key, 0)) for key in labels],
        by_language=_sorted(languages),
        by_district=_sorted(Counter(p.district or "–" for p in active)),
        by_origin=_sorted(Counter(p.origin or "–" for p in active if p.role is Role.NEWCOMER)),
        per_day=_per_day(people, zone),
        mix_per_series=mix,
        people=[p for p in people if _matches(p, filters)],
        filters={k: v for k, v in filters.items() if k in FILTERS},
    )


@dataclass(frozen=True)
class Detail:
    round: Round
    person: Participant
    group: Group | None
    waitlist_reason: str | None
    history: list[AuditEntry]


def detail(session: Session, slug: str, participant_id: int) -> Detail:
    round = rounds.get_round(session, slug)
    person = registrations.get_participant(session, round, participant_id)
    run = published_run(session, round)
    group = None
    reason = None
    if run is not None:
        group = session.scalar(
            select(Group)
            .join(GroupMember, GroupMember.group_id == Group.id)
            .where(GroupMember.run_id == run.id, GroupMember.participant_id == person.id)
            .options(selectinload(Group.series))
        )
        reason = session.scalar(
            select(WaitlistEntry.reason).where(
                WaitlistEntry.run_id == run.id, WaitlistEntry.participant_id == person.id
            )
        )
    history = list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.subject == f"participant:{person.id}")
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        )
    )
    return Detail(round, person, group, reason, history)


class RegistrationCorrection(RegistrationInput):
    """An organiser's correction of a registration: the person consented when registering."""

    consent: bool = True


def update(
    session: Session, slug: str, participant_id: int, data: RegistrationInput, actor: str
) -> Participant:
    """An organiser corrects a registration; the checks are those of every other way in."""
    round = rounds.get_round(session, slug)
    person = registrations.get_participant(session, round, participant_id)
    registrations.update(session, round, person, data, actor)
    return person


def drop_out(
    session: Session,
    slug: str,
    participant_id: int,
    reason: str,
    settings: Settings,
    actor: str,
    now: datetime | None = None,
    *,
    category: str | None,
) -> int:
    """Mark someone as dropped out; their calendar is cancelled. Returns the mails queued.

    ``category`` is the form's choice from the fixed list (required); ``reason`` the
    organisers' own note."""
    round = rounds.get_round(session, slug)
    person = registrations.get_participant(session, round, participant_id)
    text = " ".join(reason.split())
    problems = []
    if not text:
        problems.append(FieldError("reason", N_("please give a reason")))
    elif len(text) > 500:
        problems.append(FieldError("reason", N_("at most 500 characters")))
    try:
        chosen = registrations.parse_category(category)
    except InvalidInput as wrong:
        problems += wrong.errors
    if problems:
        raise InvalidInput(problems)
    if person.status is RegistrationStatus.WITHDRAWN:
        raise Conflict(N_("this person has dropped out already"))
    moment = now or datetime.now(UTC)
    registrations.withdraw(
        session, round, person, text, actor, category=chosen, action=DROP_OUT, now=moment
    )
    if published_run(session, round) is None:
        return 0
    return len(notify.resync_round(session, round, settings=settings, now=moment))


DROP_OUT = "registration.drop_out"
DROP_OUT_UNDONE = "registration.drop_out_undone"
NOT_DROPPED_OUT = N_("this person is not marked as dropped out")
WITHDREW_THEMSELVES = N_(
    "this person withdrew themselves; only they can take it back, from their personal page"
)


def undo_drop_out(
    session: Session,
    slug: str,
    participant_id: int,
    settings: Settings,
    actor: str,
    now: datetime | None = None,
) -> int:
    """Take back a dropout an organiser recorded (a slip of the hand, or the person comes
    after all); returns the mails queued.

    The person gets back the status they had. Whoever is still a member of the published
    grouping is placed again and gets their evenings anew; whoever lost their place to a
    rematch since is registered (confirmed) and may be placed by the next one. A withdrawal
    of the person's own is theirs to take back.
    """
    round = rounds.get_round(session, slug)
    person = registrations.get_participant(session, round, participant_id)
    if person.status is not RegistrationStatus.WITHDRAWN:
        raise Conflict(NOT_DROPPED_OUT)
    withdrawal = last_withdrawal(session, person)
    if withdrawal is None or withdrawal.by_themselves:
        raise Conflict(WITHDREW_THEMSELVES)
    run = published_run(session, round)
    restored = withdrawal.previous_status
    if restored is RegistrationStatus.PLACED:
        member = run is not None and session.scalar(
            select(GroupMember.id).where(
                GroupMember.run_id == run.id, GroupMember.participant_id == person.id
            )
        )
        if not member:
            restored = RegistrationStatus.CONFIRMED
    elif restored is RegistrationStatus.WAITLISTED:
        waiting = run is not None and session.scalar(
            select(WaitlistEntry.id).where(
                WaitlistEntry.run_id == run.id, WaitlistEntry.participant_id == person.id
            )
        )
        if not waiting:
            restored = RegistrationStatus.CONFIRMED
    person.status = restored
    person.withdrawn_at = None
    person.withdrawn_reason = None
    person.dropout_category = None
    session.flush()
    audit.record(
        session,
        actor,
        DROP_OUT_UNDONE,
        round=round,
        subject=f"participant:{person.id}",
        status=restored.value,
    )
    if run is None:
        return 0
    return len(notify.resync_round(session, round, settings=settings, now=now))


@dataclass(frozen=True)
class Dropout:
    """Someone who has left the round, as the dropouts page lists them."""

    person: Participant
    # They withdrew on their own page (only they can take it back); else an organiser
    # recorded it and may undo it.
    by_themselves: bool
    # Their group in the published grouping, if they had one there.
    group: Group | None


@dataclass(frozen=True)
class Dropouts:
    dropped: list[Dropout]
    # Who can still be marked as dropped out, with their published group, if any.
    active: list[tuple[Participant, Group | None]]


_ACTIVE = (
    RegistrationStatus.CONFIRMED,
    RegistrationStatus.PLACED,
    RegistrationStatus.WAITLISTED,
)


def dropouts(session: Session, round: Round) -> Dropouts:
    """Who dropped out of the round, and who else could."""
    run = published_run(session, round)
    groups: dict[int, Group] = {}
    if run is not None:
        for published in run_groups(session, run):
            for member in published.members:
                groups[member.participant_id] = published
    people = session.scalars(
        select(Participant)
        .where(
            Participant.round_id == round.id,
            Participant.status.in_((*_ACTIVE, RegistrationStatus.WITHDRAWN)),
        )
        .order_by(Participant.last_name, Participant.first_name, Participant.id)
    )
    dropped: list[Dropout] = []
    active: list[tuple[Participant, Group | None]] = []
    for person in people:
        group = groups.get(person.id)
        if person.status is RegistrationStatus.WITHDRAWN:
            withdrawal = last_withdrawal(session, person)
            by_themselves = withdrawal is not None and withdrawal.by_themselves
            dropped.append(Dropout(person, by_themselves, group))
        else:
            active.append((person, group))
    dropped.sort(
        key=lambda d: d.person.withdrawn_at or datetime.min.replace(tzinfo=UTC), reverse=True
    )
    return Dropouts(dropped, active)
