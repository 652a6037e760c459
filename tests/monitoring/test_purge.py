"""The report survives the purge: same figures from the kept aggregates, and no personal
data of the round left in any table (the purge test's search, reused)."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy.orm import Session

from tests.monitoring.data import answer_survey, mark_attendance, run_lottery
from tests.organiser.test_purge import _personal_data, _stored_text
from vekl.monitoring import service
from vekl.retention import service as retention
from vekl.store.models import MatchingRun, Round, RoundStatistics


def test_the_report_survives_the_purge_and_keeps_nobody(
    db: Session, example_round: Round, published: MatchingRun
) -> None:
    round = example_round
    mark_attendance(db, round)
    answer_survey(db, round)
    run_lottery(db, round)
    before = service.round_report(db, round.slug)
    names = [s.name for s in before.sections]
    assert {"attendance", "feedback", "lottery"} <= set(names)
    encounters = before.section("encounters")
    assert encounters is not None and encounters.basis == "attended"
    before_all = service.rounds_report(db)
    secrets = _personal_data(db, round)
    assert any(s in text for s in secrets for _, _, text in _stored_text(db))

    last = retention.last_evening(db, round)
    assert last is not None
    due = last + timedelta(days=round.retention_days, minutes=1)
    retention.purge_round(db, round, actor="test", now=due)

    leaks = [
        (table, column, secret)
        for table, column, text in _stored_text(db)
        for secret in secrets
        if re.search(re.escape(secret), text, re.IGNORECASE)
    ]
    assert leaks == []
    kept = db.get(RoundStatistics, round.id)
    assert kept is not None and kept.data["report"]["round"] == round.slug
    db.refresh(round)
    after = service.round_report(db, round.slug)
    assert after.sections == before.sections
    assert [s.name for s in after.sections] == names
    assert after.purged == [round.slug] and before.purged == []
    assert service.rounds_report(db).sections == before_all.sections


def test_a_round_purged_before_figures_were_kept(
    db: Session, example_round: Round, published: MatchingRun
) -> None:
    import pytest

    from vekl.monitoring.errors import NoReportData

    last = retention.last_evening(db, example_round)
    assert last is not None
    retention.purge_round(
        db,
        example_round,
        actor="test",
        now=last + timedelta(days=example_round.retention_days, minutes=1),
    )
    kept = db.get(RoundStatistics, example_round.id)
    assert kept is not None
    kept.data = {k: v for k, v in kept.data.items() if k != "report"}
    db.flush()
    with pytest.raises(NoReportData, match="was removed before report figures were kept"):
        service.round_report(db, example_round.slug)
    with pytest.raises(NoReportData, match="no round has registrations"):
        service.rounds_report(db)
