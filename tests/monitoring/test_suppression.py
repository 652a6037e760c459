"""Small counts: primary suppression, secondary suppression, and an attacker who tries to
work the withheld cells out from the published tables (docs/adr/0023)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.monitoring.attacker import Attacker
from vekl.monitoring import queries, sections, service, suppression
from vekl.monitoring.schemas import PublishedSection, Report, Section, Table
from vekl.monitoring.suppression import Status, System, feasible_range, suppress

PREFIX = "r|"


def publish(tables: list[Table], *, secondary: bool = True) -> list[PublishedSection]:
    section = Section(name="s", tables=tables)
    system = service.system_of([section], PREFIX)
    status = suppress(system, secondary=secondary)
    return service.published_sections([section], system, status, PREFIX)


def attack(tables: list[Table], published: list[PublishedSection]) -> Attacker:
    attacker = Attacker()
    by_name = {t.name: t for t in tables}
    for section in published:
        for table in section.tables:
            attacker.read_table(PREFIX, by_name[table.name], table)
    return attacker


def table(counts: list[list[int]], name: str = "t", **keys: object) -> Table:
    return Table.model_validate(
        {
            "name": name,
            "rows": [f"r{i}" for i in range(len(counts))],
            "columns": [f"c{j}" for j in range(len(counts[0]))],
            "counts": counts,
            **keys,
        }
    )


def test_counts_of_one_to_four_are_shown_as_less_than_five() -> None:
    [section] = publish([table([[0, 4], [5, 1]])], secondary=False)
    cells = section.tables[0].cells
    assert [[c.display for c in row] for row in cells] == [["0", "<5"], ["5", "<5"]]
    assert cells[0][1].count is None and cells[0][1].suppressed == "primary"
    assert cells[0][0].count == 0 and cells[1][0].count == 5
    row_totals = section.tables[0].row_totals
    assert row_totals is not None and [c.display for c in row_totals] == ["<5", "6"]


def test_one_small_cell_in_a_two_by_two_table_takes_three_more_with_it() -> None:
    tables = [table([[2, 10], [10, 20]])]
    [section] = publish(tables)
    shown = [[c.display for c in row] for row in section.tables[0].cells]
    assert shown == [["<5", "x"], ["x", "x"]]
    assert section.tables[0].total is not None and section.tables[0].total.display == "42"
    assert attack(tables, [section]).pinned() == {}


def test_without_secondary_suppression_the_attacker_finds_the_cell() -> None:
    """The guard of every test here: the attacker does find cells when it may."""
    tables = [table([[2, 10], [10, 20]])]
    published = publish(tables, secondary=False)
    assert attack(tables, published).pinned() == {"r|t|r0|c0": (2, 2)}


def test_a_secondary_cell_is_taken_to_be_five_or_more() -> None:
    """A 1 next to a 5: withholding the 5 alone is not enough, as "x" means at least 5."""
    system = System()
    system.add_cell("a", 1)
    system.add_cell("b", 5)
    system.add_cell("t", 6)
    system.add_sum("t", ["a", "b"])
    assert feasible_range(system, {"a": Status.PRIMARY, "b": Status.SECONDARY}, "a") == (1, 1)
    status = suppress(system)
    # Withholding the total alone widens it: only the 5 is known, the total is "5 or more".
    assert status == {"a": Status.PRIMARY, "b": Status.PUBLISHED, "t": Status.SECONDARY}
    assert feasible_range(system, status, "a") == (1, 4)


def test_cells_fixed_by_an_earlier_publication_keep_their_status() -> None:
    system = System()
    for key, value in {"a": 2, "b": 9, "t": 11}.items():
        system.add_cell(key, value)
    system.add_sum("t", ["a", "b"])
    status = suppress(system, fixed={"b": Status.PUBLISHED})
    assert status["b"] is Status.PUBLISHED and status["t"] is Status.SECONDARY


def test_a_cell_with_two_values_is_refused() -> None:
    system = System()
    system.add_cell("a", 2)
    with pytest.raises(ValueError, match="two values"):
        system.add_cell("a", 3)


def _one_row_and_its_parts() -> list[Table]:
    """A one-row table (7 and 7) and a table of the same people in two rows of small
    counts, sharing the column totals and the grand total."""
    shared = {"column_keys": ["c0", "c1"], "total_key": "all"}
    return [table([[7, 7]], name="one", **shared), table([[3, 3], [4, 4]], name="two", **shared)]


def test_a_total_the_published_counts_give_exactly_is_published() -> None:
    """Withheld to protect the small cells, the grand total (14) equals the one row's total,
    which stays published: the attacker has it anyway, so it is shown."""
    tables = _one_row_and_its_parts()
    section = Section(name="s", tables=tables)
    system = service.system_of([section], PREFIX)
    assert suppress(system, derivable=False)[f"{PREFIX}all"] is Status.SECONDARY
    published = publish(tables)
    one = published[0].tables[0]
    assert one.row_totals is not None and one.row_totals[0].display == "14"
    assert one.total is not None and one.total.display == "14" and one.total.count == 14
    assert attack(tables, published).pinned() == {}


def _attacker_range(attacker: Attacker, key: str) -> tuple[int, int]:
    return attacker._solve(key, minimise=True), attacker._solve(key, minimise=False)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    row=st.lists(st.integers(0, 12), min_size=2, max_size=3),
    split=st.lists(st.integers(0, 12), min_size=3, max_size=3),
)
def test_publishing_derivable_cells_changes_nothing_the_attacker_knows(
    row: list[int], split: list[int]
) -> None:
    """The pass only turns an "x" the attacker can compute exactly into its number: every
    small cell stays protected, each cell it publishes had one value only, and no "x" left
    has one value only."""
    keys = {"column_keys": [f"c{j}" for j in range(len(row))], "total_key": "all"}
    first = [min(s, v) for s, v in zip(split, row, strict=False)]
    tables = [
        table([row], name="one", **keys),
        table([first, [v - f for v, f in zip(row, first, strict=True)]], name="two", **keys),
    ]
    section = Section(name="s", tables=tables)
    system = service.system_of([section], PREFIX)
    before = suppress(system, derivable=False)
    after = suppress(system)
    withheld_before = attack(tables, service.published_sections([section], system, before, PREFIX))
    attacker = attack(tables, service.published_sections([section], system, after, PREFIX))
    assert attacker.pinned(suppression.PROTECTION) == {}
    for key, status in after.items():
        if status is not before[key]:
            assert (before[key], status) == (Status.SECONDARY, Status.PUBLISHED)
            value = system.values[key]
            assert _attacker_range(withheld_before, key) == (value, value)
        elif status is Status.SECONDARY:
            low, high = _attacker_range(attacker, key)
            assert low < high, key
    # The attacker's ranges of the small cells are the same with or without the pass.
    assert attacker.ranges() == withheld_before.ranges()


def test_a_report_asked_for_again_is_taken_from_the_cache(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    suppression.clear_cache()
    tables = [table([[2, 10], [10, 20]])]
    system = service.system_of([Section(name="s", tables=tables)], PREFIX)
    first = suppress(system)

    def no_audit(*args: object, **kwargs: object) -> None:
        raise AssertionError("solved again")

    monkeypatch.setattr(suppression, "_Audit", no_audit)
    assert suppress(system) == first
    # The answer handed out is a copy: changing it changes no later answer.
    suppress(system)[f"{PREFIX}t|r0|c0"] = Status.PUBLISHED
    assert suppress(system) == first


def test_the_cache_is_not_used_when_a_rounds_counts_change() -> None:
    """The same round, its cells under the same keys, with one count changed: the statuses
    are those of the new counts, in the round's report and across rounds."""
    from datetime import UTC, datetime

    from vekl.monitoring.schemas import Aggregates

    def rounds(counts: list[list[int]]) -> list[Aggregates]:
        now = datetime(2027, 6, 1, tzinfo=UTC)
        return [
            Aggregates(
                round=f"round{i}",
                round_name=f"Round {i}",
                computed_at=now,
                sections=[Section(name="s", tables=[table(c)])],
            )
            for i, c in enumerate([counts, [[20, 20], [20, 20]]])
        ]

    suppression.clear_cache()
    _, system, status = service.across(rounds([[10, 20], [20, 30]]))
    assert status["round0|t|r0|c0"] is Status.PUBLISHED
    assert Status.SECONDARY not in status.values()
    _, system, status = service.across(rounds([[3, 20], [20, 30]]))
    assert system.values["round0|t|r0|c0"] == 3
    assert status["round0|t|r0|c0"] is Status.PRIMARY
    assert Status.SECONDARY in status.values()
    cached = suppression.suppress(
        service.system_of(rounds([[3, 20], [20, 30]])[0].sections, "round0|")
    )
    assert cached["round0|t|r0|c0"] is Status.PRIMARY


