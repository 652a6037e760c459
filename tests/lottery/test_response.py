"""The response per stratum and the rates kept for later rounds, on SQLite and PostgreSQL."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.lottery.conftest import EXTRACT, NOW, SECRET, MakeRound
from vekl.errors import NotFound
from vekl.lottery import response
from vekl.lottery import service as lottery
from vekl.lottery.schemas import PlanInput
from vekl.retention import service as retention
from vekl.rounds import service as rounds
from vekl.store.models import InvitationCode, LotteryLetter, LotteryRate, Round, RoundStatus

YEARS = 0


def _ready(db: Session, round: Round) -> None:
    lottery.import_extract(db, round, EXTRACT.read_bytes(), actor="test", now=NOW, extract_days=60)
    lottery.plan(
        db,
        round,
        PlanInput.model_validate({"places": 20, "dimensions": ["gender"]}),
        secret=SECRET,
        actor="test",
        now=NOW,
        exclusion_years=YEARS,
    )
    lottery.draw(db, round, "1 2 3", secret=SECRET, actor="test", now=NOW, exclusion_years=YEARS)


def _answer(db: Session, round: Round, strata: dict[str, int]) -> None:
    """Mark some letters' codes used, as a registration with them does."""
    for stratum, count in strata.items():
        codes = db.scalars(
            select(InvitationCode)
            .join(LotteryLetter, LotteryLetter.code_hash == InvitationCode.code_hash)
            .where(InvitationCode.round_id == round.id, LotteryLetter.stratum == stratum)
            .order_by(InvitationCode.id)
            .limit(count)
        ).all()
        assert len(codes) == count
        for code in codes:
            code.used_at = NOW
    db.flush()


def test_a_round_without_extract_has_no_response(db: Session, lottery_round: Round) -> None:
    with pytest.raises(NotFound):
        response.response(db, lottery_round)


