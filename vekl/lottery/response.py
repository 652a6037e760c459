"""The response to the letters, per stratum, and the rates kept for the next rounds.

A letter's code knows its stratum; when a citizen registers with it, its row in
``invitation_codes`` is marked used. :func:`response` counts letters (by wave) and those
registrations per stratum against the plan's target (the registrations the plan expects),
and says for each stratum that falls short how many more letters a second wave needs at the
stratum's measured rate (its planned rate while nobody has answered yet).

:func:`keep_rates` stores the measured counts as anonymous statistics (``lottery_rates``)
when registration closes or finishes and at the purge; :func:`offered_rates` pools them over
the earlier rounds for a new plan (``docs/adr/0022-lottery-rates-kept.md``). Counts only,
never a name.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from vekl.errors import NotFound
from vekl.lottery import errors, queries
from vekl.lottery.schemas import Plan
from vekl.store.models import (
    InvitationCode,
    Lottery,
    LotteryLetter,
    LotteryRate,
    Participant,
    Role,
    Round,
)

# A stratum is short when its registrations fall below the target by more than this (the
# target is a fraction; rounding noise is no reason for a second wave).
TOLERANCE = 1e-9


@dataclass(frozen=True)
class StratumResponse:
    """One stratum: letters by wave, registrations with their codes, the plan's target."""

    stratum: str
    letters_by_wave: dict[int, int]
    registered: int
    planned_rate: float | None
    """The response rate the plan expected; ``None`` for a stratum the plan does not know."""
    target: float
    """Registrations the plan expects of this stratum: its planned letters times its rate."""

    @property
    def letters(self) -> int:
        return sum(self.letters_by_wave.values())

    @property
    def rate(self) -> float | None:
        """The measured response rate; ``None`` while no letter went out."""
        return self.registered / self.letters if self.letters else None

    @property
    def rate_for_more(self) -> float | None:
        """The rate more letters are expected to answer at: measured, else planned."""
        if self.registered > 0 and self.rate is not None:
            return self.rate
        return self.planned_rate

    @property
    def missing(self) -> float:
        return max(0.0, self.target - self.registered)

    @property
    def short(self) -> bool:
        return self.missing > TOLERANCE

    @property
    def more_letters(self) -> int:
        """Letters a second wave needs to reach the target at :attr:`rate_for_more`."""
        rate = self.rate_for_more
        if not self.short or not rate:
            return 0
        return math.ceil(self.missing / rate - TOLERANCE)


@dataclass
class Response:
    round: str
    waves: list[int]
    strata: list[StratumResponse] = field(default_factory=list)
    extract_deleted: bool = False

    @property
    def letters(self) -> int:
        return sum(s.letters for s in self.strata)

    @property
    def registered(self) -> int:
        return sum(s.registered for s in self.strata)

    @property
    def target(self) -> float:
        return sum(s.target for s in self.strata)

    @property
    def rate(self) -> float | None:
        return self.registered / self.letters if self.letters else None

    @property
    def short(self) -> list[StratumResponse]:
        return [s for s in self.strata if s.short and s.letters]

    def second_wave(self) -> dict[str, int]:
        """The suggested letters per short stratum (the second wave's form is filled with it)."""
        return {s.stratum: s.more_letters for s in self.short if s.more_letters > 0}


def _lottery(session: Session, round: Round) -> Lottery:
    found = queries.lottery_of(session, round)
    if found is None or found.extract_sha256 is None:
        raise NotFound(errors.NO_EXTRACT, round=round.slug)
    return found


def _counts(session: Session, lottery: Lottery) -> tuple[dict[str, dict[int, int]], dict[str, int]]:
    by_wave: dict[str, dict[int, int]] = defaultdict(dict)
    for (stratum, number), count in queries.letters_by_stratum(session, lottery).items():
        by_wave[stratum][number] = count
    return by_wave, queries.registered_by_stratum(session, lottery)