# --- the attacker against random reports ------------------------------------------------------

people = st.lists(
    st.tuples(
        st.integers(0, 3),  # first attribute (gender, say)
        st.integers(0, 2),  # second attribute (age band)
        st.sampled_from(["placed", "not_placed"]),
    ),
    min_size=1,
    max_size=40,
)


def linked_tables(crowd: list[tuple[int, int, str]]) -> list[Table]:
    """Two tables of the same people, sharing column totals and grand total (as the
    composition tables of a report do)."""
    columns = ["placed", "not_placed"]
    tables = []
    for name, index in (("first", 0), ("second", 1)):
        counted = Counter((person[index], person[2]) for person in crowd)
        rows = sorted({person[index] for person in crowd})
        tables.append(
            Table(
                name=name,
                rows=[f"v{r}" for r in rows],
                columns=columns,
                counts=[[counted[(r, c)] for c in columns] for r in rows],
                column_keys=["placed", "not_placed"],
                total_key="everyone",
            )
        )
    return tables


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(crowd=people)
def test_the_attacker_pins_no_small_cell_in_linked_tables(
    crowd: list[tuple[int, int, str]],
) -> None:
    tables = linked_tables(crowd)
    published = publish(tables)
    assert attack(tables, published).pinned(suppression.PROTECTION) == {}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    counts=st.integers(1, 3).flatmap(
        lambda rows: st.integers(1, 4).flatmap(
            lambda columns: st.lists(
                st.lists(
                    st.one_of(st.integers(0, 4), st.integers(0, 30)),
                    min_size=columns,
                    max_size=columns,
                ),
                min_size=rows,
                max_size=rows,
            )
        )
    )
)
def test_the_attacker_pins_no_small_cell_in_a_table(counts: list[list[int]]) -> None:
    tables = [table(counts)]
    published = publish(tables)
    attacker = attack(tables, published)
    assert attacker.pinned(suppression.PROTECTION) == {}
    # Every count of 1 to 4 is withheld, whatever else is.
    for r, row in enumerate(counts):
        for c, value in enumerate(row):
            if 0 < value < 5:
                assert published[0].tables[0].cells[r][c].display == "<5"


