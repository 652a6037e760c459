"""Queries of the feedback domain."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vekl.runs.placements import published_run, run_groups
from vekl.settings import Settings
from vekl.store.models import Group, Round, SurveyAnswer, SurveyInvitation


def last_evening_end(group: Group) -> datetime | None:
    """When the group's last evening ends; ``None`` for a series without evenings."""
    ends = [evening.ends_at for evening in group.series.evenings]
    return max(ends) if ends else None


def last_evening_start(group: Group) -> datetime | None:
    starts = [evening.starts_at for evening in group.series.evenings]
    return max(starts) if starts else None


def closes_at(group: Group, settings: Settings) -> datetime | None:
    """When the survey of ``group``'s members closes: days after its last evening."""
    end = last_evening_end(group)
    if end is None:
        return None
    try:
        return end + timedelta(days=settings.survey_close_days)
    except OverflowError:  # an evening at the end of the calendar: the survey never closes
        return end


def window(group: Group, settings: Settings) -> tuple[datetime | None, datetime | None]:
    """From the group's last evening until the survey closes: when contacts can be chosen."""
    return last_evening_start(group), closes_at(group, settings)


def finished_groups(session: Session, round: Round, now: datetime) -> list[Group]:
    """The published groups whose last evening is over."""
    run = published_run(session, round)
    if run is None:
        return []
    out = []
    for group in run_groups(session, run):
        end = last_evening_end(group)
        if end is not None and end <= now:
            out.append(group)
    return out


def invitations(session: Session, round: Round) -> list[SurveyInvitation]:
    return list(
        session.scalars(
            select(SurveyInvitation)
            .where(SurveyInvitation.round_id == round.id)
            .order_by(SurveyInvitation.id)
        )
    )


def invitation_by_hash(session: Session, digest: str) -> SurveyInvitation | None:
    return session.scalar(select(SurveyInvitation).where(SurveyInvitation.token_hash == digest))


def answers(session: Session, round: Round) -> list[SurveyAnswer]:
    # Ordered by content, never by when they came: the order must not tell anything.
    return list(
        session.scalars(
            select(SurveyAnswer)
            .where(SurveyAnswer.round_id == round.id)
            .order_by(SurveyAnswer.respondent, SurveyAnswer.id)
        )
    )


def answer_count(session: Session, round: Round) -> int:
    return int(
        session.scalar(
            select(func.count()).select_from(SurveyAnswer).where(SurveyAnswer.round_id == round.id)
        )
        or 0
    )
