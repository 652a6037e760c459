"""Dropouts by why (``dropout_categories``): counted by category and role, one system of sums
with the dropouts by who recorded them, small counts withheld, and kept reports of rounds
from before the table still loading and adding up across rounds."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from tests.dates import open_for_a_month
from tests.monitoring.attacker import Attacker
from tests.monitoring.test_service import cell, table
from tests.organiser.conftest import BERLIN, EXAMPLE
from vekl.monitoring import queries, sections, service
from vekl.monitoring.schemas import Aggregates, Section, Table
from vekl.monitoring.suppression import suppress
from vekl.registration import csv_import
from vekl.registration import overview as registration_overview
from vekl.registration import service as registrations
from vekl.retention import service as retention
from vekl.rounds import service as rounds
from vekl.settings import Settings
from vekl.store.models import (
    DropoutCategory,
    MatchingRun,
    RegistrationStatus,
    Role,
    Round,
    RoundStatistics,
)

PREFIX = "r|"


def _person(n: int, role: str, status: str, category: str = "not_given") -> queries.Registration:
    return queries.Registration(
        id=n,
        role=role,
        source="web",
        status=status,
        gender=None,
        age_band=None,
        district=None,
        origin=None,
        languages=(),
        withdrawn_by_self=category == "not_given",
        waitlist_reason=None,
        dropout_category=category,
    )


def _people() -> list[queries.Registration]:
    found: list[queries.Registration] = []
    spec = [
        ("citizen", "placed", "not_given", 20),
        ("newcomer", "placed", "not_given", 20),
        ("citizen", "withdrawn", "time", 7),
        ("citizen", "withdrawn", "illness", 1),
        ("newcomer", "withdrawn", "moved", 6),
        ("newcomer", "withdrawn", "not_given", 2),
    ]
    for role, status, category, times in spec:
        for _ in range(times):
            found.append(_person(len(found) + 1, role, status, category))
    return found


def _table(section: Section, name: str) -> Table:
    return next(t for t in section.tables if t.name == name)


def test_dropouts_are_counted_by_category_and_role() -> None:
    outcome = sections.outcome_section(_people())
    categories = _table(outcome, "dropout_categories")
    assert categories.rows == [c.value for c in DropoutCategory]
    assert categories.columns == ["citizen", "newcomer"]
    counts = dict(zip(categories.rows, categories.counts, strict=True))
    assert counts["time"] == [7, 0]
    assert counts["illness"] == [1, 0]
    assert counts["moved"] == [0, 6]
    assert counts["not_given"] == [0, 2]
    assert counts["no_show"] == counts["other"] == counts["not_interested"] == [0, 0]
    # One system with the dropouts by who recorded them and the overview: the same totals.
    ways = _table(outcome, "dropout_reasons")
    assert (
        categories.column_keys
        == ways.column_keys
        == [
            "outcome|dropped_out|citizen",
            "outcome|dropped_out|newcomer",
        ]
    )
    assert categories.total_key == ways.total_key == "outcome|dropped_out|_total"
    assert [categories.column_sum(c) for c in range(2)] == [ways.column_sum(c) for c in range(2)]


def test_small_counts_of_a_category_are_withheld_and_cannot_be_worked_out() -> None:
    outcome = sections.outcome_section(_people())
    system = service.system_of([outcome], PREFIX)
    status = suppress(system)
    [published] = service.published_sections([outcome], system, status, PREFIX)
    categories = next(t for t in published.tables if t.name == "dropout_categories")
    shown = {
        (row, column): categories.cells[r][c].display
        for r, row in enumerate(categories.rows)
        for c, column in enumerate(categories.columns)
    }
    assert shown[("illness", "citizen")] == "<5"
    assert shown[("not_given", "newcomer")] == "<5"
    assert shown[("no_show", "citizen")] in ("0", "x")
    # From everything published, no withheld cell can be narrowed down to one value.
    attacker = Attacker()
    structure = {t.name: t for t in outcome.tables}
    for found in published.tables:
        attacker.read_table(PREFIX, structure[found.name], found)
    assert attacker.pinned() == {}


def _drop(db: Session, round: Round, settings: Settings, role: Role, category: str, n: int) -> None:
    people = registrations.list_registrations(
        db, round, status=RegistrationStatus.CONFIRMED, role=role
    )
    for person in people[:n]:
        registration_overview.drop_out(
            db, round.slug, person.id, "notiz", settings, "test", category=category
        )


def test_the_round_report_shows_the_categories(
    db: Session, example_round: Round, settings: Settings
) -> None:
    _drop(db, example_round, settings, Role.CITIZEN, "time", 6)
    _drop(db, example_round, settings, Role.NEWCOMER, "no_show", 2)
    data = service.compute(db, example_round)
    outcome = next(s for s in data.sections if s.name == "outcome")
    categories = _table(outcome, "dropout_categories")
    counts = dict(zip(categories.rows, categories.counts, strict=True))
    assert counts["time"] == [6, 0] and counts["no_show"] == [0, 2]
    report = service.round_report(db, example_round.slug)
    published = table(report, "outcome", "dropout_categories")
    assert cell(published, "no_show", "newcomer") == "<5"
    assert cell(published, "time", "citizen") in ("6", "x")


def _purge_as_before_the_table(db: Session, round: Round) -> None:
    """Purge ``round`` and take ``dropout_categories`` out of what was kept, as in the
    kept report of a round purged before the table existed."""
    last = retention.last_evening(db, round)
    assert last is not None
    retention.purge_round(
        db, round, actor="test", now=last + timedelta(days=round.retention_days, minutes=1)
    )
    kept = db.get(RoundStatistics, round.id)
    assert kept is not None
    report = dict(kept.data["report"])
    report["sections"] = [
        {**s, "tables": [t for t in s["tables"] if t["name"] != "dropout_categories"]}
        for s in report["sections"]
    ]
    assert all(t["name"] != "dropout_categories" for s in report["sections"] for t in s["tables"])
    kept.data = {**kept.data, "report": report}
    db.flush()


def _outcome(found: Aggregates | list[Section]) -> Section:
    all_sections = found.sections if isinstance(found, Aggregates) else found
    return next(s for s in all_sections if s.name == "outcome")


def test_an_old_kept_report_without_the_table_still_loads_and_adds_up_across_rounds(
    db: Session, example_round: Round, published: MatchingRun, settings: Settings
) -> None:
    # The old round: purged, its one dropout ("moved", see conftest) kept without a category.
    _purge_as_before_the_table(db, example_round)
    old = service.aggregates(db, example_round)
    assert old is not None
    old_categories = _table(_outcome(old), "dropout_categories")
    old_ways = _table(_outcome(old), "dropout_reasons")
    counts = dict(zip(old_categories.rows, old_categories.counts, strict=True))
    assert counts["not_given"] == [old_ways.column_sum(c) for c in range(2)]
    assert sum(map(sum, old_categories.counts)) == 1  # no category was recorded then
    assert old_categories.column_keys == old_ways.column_keys
    old_report = service.round_report(db, example_round.slug)
    assert cell(table(old_report, "outcome", "dropout_categories"), "not_given", "_total") == "<5"

    # A new round, its dropouts with categories.
    spec = rounds.load_round_file(EXAMPLE / "round.toml").model_copy(
        update={"slug": "konstanz-juni", "registration_deadline": open_for_a_month()}
    )
    second = rounds.create_round(db, spec, BERLIN, "test")
    csv_import.import_registrations(db, second, (EXAMPLE / "registrations.csv").read_bytes(), "t")
    _drop(db, second, settings, Role.CITIZEN, "time", 6)
    _drop(db, second, settings, Role.NEWCOMER, "illness", 5)
    new = service.aggregates(db, second)
    assert new is not None

    merged = _outcome(service.merge([old, new]))
    categories = _table(merged, "dropout_categories")
    by_outcome = _table(merged, "by_outcome")
    counts = dict(zip(categories.rows, categories.counts, strict=True))
    assert counts["time"] == [6, 0] and counts["illness"] == [0, 5]
    assert sum(map(sum, categories.counts)) == 12
    dropped = by_outcome.counts[by_outcome.rows.index("dropped_out")]
    assert [categories.column_sum(c) for c in range(2)] == dropped
    assert categories.column_keys == ["outcome|dropped_out|citizen", "outcome|dropped_out|newcomer"]

    report = service.rounds_report(db)
    assert report.rounds == [example_round.slug, "konstanz-juni"]
    across = table(report, "outcome", "dropout_categories")
    assert across.rows == [c.value for c in DropoutCategory]
    assert cell(across, "time", "citizen") in ("6", "x")
    assert cell(across, "illness", "newcomer") in ("5", "x")
