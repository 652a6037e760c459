"""Attendance, survey answers and a lottery for a round, with the counts the report should
show for them (entered as the store keeps them)."""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.lottery.conftest import EXTRACT, NOW, SECRET
from vekl.attendance.queries import active_members, published_groups
from vekl.lottery import service as lottery
from vekl.lottery.schemas import PlanInput
from vekl.store.models import (
    Attendance,
    InvitationCode,
    LotteryLetter,
    Round,
    SurveyAnswer,
)


def came(participant_id: int, number: int) -> bool:
    """One in five never came; of the others, odd ids came to every evening, even ones to
    one evening in three (so two who came do not always share an evening)."""
    if participant_id % 5 == 0:
        return False
    return participant_id % 2 == 1 or (participant_id + number) % 3 == 0


@dataclass
class Marked:
    """Present per evening (``mon-1``) and role; members and completed by role; and who
    came to which evening."""

    present: dict[str, Counter[str]] = field(default_factory=dict)
    members: Counter[str] = field(default_factory=Counter)
    completed: Counter[str] = field(default_factory=Counter)
    evenings: dict[int, set[int]] = field(default_factory=dict)


def mark_attendance(db: Session, round: Round) -> Marked:
    """Marks every member of the published groups on every evening of their series."""
    found = Marked()
    for group in published_groups(db, round):
        for number, evening in enumerate(group.series.evenings, start=1):
            line = found.present.setdefault(f"{group.series.key}-{number}", Counter())
            for person in active_members(group):
                present = came(person.id, number)
                db.add(
                    Attendance(
                        participant_id=person.id,
                        evening_id=evening.id,
                        present=present,
                        marked_by="test",
                    )
                )
                if present:
                    line[person.role.value] += 1
                    found.evenings.setdefault(person.id, set()).add(evening.id)
        for person in active_members(group):
            found.members[person.role.value] += 1
            numbers = range(1, len(group.series.evenings) + 1)
            if all(came(person.id, n) for n in numbers):
                found.completed[person.role.value] += 1
    db.flush()
    return found


# (respondent, satisfaction, met someone new, would recommend)
ANSWERS = [
    *[("citizen", 5, True, True)] * 7,
    *[("citizen", 4, False, True)] * 2,
    *[("newcomer", 5, True, True)] * 6,
    ("newcomer", 3, None, False),
    *[("moderator", 4, None, None)] * 3,
]


def answer_survey(db: Session, round: Round) -> None:
    for respondent, satisfaction, met, recommend in ANSWERS:
        db.add(
            SurveyAnswer(
                id=secrets.token_hex(16),
                round_id=round.id,
                respondent=respondent,
                answered_on=date(2027, 6, 1),
                satisfaction=satisfaction,
                met_someone_new=met,
                would_recommend=recommend,
                comment="schön",
            )
        )
    db.flush()


def run_lottery(db: Session, round: Round, answered: int = 12) -> None:
    """Imports the example's extract, plans 20 places by gender, draws one wave and marks
    ``answered`` of the women's letters' codes used."""
    lottery.import_extract(db, round, EXTRACT.read_bytes(), actor="test", now=NOW, extract_days=60)
    lottery.plan(
        db,
        round,
        PlanInput.model_validate({"places": 20, "dimensions": ["gender"]}),
        secret=SECRET,
        actor="test",
        now=NOW,
        exclusion_years=0,
    )
    lottery.draw(db, round, "1 2 3", secret=SECRET, actor="test", now=NOW, exclusion_years=0)
    codes = db.scalars(
        select(InvitationCode)
        .join(LotteryLetter, LotteryLetter.code_hash == InvitationCode.code_hash)
        .where(InvitationCode.round_id == round.id, LotteryLetter.stratum == "w")
        .order_by(InvitationCode.id)
        .limit(answered)
    ).all()
    for code in codes:
        code.used_at = NOW
    db.flush()