def response(session: Session, round: Round) -> Response:
    """Letters, registrations and response per stratum, against the plan's targets."""
    lottery = _lottery(session, round)
    by_wave, registered = _counts(session, lottery)
    if round.purged_at is not None:
        # The codes went with the purge; the counts kept just before it are what remains.
        registered = {key: answers for key, (_, answers) in kept_rates(session, round).items()}
    planned = Plan.from_dict(lottery.plan) if lottery.plan else None
    plans = {s.stratum: s for s in planned.strata} if planned else {}
    keys = sorted(
        {key for key, row in plans.items() if row.letters > 0} | set(by_wave) | set(registered)
    )
    strata = [
        StratumResponse(
            stratum=key,
            letters_by_wave=dict(sorted(by_wave.get(key, {}).items())),
            registered=registered.get(key, 0),
            planned_rate=plans[key].rate if key in plans else None,
            target=plans[key].expected if key in plans else 0.0,
        )
        for key in keys
    ]
    return Response(
        round=round.slug,
        waves=[w.number for w in lottery.waves],
        strata=strata,
        extract_deleted=lottery.extract_deleted_at is not None,
    )


# -- rates kept for the next rounds ---------------------------------------------------------


def keep_rates(session: Session, round: Round, *, now: datetime) -> int:
    """Store (or renew) the round's measured letters and registrations per stratum.

    Called when registration closes or the round finishes, and at the purge, before the
    codes go. A round without letters keeps nothing. Returns the strata kept.
    """
    lottery = queries.lottery_of(session, round)
    if lottery is None:
        return 0
    by_wave, registered = _counts(session, lottery)
    if not by_wave:
        return 0
    session.execute(
        delete(LotteryRate).where(LotteryRate.round_id == round.id),
        execution_options={"synchronize_session": False},
    )
    session.execute(
        insert(LotteryRate),
        [
            {
                "round_id": round.id,
                "stratum": key,
                "letters": sum(waves.values()),
                "registrations": registered.get(key, 0),
                "measured_at": now,
            }
            for key, waves in sorted(by_wave.items())
        ],
    )
    session.flush()
    return len(by_wave)


@dataclass(frozen=True)
class OfferedRate:
    stratum: str
    letters: int
    registrations: int
    rounds: int

    @property
    def rate(self) -> float:
        return self.registrations / self.letters


def offered_rates(session: Session, round: Round | None = None) -> dict[str, OfferedRate]:
    """The rates kept from earlier rounds, pooled per stratum (all letters, all answers).

    A stratum nobody answered in is not offered (a rate of 0 plans no letters); it keeps
    the plan's default rate, which the organisers can lower by hand.
    """
    query = select(
        LotteryRate.stratum,
        func.sum(LotteryRate.letters),
        func.sum(LotteryRate.registrations),
        func.count(LotteryRate.round_id),
    ).group_by(LotteryRate.stratum)
    if round is not None:
        query = query.where(LotteryRate.round_id != round.id)
    offered: dict[str, OfferedRate] = {}
    for stratum, letters, registrations, rounds in session.execute(query):
        if letters and registrations:
            offered[stratum] = OfferedRate(stratum, int(letters), int(registrations), int(rounds))
    return offered


def kept_rates(session: Session, round: Round) -> dict[str, tuple[int, int]]:
    """What was kept of ``round``: (letters, registrations) per stratum."""
    rows = session.execute(
        select(LotteryRate.stratum, LotteryRate.letters, LotteryRate.registrations).where(
            LotteryRate.round_id == round.id
        )
    )
    return {stratum: (letters, registrations) for stratum, letters, registrations in rows}


def answer_letters(session: Session, round: Round, citizens: int, now: datetime) -> int:
    """Let the round's first ``citizens`` citizen registrations use drawn letters' codes.

    For the example round only (``vekl demo``): its registrations come from a file, and this
    lets some of them stand for citizens who answered a letter, the codes spread over the
    letters. Returns the codes used.
    """
    lottery = _lottery(session, round)
    people = list(
        session.scalars(
            select(Participant.id)
            .where(Participant.round_id == round.id, Participant.role == Role.CITIZEN)
            .where(
                ~Participant.id.in_(
                    select(InvitationCode.participant_id).where(
                        InvitationCode.participant_id.is_not(None)
                    )
                )
            )
            .order_by(Participant.id)
            .limit(citizens)
        )
    )
    free = list(
        session.scalars(
            select(InvitationCode)
            .join(LotteryLetter, LotteryLetter.code_hash == InvitationCode.code_hash)
            .where(LotteryLetter.lottery_id == lottery.id, InvitationCode.used_at.is_(None))
            .order_by(LotteryLetter.wave_id, LotteryLetter.position)
        )
    )
    step = max(1, len(free) // max(1, len(people)))
    used = 0
    for code, participant_id in zip(free[::step], people, strict=False):
        code.used_at = now
        code.participant_id = participant_id
        used += 1
    session.flush()
    return used