def _across(rounds: list[list[list[int]]]) -> tuple[Attacker, Report]:
    """Per-round reports of one table each, and the report across them, read together."""
    from datetime import UTC, datetime

    from vekl.monitoring.schemas import Aggregates

    now = datetime(2027, 6, 1, tzinfo=UTC)
    found = [
        Aggregates(
            round=f"round{i}",
            round_name=f"Round {i}",
            computed_at=now,
            sections=[Section(name="s", tables=[table(counts)])],
        )
        for i, counts in enumerate(rounds)
    ]
    attacker = Attacker()
    for aggregate in found:
        prefix = f"{aggregate.round}|"
        system = service.system_of(aggregate.sections, prefix)
        status = suppress(system)
        [section] = service.published_sections(aggregate.sections, system, status, prefix)
        attacker.read_table(prefix, aggregate.sections[0].tables[0], section.tables[0])
    merged, system, status = service.across(found)
    [section] = service.published_sections(merged, system, status, service.ACROSS)
    attacker.read_table(service.ACROSS, merged[0].tables[0], section.tables[0])
    for key in [k for k in attacker.shown if k.startswith(service.ACROSS)]:
        bare = key.removeprefix(service.ACROSS)
        attacker.sums.append((key, [f"{a.round}|{bare}" for a in found]))
    report = Report(
        scope="rounds",
        rounds=[a.round for a in found],
        round_names=[a.round_name for a in found],
        generated_at=now,
        threshold=5,
        protection=2,
        sections=[section],
    )
    return attacker, report


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rounds=st.lists(
        st.lists(st.lists(st.integers(0, 12), min_size=2, max_size=2), min_size=2, max_size=2),
        min_size=2,
        max_size=3,
    )
)
def test_sums_across_rounds_give_no_round_away(rounds: list[list[list[int]]]) -> None:
    attacker, _ = _across(rounds)
    assert attacker.pinned(suppression.PROTECTION, mine=service.ACROSS) == {}


