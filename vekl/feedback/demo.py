"""Synthetic feedback for the example round, so that ``vekl demo`` ends with figures.

The demo's evenings lie ahead, so it acts as if it were the day after each group's last
evening: the invitations go out, about two in three people answer (drawn from a fixed seed,
so each run of the demo gives the same figures), and a few pairs choose each other.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from vekl.access import tokens
from vekl.feedback import contacts, queries
from vekl.feedback import service as feedback
from vekl.feedback.schemas import Sent
from vekl.retention.service import last_evening
from vekl.settings import Settings
from vekl.store.models import Round, SurveyInvitation

SEED = "vekl demo feedback"


def run(session: Session, round: Round, settings: Settings) -> tuple[Sent, int, int]:
    """Invitations, answers and mutual choices; returns what was sent, answered, introduced."""
    draw = random.Random(SEED)
    groups = queries.finished_groups(session, round, _after_all(session, round))
    sent = Sent()
    answered = introduced = 0
    for group in groups:
        end = queries.last_evening_end(group)
        assert end is not None
        day_after = end + timedelta(days=1)
        got = feedback.send_invitations(session, round, settings, day_after)
        sent = Sent(sent.participants + got.participants, sent.moderators + got.moderators)
        holders = {m.participant_id for m in group.members}
        leaders = {m.id for m in group.moderators}
        for invitation in session.scalars(
            select(SurveyInvitation)
            .where(SurveyInvitation.round_id == round.id, SurveyInvitation.answered.is_(False))
            .order_by(SurveyInvitation.id)
        ).all():
            if invitation.participant_id not in holders and invitation.moderator_id not in leaders:
                continue
            if draw.random() > 0.65:
                continue
            feedback.answer_invitation(
                session, invitation, _answers(draw, invitation), settings, day_after
            )
            answered += 1
        members = [m.participant for m in group.members]
        for one, other in zip(members[::2], members[1::2], strict=False):
            if draw.random() > 0.4:
                continue
            for chooser, chosen in ((one, other), (other, one)):
                token = tokens.link_token(chooser, settings.secret_key)
                introduced += contacts.choose(
                    session, settings, token, [str(chosen.id)], subscribe=False, now=day_after
                )
    return sent, answered, introduced


def _after_all(session: Session, round: Round) -> datetime:
    last = last_evening(session, round)
    assert last is not None
    return last + timedelta(hours=1)


def _answers(draw: random.Random, invitation: SurveyInvitation) -> dict[str, str]:
    def yes(share: float) -> str:
        return "yes" if draw.random() < share else "no"

    satisfaction = str(draw.choices([2, 3, 4, 5], weights=[1, 3, 6, 5])[0])
    if invitation.moderator_id is not None:
        return {
            "satisfaction": satisfaction,
            "group_talked_freely": yes(0.8),
            "moderate_again": yes(0.7),
        }
    return {
        "satisfaction": satisfaction,
        "met_someone_new": yes(0.85),
        "would_recommend": yes(0.8),
        "stay_in_touch": yes(0.5),
    }
