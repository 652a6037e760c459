"""What the lottery reads from the store."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vekl.store.models import (
    InvitationCode,
    Lottery,
    LotteryExclusion,
    LotteryLetter,
    LotteryPerson,
    LotteryWave,
    Round,
)


class PersonKeys(NamedTuple):
    id: int
    person_key: str
    household_key: str
    birth_date: date
    gender: str
    district: str | None


def lottery_of(session: Session, round: Round) -> Lottery | None:
    return session.scalar(select(Lottery).where(Lottery.round_id == round.id))


def people(session: Session, lottery: Lottery) -> list[PersonKeys]:
    """The extract's people as the draw needs them: keys, birth date, gender, district."""
    rows = session.execute(
        select(
            LotteryPerson.id,
            LotteryPerson.person_key,
            LotteryPerson.household_key,
            LotteryPerson.birth_date,
            LotteryPerson.gender,
            LotteryPerson.district,
        ).where(LotteryPerson.lottery_id == lottery.id)
    )
    return [PersonKeys(*row) for row in rows]


def drawn_people_ids(session: Session, lottery: Lottery) -> set[int]:
    return {
        person_id
        for person_id in session.scalars(
            select(LotteryLetter.person_id).where(
                LotteryLetter.lottery_id == lottery.id, LotteryLetter.person_id.is_not(None)
            )
        )
        if person_id is not None
    }


def recent_exclusions(session: Session, since: datetime) -> set[str]:
    """The keyed hashes of everyone who got a letter since ``since``."""
    return set(
        session.scalars(select(LotteryExclusion.key_hash).where(LotteryExclusion.drawn_at >= since))
    )


def taken_codes(session: Session, hashes: Iterable[str]) -> set[str]:
    wanted = list(hashes)
    taken: set[str] = set()
    for start in range(0, len(wanted), 1000):
        chunk = wanted[start : start + 1000]
        taken.update(
            session.scalars(
                select(InvitationCode.code_hash).where(InvitationCode.code_hash.in_(chunk))
            )
        )
    return taken


def letters_by_stratum(session: Session, lottery: Lottery) -> dict[tuple[str, int], int]:
    """Letters per (stratum, wave number)."""
    rows = session.execute(
        select(LotteryLetter.stratum, LotteryWave.number, func.count())
        .join(LotteryWave, LotteryWave.id == LotteryLetter.wave_id)
        .where(LotteryLetter.lottery_id == lottery.id)
        .group_by(LotteryLetter.stratum, LotteryWave.number)
    )
    return {(stratum, number): count for stratum, number, count in rows}


def registered_by_stratum(session: Session, lottery: Lottery) -> dict[str, int]:
    """Registrations made with a letter's code, per stratum."""
    rows = session.execute(
        select(LotteryLetter.stratum, func.count())
        .join(InvitationCode, InvitationCode.code_hash == LotteryLetter.code_hash)
        .where(LotteryLetter.lottery_id == lottery.id, InvitationCode.used_at.is_not(None))
        .group_by(LotteryLetter.stratum)
    )
    return {stratum: count for stratum, count in rows}


def drawn_people(session: Session, lottery: Lottery) -> list[tuple[LotteryLetter, LotteryPerson]]:
    """The letters with their recipients, in the order drawn (until the extract is deleted)."""
    rows = session.execute(
        select(LotteryLetter, LotteryPerson)
        .join(LotteryPerson, LotteryPerson.id == LotteryLetter.person_id)
        .join(LotteryWave, LotteryWave.id == LotteryLetter.wave_id)
        .where(LotteryLetter.lottery_id == lottery.id)
        .order_by(LotteryWave.number, LotteryLetter.position)
    )
    return [(letter, person) for letter, person in rows]


def lotteries_due(session: Session, now: datetime) -> list[tuple[Lottery, Round]]:
    """Lotteries whose extract is past its deadline and still stored."""
    rows = session.execute(
        select(Lottery, Round)
        .join(Round, Round.id == Lottery.round_id)
        .where(
            Lottery.extract_deleted_at.is_(None),
            Lottery.extract_sha256.is_not(None),
            Lottery.extract_delete_by <= now,
        )
        .order_by(Lottery.id)
    )
    return [(lottery, round) for lottery, round in rows]


def wave_letters(session: Session, wave: LotteryWave) -> list[tuple[LotteryLetter, LotteryPerson]]:
    """A wave's letters with their recipients, in the order drawn (until the extract goes)."""
    rows = session.execute(
        select(LotteryLetter, LotteryPerson)
        .join(LotteryPerson, LotteryPerson.id == LotteryLetter.person_id)
        .where(LotteryLetter.wave_id == wave.id)
        .order_by(LotteryLetter.position)
    )
    return [(letter, person) for letter, person in rows]