def test_letters_registrations_rates_and_targets_per_stratum(
    db: Session, lottery_round: Round
) -> None:
    _ready(db, lottery_round)
    before = response.response(db, lottery_round)
    assert {"m", "w"} <= {s.stratum for s in before.strata} <= {"d", "m", "w", "x"}
    assert before.letters == 400 and before.registered == 0 and before.rate == 0
    assert before.target == pytest.approx(20)
    by_key = {s.stratum: s for s in before.strata}
    _answer(db, lottery_round, {"w": by_key["w"].letters // 10, "m": 2})
    after = {s.stratum: s for s in response.response(db, lottery_round).strata}
    women, men = after["w"], after["m"]
    assert women.letters_by_wave == {1: by_key["w"].letters}
    assert women.registered == by_key["w"].letters // 10
    assert women.rate == pytest.approx(women.registered / women.letters)
    assert women.target == pytest.approx(women.letters * 0.05)
    assert not women.short and women.more_letters == 0
    # Men answered at 2 of their letters: more letters at that measured rate.
    assert men.short
    assert men.more_letters == math.ceil((men.target - 2) / (2 / men.letters))


def test_a_stratum_nobody_answered_is_topped_up_at_its_planned_rate(
    db: Session, lottery_round: Round
) -> None:
    _ready(db, lottery_round)
    men = {s.stratum: s for s in response.response(db, lottery_round).strata}["m"]
    assert men.rate_for_more == 0.05
    assert men.more_letters == math.ceil(men.target / 0.05)
    assert response.response(db, lottery_round).second_wave()["m"] == men.more_letters


def test_a_second_wave_counts_by_wave(db: Session, lottery_round: Round) -> None:
    _ready(db, lottery_round)
    lottery.draw(
        db,
        lottery_round,
        "4 5 6",
        secret=SECRET,
        actor="test",
        now=NOW,
        exclusion_years=YEARS,
        more={"m": 15},
    )
    men = {s.stratum: s for s in response.response(db, lottery_round).strata}["m"]
    assert men.letters_by_wave[2] == 15
    assert response.response(db, lottery_round).waves == [1, 2]


def test_rates_are_kept_when_registration_closes_and_survive_the_purge(
    db: Session, lottery_round: Round
) -> None:
    _ready(db, lottery_round)
    _answer(db, lottery_round, {"w": 5, "m": 3})
    rounds.set_status(db, lottery_round, RoundStatus.CLOSED, "test")
    kept = response.kept_rates(db, lottery_round)
    assert kept["w"][1] == 5 and kept["m"][1] == 3
    # One more registration before the purge: the purge measures once more, then codes go.
    _answer(db, lottery_round, {"m": 4})
    due = retention.purge_due_at(db, lottery_round)
    assert due is not None
    retention.purge_round(db, lottery_round, actor="purge", now=due + timedelta(days=1))
    assert db.scalar(select(func.count()).select_from(InvitationCode)) == 0
    kept = response.kept_rates(db, lottery_round)
    assert kept["m"][1] == 4 and kept["w"][1] == 5
    after = {s.stratum: s.registered for s in response.response(db, lottery_round).strata}
    assert after["m"] == 4 and after["w"] == 5  # the response shows what was kept
    assert sum(letters for letters, _ in kept.values()) == 400
    # Anonymous counts only: the table holds no code, no person.
    columns = set(LotteryRate.__table__.columns.keys())
    assert columns == {"id", "round_id", "stratum", "letters", "registrations", "measured_at"}


def test_the_next_round_is_offered_the_measured_rates(
    db: Session, lottery_round: Round, make_round: MakeRound
) -> None:
    _ready(db, lottery_round)
    letters = {s.stratum: s.letters for s in response.response(db, lottery_round).strata}
    _answer(db, lottery_round, {"w": 10, "m": 4})
    rounds.set_status(db, lottery_round, RoundStatus.FINISHED, "test")
    later = make_round("konstanz-herbst")
    offered = response.offered_rates(db, later)
    assert set(offered) == {"w", "m"}  # nobody answered in "d" or "x": not offered
    assert offered["w"].rate == pytest.approx(10 / letters["w"])
    assert offered["m"].rate == pytest.approx(4 / letters["m"])
    assert response.offered_rates(db, lottery_round) == {}  # a round's own rates are not offered
    lottery.import_extract(db, later, EXTRACT.read_bytes(), actor="t", now=NOW, extract_days=60)
    planned = lottery.plan(
        db,
        later,
        PlanInput.model_validate({"places": 20, "dimensions": ["gender"], "rates": {"w": 0.2}}),
        secret=SECRET,
        actor="test",
        now=NOW,
        exclusion_years=YEARS,
        offered={key: rate.rate for key, rate in offered.items()},
    )
    rates = {s.stratum: s.rate for s in planned.strata}
    assert rates["w"] == 0.2  # typed in: wins over the measured rate
    assert rates["m"] == pytest.approx(offered["m"].rate)
    assert rates["d"] == 0.05  # nothing measured: the default


def test_rates_kept_again_replace_the_earlier_ones(db: Session, lottery_round: Round) -> None:
    _ready(db, lottery_round)
    assert response.keep_rates(db, lottery_round, now=NOW) > 0
    _answer(db, lottery_round, {"w": 1})
    response.keep_rates(db, lottery_round, now=NOW)
    rows = db.scalars(select(LotteryRate).where(LotteryRate.round_id == lottery_round.id)).all()
    assert len(rows) == len({r.stratum for r in rows})
    assert {r.stratum: r.registrations for r in rows}["w"] == 1


def test_a_round_without_letters_keeps_nothing(db: Session, lottery_round: Round) -> None:
    assert response.keep_rates(db, lottery_round, now=NOW) == 0
    rounds.set_status(db, lottery_round, RoundStatus.CLOSED, "test")
    assert db.scalar(select(func.count()).select_from(LotteryRate)) == 0
