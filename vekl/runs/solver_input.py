"""Builds the solver's problem (docs/matching-problem.md) from the store.

Ids in the problem are opaque (``p12``, ``m3``, series keys) so that the solution can
be mapped back without any name or email leaving the store.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from vekl.registration.service import MATCHABLE
from vekl.runs.placements import run_groups
from vekl.store.models import MatchingRun, Participant, Round


def participant_key(participant_id: int) -> str:
    return f"p{participant_id}"


def moderator_key(moderator_id: int) -> str:
    return f"m{moderator_id}"


def parse_key(key: str, prefix: str) -> int:
    if not key.startswith(prefix) or not key[len(prefix) :].isdigit():
        raise ValueError(f"not a {prefix}-id: {key!r}")
    return int(key[len(prefix) :])


def rules(round: Round) -> dict[str, Any]:
    return {
        "min_size": round.min_size,
        "max_size": round.max_size,
        "newcomer_share": [round.newcomer_share_min, round.newcomer_share_max],
        "max_same_origin": round.max_same_origin,
        "moderators_per_group": round.moderators_per_group,
        **({"working_languages": list(round.working_languages)} if round.working_languages else {}),
    }


def matchable_participants(session: Session, round: Round) -> list[Participant]:
    return list(
        session.scalars(
            select(Participant)
            .where(Participant.round_id == round.id, Participant.status.in_(MATCHABLE))
            .options(selectinload(Participant.series))
            .order_by(Participant.id)
        )
    )


def _previous(session: Session, run: MatchingRun, now: datetime) -> dict[str, Any]:
    out = []
    for group in run_groups(session, run):
        first = min((s.starts_at for s in group.series.evenings), default=None)
        out.append(
            {
                "id": group.key,
                "series": group.series.key,
                "language": group.language,
                "moderators": [moderator_key(m.id) for m in group.moderators],
                "members": [participant_key(m.participant_id) for m in group.members],
                "locked": first is not None and first <= now,
            }
        )
    return {"groups": out}


def build_problem(
    session: Session,
    round: Round,
    *,
    previous: MatchingRun | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The round as the solver sees it: confirmed people, moderators, series, rules."""
    now = now or datetime.now(UTC)
    people = matchable_participants(session, round)
    by_email = {p.email: p for p in people}
    participants = []
    for person in people:
        companion = by_email.get(person.companion_email or "")
        participants.append(
            {
                "id": participant_key(person.id),
                "role": person.role.value,
                "languages": list(person.languages),
                "series": [s.key for s in person.series],
                "gender": person.gender,
                "age_band": person.age_band,
                "district": person.district,
                "origin": person.origin,
                "needs": [n for n in person.needs if n == "step_free"],
                "together": [participant_key(companion.id)]
                if companion is not None and companion.id != person.id
                else [],
                "apart": [],
                "priority": person.priority,
            }
        )
    problem: dict[str, Any] = {
        "rules": rules(round),
        "series": [
            {"id": s.key, "max_groups": s.rooms, "step_free": s.step_free} for s in round.series
        ],
        "moderators": [
            {
                "id": moderator_key(m.id),
                "languages": list(m.languages),
                "series": [s.key for s in m.series],
            }
            for m in round.moderators
        ],
        "participants": participants,
    }
    if previous is not None:
        problem["previous"] = _previous(session, previous, now)
    return problem
