"""The report's figures from the store, through the one service (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.dates import open_for_a_month
from vekl.errors import InvalidInput, NotFound
from vekl.monitoring import sections, service
from vekl.monitoring.errors import NoReportData
from vekl.monitoring.schemas import PublishedTable, Report
from vekl.rounds import service as rounds
from vekl.store.models import MatchingRun, Participant, PopulationShare, Round

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "konstanz-mai"
BERLIN = ZoneInfo("Europe/Berlin")


def table(report: Report, section: str, name: str) -> PublishedTable:
    found = report.section(section)
    assert found is not None, f"no section {section}"
    return next(t for t in found.tables if t.name == name)


def cell(t: PublishedTable, row: str, column: str) -> str:
    if column == "_total":
        assert t.row_totals is not None
        return t.row_totals[t.rows.index(row)].display
    if row == "_total":
        assert t.column_totals is not None
        return t.column_totals[t.columns.index(column)].display
    return t.cells[t.rows.index(row)][t.columns.index(column)].display


def test_registrations_by_source_and_role(db: Session, example_round: Round) -> None:
    report = service.round_report(db, example_round.slug)
    by_source = table(report, "registrations", "by_source")
    assert by_source.rows == ["import"]
    assert cell(by_source, "import", "citizen") == "30"
    assert cell(by_source, "import", "newcomer") == "30"
    # Nothing is matched yet: every registration is "not matched yet".
    outcome = table(report, "outcome", "by_outcome")
    assert cell(outcome, "not_matched", "_total") == "60"
    assert cell(outcome, "placed", "_total") == "0"
    # No groups, no encounters section.
    assert report.section("encounters") is None
    assert report.scope == "round" and report.rounds == [example_round.slug]


def test_outcome_reasons_and_encounters_after_publishing(
    db: Session, example_round: Round, published: MatchingRun
) -> None:
    data = service.compute(db, example_round)
    by_name = {s.name: s for s in data.sections}
    outcome = by_name["outcome"].tables[0]
    people = db.scalar(
        select(func.count())
        .select_from(Participant)
        .where(Participant.round_id == example_round.id)
    )
    assert sum(map(sum, outcome.counts)) == people
    counts = dict(zip(outcome.rows, (sum(line) for line in outcome.counts), strict=True))
    assert counts["dropped_out"] == 1
    assert published.placed is not None and counts["placed"] == published.placed - 1
    reasons, dropouts, categories = by_name["outcome"].tables[1:]
    assert sum(map(sum, reasons.counts)) == counts["waitlisted"]
    assert dropouts.counts[dropouts.rows.index("by_organisers")] != [0, 0]
    # The same dropout by why: the category the organisers chose (conftest: "moved").
    assert categories.name == "dropout_categories"
    assert sum(categories.counts[categories.rows.index("moved")]) == 1
    assert sum(map(sum, categories.counts)) == 1
    # Encounters: citizen × newcomer in each group, as seated.
    expected = 0
    for group in published.groups:
        roles = [m.participant.role.value for m in group.members]
        if any(m.participant.status.value == "withdrawn" for m in group.members):
            roles = [
                m.participant.role.value
                for m in group.members
                if m.participant.status.value != "withdrawn"
            ]
        expected += roles.count("citizen") * roles.count("newcomer")
    encounters = by_name["encounters"]
    assert encounters.basis == "seated"
    assert encounters.tables[0].counts[0] == [expected]
    composition = by_name["composition"]
    gender = next(t for t in composition.tables if t.name == "gender")
    assert sum(line[0] for line in gender.counts) == counts["placed"]


def test_the_published_report_names_nobody(
    db: Session, example_round: Round, published: MatchingRun
) -> None:
    report = service.round_report(db, example_round.slug)
    text = service.as_json(report) + service.as_csv(report)
    people = db.scalars(select(Participant).where(Participant.round_id == example_round.id))
    for person in people:
        for secret in (person.email, person.last_name, person.full_name):
            assert secret not in text
    assert "<5" in text


def test_the_csv_and_json_fields(db: Session, example_round: Round) -> None:
    report = service.round_report(db, example_round.slug)
    rows = list(csv.DictReader(io.StringIO(service.as_csv(report))))
    assert list(rows[0]) == list(service.CSV_FIELDS)
    small = [r for r in rows if r["display"] == "<5"]
    assert small and all(r["count"] == "" and r["suppressed"] == "primary" for r in small)
    assert not [r for r in rows if r["count"] and 0 < int(r["count"]) < 5]
    data = json.loads(service.as_json(report))
    assert data["format"] == "vekl-monitoring" and data["version"] == 1
    assert data["threshold"] == 5 and data["protection"] == 2
    assert {s["name"] for s in data["sections"]} >= {"registrations", "outcome", "composition"}


def test_unknown_round_and_round_without_data(db: Session, example_round: Round) -> None:
    with pytest.raises(NotFound, match="no round 'nirgendwo'"):
        service.round_report(db, "nirgendwo")
    spec = rounds.load_round_file(EXAMPLE / "round.toml").model_copy(
        update={"slug": "leer", "registration_deadline": open_for_a_month()}
    )
    rounds.create_round(db, spec, BERLIN, "test")
    with pytest.raises(NoReportData, match="round 'leer' has no registrations to report yet"):
        service.round_report(db, "leer")


def test_no_round_with_data(db: Session) -> None:
    with pytest.raises(NoReportData, match="no round has registrations"):
        service.rounds_report(db)


def test_across_rounds_adds_the_rounds_up(db: Session, example_round: Round) -> None:
    spec = rounds.load_round_file(EXAMPLE / "round.toml").model_copy(
        update={"slug": "konstanz-juni", "registration_deadline": open_for_a_month()}
    )
    second = rounds.create_round(db, spec, BERLIN, "test")
    from vekl.registration import csv_import

    csv_import.import_registrations(db, second, (EXAMPLE / "registrations.csv").read_bytes(), "t")
    report = service.rounds_report(db)
    assert report.scope == "rounds" and report.rounds == [example_round.slug, "konstanz-juni"]
    by_source = table(report, "registrations", "by_source")
    assert cell(by_source, "import", "citizen") == "60"
    assert service.report(db, None).rounds == report.rounds


def test_population_shares(db: Session, example_round: Round) -> None:
    content = b"dimension;category;share\ngender;f;0,51\ngender;m;49%\nage_band;65+;0.22\n"
    assert service.set_population_shares(db, example_round.slug, content, "test") == 3
    report = service.round_report(db, example_round.slug)
    assert report.population == {"age_band": {"65+": 0.22}, "gender": {"f": 0.51, "m": 0.49}}


def test_bad_population_shares_change_nothing(db: Session, example_round: Round) -> None:
    service.set_population_shares(
        db, example_round.slug, b"dimension,category,share\nrole,citizen,0.5\n", "t"
    )
    bad = b"dimension,category,share\nshoe_size,42,0.1\ngender,f,1.5\ngender,m,0.7\ngender,m,0.1\n"
    with pytest.raises(InvalidInput) as refused:
        service.set_population_shares(db, example_round.slug, bad, "test")
    said = [str(e) for e in refused.value.errors]
    assert said[0].startswith("line 2, column dimension: unknown dimension 'shoe_size'")
    assert said[1].startswith("line 3, column share: '1.5' is not a share")
    assert said[2] == "line 5, column category: this category is given twice"
    with pytest.raises(InvalidInput, match=""):
        service.set_population_shares(db, example_round.slug, b"a,b\n1,2\n", "test")
    kept = db.scalars(
        select(PopulationShare.category).where(PopulationShare.round_id == example_round.id)
    )
    assert list(kept) == ["citizen"]


def test_encounters_count_only_pairs_who_both_came_once_attendance_says() -> None:
    groups = [[(1, "citizen"), (2, "newcomer"), (3, "newcomer")], [(4, "citizen"), (5, "newcomer")]]
    seated = sections.encounters_section(groups)
    assert seated is not None and seated.basis == "seated"
    assert seated.tables[0].counts == [[3], [2], [3], [2]]
    came = {1, 2, 4}
    attended = sections.encounters_section(groups, lambda a, b: a in came and b in came)
    assert attended is not None and attended.basis == "attended"
    assert attended.tables[0].counts == [[1], [1], [1], [2]]
    assert sections.present_together({}) is None
    together = sections.present_together({1: {10, 11}, 2: {11}, 3: {12}})
    assert together is not None
    assert together(1, 2) and not together(1, 3) and not together(2, 4)