def test_an_across_total_that_would_give_a_round_away_is_withheld() -> None:
    # Round 0 publishes 20 and withholds its 3 (with what protects it); the sum across
    # rounds of that cell (23) would tell the 3 to anyone who holds round 0's report... only
    # with the other cells known. The rule withholds across cells until it does not.
    attacker, report = _across([[[3, 20], [20, 30]], [[20, 20], [20, 20]]])
    assert attacker.pinned(mine=service.ACROSS) == {}
    shown = [c.display for row in report.sections[0].tables[0].cells for c in row]
    assert "x" in shown or "<5" in shown


# --- the whole report's tables, with the totals they share -----------------------------------

registrations = st.lists(
    st.builds(
        lambda i, role, source, status, gender, age, origin, languages, by_self, reason: (
            queries.Registration(
                id=i,
                role=role,
                source=source,
                status=status,
                gender=gender,
                age_band=age,
                district=None,
                origin=origin,
                languages=languages,
                withdrawn_by_self=by_self,
                waitlist_reason=reason,
            )
        ),
        st.integers(0, 10**6),
        st.sampled_from(["citizen", "newcomer"]),
        st.sampled_from(["web", "letter"]),
        st.sampled_from(["placed", "waitlisted", "withdrawn", "confirmed"]),
        st.sampled_from(["f", "m", "d", None]),
        st.sampled_from(["18-29", "65+", None]),
        st.sampled_from(["SY", "UA", None]),
        st.sampled_from([("de",), ("de", "en"), ("ar", "de")]),
        st.booleans(),
        st.sampled_from(["by lot: full", "no room for groups", None]),
    ),
    min_size=1,
    max_size=30,
    unique_by=lambda p: p.id,
)


def _attendance(people: list[queries.Registration], seed: int) -> Section | None:
    """Two evenings of the placed: who came by a rule on ids and the seed."""
    from datetime import UTC, datetime

    from vekl.attendance.service import Counts, EveningCounts, RoundAttendance

    placed = [p for p in people if p.status == "placed"]
    evenings = []
    for number in (1, 2):
        by_role = {r: Counts() for r in sections.ROLES}
        for p in placed:
            came = (p.id + number + seed) % 3 != 0
            by_role[p.role].expected += 1
            by_role[p.role].present += came
            by_role[p.role].absent += not came
        evenings.append(
            EveningCounts("mon", number, datetime(2027, 5, number, tzinfo=UTC), by_role)
        )
    members = Counter(p.role for p in placed)
    completed = Counter(p.role for p in placed if all((p.id + n + seed) % 3 != 0 for n in (1, 2)))
    figures = RoundAttendance("r", evenings, dict(members), dict(completed))
    return sections.attendance_section(figures, Counter(p.role for p in placed))


answers = st.lists(
    st.builds(
        sections.Answer,
        st.sampled_from(sections.RESPONDENTS),
        st.sampled_from([1, 3, 5, None]),
        st.sampled_from([True, False, None]),
        st.sampled_from([True, False, None]),
    ),
    max_size=25,
)
strata = st.lists(
    st.tuples(st.sampled_from(["m", "w", "d"]), st.integers(0, 12), st.integers(0, 12)),
    max_size=3,
    unique_by=lambda s: s[0],
)


