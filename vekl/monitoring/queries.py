"""What the report reads from the store: one row per registration, without names."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vekl.runs.placements import published_run
from vekl.store.models import (
    Attendance,
    DropoutCategory,
    Evening,
    Group,
    GroupMember,
    Participant,
    PopulationShare,
    RegistrationStatus,
    Round,
    RoundStatistics,
    Series,
    WaitlistEntry,
)

# The reason the participant's own withdrawal stores (vekl.registration.self_service).
SELF_WITHDRAWAL = "withdrawn by the participant"


@dataclass(frozen=True)
class Registration:
    """What the report counts of one registration: categories, never who."""

    id: int
    role: str
    source: str
    status: str
    gender: str | None
    age_band: str | None
    district: str | None
    origin: str | None
    languages: tuple[str, ...]
    withdrawn_by_self: bool
    waitlist_reason: str | None
    # Why they dropped out (a ``DropoutCategory`` value; "not_given" where none is stored).
    dropout_category: str = DropoutCategory.NOT_GIVEN.value


def registrations(session: Session, round: Round) -> list[Registration]:
    """Every registration of the round except unconfirmed ones (they never took part)."""
    run = published_run(session, round)
    reasons: dict[int, str] = {}
    if run is not None:
        reasons = {
            pid: reason
            for pid, reason in session.execute(
                select(WaitlistEntry.participant_id, WaitlistEntry.reason).where(
                    WaitlistEntry.run_id == run.id
                )
            )
        }
    rows = session.execute(
        select(
            Participant.id,
            Participant.role,
            Participant.source,
            Participant.status,
            Participant.gender,
            Participant.age_band,
            Participant.district,
            Participant.origin,
            Participant.languages,
            Participant.withdrawn_reason,
            Participant.dropout_category,
        )
        .where(
            Participant.round_id == round.id,
            Participant.status != RegistrationStatus.PENDING,
        )
        .order_by(Participant.id)
    )
    return [
        Registration(
            id=pid,
            role=role.value,
            source=source or "web",
            status=status.value,
            gender=gender,
            age_band=age_band,
            district=district,
            origin=origin,
            languages=tuple(sorted(set(languages or []))),
            withdrawn_by_self=reason == SELF_WITHDRAWAL,
            waitlist_reason=reasons.get(pid),
            dropout_category=(category or DropoutCategory.NOT_GIVEN).value,
        )
        for (
            pid,
            role,
            source,
            status,
            gender,
            age_band,
            district,
            origin,
            languages,
            reason,
            category,
        ) in rows
    ]


def seated_groups(session: Session, round: Round) -> list[list[tuple[int, str]]]:
    """The published groups: per group, its members' (registration id, role), without
    those who dropped out since."""
    run = published_run(session, round)
    if run is None:
        return []
    members: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for group_id, pid, role in session.execute(
        select(Group.id, Participant.id, Participant.role)
        .join(GroupMember, GroupMember.group_id == Group.id)
        .join(Participant, Participant.id == GroupMember.participant_id)
        .where(Group.run_id == run.id, Participant.status != RegistrationStatus.WITHDRAWN)
        .order_by(Group.id, Participant.id)
    ):
        members[group_id].append((pid, role.value))
    return [members[k] for k in sorted(members)]


def present_evenings(session: Session, round: Round) -> dict[int, set[int]]:
    """Who was marked present on which of the round's evenings (registration id -> evening
    ids); empty while nobody was."""
    present: dict[int, set[int]] = defaultdict(set)
    for pid, evening_id in session.execute(
        select(Attendance.participant_id, Attendance.evening_id)
        .join(Evening, Evening.id == Attendance.evening_id)
        .join(Series, Series.id == Evening.series_id)
        .where(Series.round_id == round.id, Attendance.present.is_(True))
    ):
        present[pid].add(evening_id)
    return dict(present)


def evening_span(session: Session, round: Round) -> tuple[datetime | None, datetime | None]:
    first, last = session.execute(
        select(func.min(Evening.starts_at), func.max(Evening.ends_at))
        .join(Series)
        .where(Series.round_id == round.id)
    ).one()
    return first, last


def population_shares(session: Session, round: Round) -> dict[str, dict[str, float]]:
    shares: dict[str, dict[str, float]] = defaultdict(dict)
    for row in session.scalars(
        select(PopulationShare)
        .where(PopulationShare.round_id == round.id)
        .order_by(PopulationShare.dimension, PopulationShare.category)
    ):
        shares[row.dimension][row.category] = row.share
    return dict(shares)


def replace_population_shares(
    session: Session, round: Round, shares: dict[str, dict[str, float]]
) -> None:
    for row in session.scalars(select(PopulationShare).where(PopulationShare.round_id == round.id)):
        session.delete(row)
    session.flush()
    for dimension, categories in sorted(shares.items()):
        for category, share in sorted(categories.items()):
            session.add(
                PopulationShare(
                    round_id=round.id, dimension=dimension, category=category, share=share
                )
            )
    session.flush()


def kept_report(session: Session, round: Round) -> dict[str, Any] | None:
    """The report data kept at the purge, if any (``round_statistics.data["report"]``)."""
    row = session.get(RoundStatistics, round.id)
    if row is None:
        return None
    kept = row.data.get("report")
    return kept if isinstance(kept, dict) else None


def rounds_in_order(session: Session) -> list[Round]:
    return list(session.scalars(select(Round).order_by(Round.id)))