def _lottery(found: list[tuple[str, int, int]]) -> Section | None:
    from vekl.lottery.response import Response, StratumResponse

    return sections.lottery_section(
        Response(
            "r",
            waves=[1, 2],
            strata=[
                StratumResponse(key, {1: first, 2: second}, min(first, 3), 0.1, 1.0)
                for key, first, second in found
            ],
        )
    )


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    people=registrations,
    seed=st.integers(0, 2),
    answered=answers,
    pairs=st.integers(0, 6),
    letters=strata,
)
def test_the_attacker_pins_no_small_cell_in_a_whole_report(
    people: list[queries.Registration],
    seed: int,
    answered: list[sections.Answer],
    pairs: int,
    letters: list[tuple[str, int, int]],
) -> None:
    """Registrations, outcome and composition tables, attendance (its members shared with
    the placed), feedback and the lottery, linked by the totals they share."""
    from datetime import UTC, datetime

    others = (
        _attendance(people, seed),
        sections.feedback_section(
            answered, {"mutual_pairs": pairs, "citizen_newcomer_pairs": pairs // 2}
        ),
        _lottery(letters),
    )
    found = [
        sections.registrations_section(people),
        sections.outcome_section(people),
        sections.composition_section(people),
        *(s for s in others if s is not None),
    ]
    system = service.system_of(found, PREFIX)
    status = suppress(system)
    published = service.published_sections(found, system, status, PREFIX)
    report = Report(
        scope="round",
        rounds=["r"],
        round_names=["r"],
        generated_at=datetime(2027, 6, 1, tzinfo=UTC),
        threshold=5,
        protection=2,
        sections=published,
    )
    attacker = Attacker()
    attacker.read_report(PREFIX, [t for s in found for t in s.tables], report)
    assert attacker.pinned(suppression.PROTECTION) == {}
    # The groups' members are the placed: a count withheld in one table is withheld in the
    # other (the attacker knows only what the keys say, so this says it for them).
    completion = report.section("attendance")
    if completion is not None:
        members = completion.tables[1]
        outcome = report.section("outcome")
        assert outcome is not None
        overview = outcome.tables[0]
        placed = overview.rows.index("placed")
        for c, role in enumerate(members.columns):
            same = overview.cells[placed][overview.columns.index(role)]
            assert members.cells[0][c].display == same.display, role


def test_the_groups_members_are_withheld_where_the_placed_are() -> None:
    """20 citizens and 3 newcomers placed, 10 and 27 waiting: the placed citizens are
    withheld to protect the 3; the completion table must not show them as members."""

    def person(i: int, role: str, status: str) -> queries.Registration:
        return queries.Registration(
            id=i,
            role=role,
            source="web",
            status=status,
            gender=None,
            age_band=None,
            district=None,
            origin=None,
            languages=("de",),
            withdrawn_by_self=False,
            waitlist_reason=None,
        )

    counts = [("citizen", "placed", 20), ("newcomer", "placed", 3)]
    counts += [("citizen", "waitlisted", 10), ("newcomer", "waitlisted", 27)]
    people = [
        person(1000 * n + i, role, status)
        for n, (role, status, k) in enumerate(counts)
        for i in range(k)
    ]
    attendance = _attendance(people, 0)
    assert attendance is not None
    found = [sections.outcome_section(people), attendance]
    system = service.system_of(found, PREFIX)
    published = service.published_sections(found, system, suppress(system), PREFIX)
    overview, members = published[0].tables[0], published[1].tables[1]
    placed = overview.rows.index("placed")
    assert [c.display for c in overview.cells[placed]] == ["x", "<5"]
    assert [c.display for c in members.cells[0]] == ["x", "<5"]
    attacker = Attacker()
    attacker.read_report(
        PREFIX,
        [t for s in found for t in s.tables],
        Report(
            scope="round",
            rounds=["r"],
            round_names=["r"],
            generated_at=overview_time(),
            threshold=5,
            protection=2,
            sections=published,
        ),
    )
    assert attacker.pinned(suppression.PROTECTION) == {}


def overview_time() -> datetime:
    from datetime import UTC, datetime

    return datetime(2027, 6, 1, tzinfo=UTC)
